"""The Dash application: factory, pages, callbacks, UI components."""
from .factory import create_app
from .settings import Settings

__all__ = ["create_app", "Settings"]
