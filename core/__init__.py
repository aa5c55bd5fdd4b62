"""The domain engine: accounts, contacts, campaigns, segments, reports.

Nothing in here imports LangChain, LangGraph, FastAPI or Slack; every service takes a SQLAlchemy session
first and an ``account_id`` keyword, so every read and write is scoped to one tenant.
"""
