"""Import every tool module so the registry is complete."""

from tools import account  # noqa: F401
