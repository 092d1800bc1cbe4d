"""The built-in demo billing (binding name ``demo``) and the demo users of local sign-in."""
from __future__ import annotations

from .binding import DemoBilling
from .seed import DEMO_USERS

__all__ = ["DemoBilling", "DEMO_USERS"]
