"""The browser surface: the homepage chat and the demo page with the context-aware sidebar."""

from server.web.router import mount, web_router

__all__ = ["mount", "web_router"]
