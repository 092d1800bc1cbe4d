"""The Flask web layer: app factory, auth, screens, JSON API."""
from .app import create_app

__all__ = ["create_app"]
