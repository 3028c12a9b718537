"""The web page over the search API: `create_app` (used by `cables serve`)."""

from .app import create_app

__all__ = ["create_app"]
