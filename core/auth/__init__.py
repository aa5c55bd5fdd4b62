"""API access: per-user API keys, the per-account rate limit, and what API clients store (answer ratings,
thread metadata)."""
