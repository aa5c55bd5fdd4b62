"""The run context lives with the tools (they read it); the agent re-exports it for its own modules."""

from tools.context import PageContext, TurnContext

__all__ = ["PageContext", "TurnContext"]
