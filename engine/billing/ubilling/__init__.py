"""A simulator of Ubilling's subscriber API "XMLAgent" (userstats' ``index.php?xmlagent=1`` with
``uberlogin``/``uberpassword``, and the creditor and paycards modules' agent calls), as a
standalone WSGI app on an in-memory demo billing: ``create_ubilling_app``,
``python -m engine.billing.ubilling``.

It copies the real API as read from Ubilling's PHP source (``docs/ubilling-xmlagent.md``): the
paths and parameters, the 401 ``ERROR_WRONG_UBERAUTH``, the XML and JSON renderings, the string
types of database values, the "last switch wins" routing and the code's quirks. It never bends to
suit a client.
"""
from __future__ import annotations

from .app import create_ubilling_app

__all__ = ["create_ubilling_app"]
