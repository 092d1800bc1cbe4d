"""The ``directus`` channel: what subscribers submit (applications, support requests) is also
created as an item in Directus, where the operator's staff work with it.

An outbox message of this channel names the collection as its recipient and carries the item as
JSON; the outbox retries while Directus is down, so nothing submitted is lost.
"""
from __future__ import annotations

import json

from ..directus.client import DirectusClient, DirectusError, DirectusUnavailable
from ..directus.model import SUBMITTED
from . import DeliveryFailed


class DirectusChannel:
    name = "directus"

    def __init__(self, client: DirectusClient):
        self.client = client

    @classmethod
    def from_settings(cls, settings) -> "DirectusChannel | None":
        if not settings.directus_url:
            return None
        return cls(DirectusClient(settings.directus_url, settings.directus_token))

    def send(self, recipient: str, subject: str, body_text: str, body_html: str | None = None,
             reply_to: str | None = None) -> str:
        if recipient not in SUBMITTED:
            raise DeliveryFailed(temporary=False, reason=f"{recipient!r} is not a collection the engine writes to")
        try:
            created = self.client.post(f"/items/{recipient}", json.loads(body_text))
        except DirectusUnavailable as exc:
            raise DeliveryFailed(temporary=True, reason=str(exc)) from None
        except DirectusError as exc:
            raise DeliveryFailed(temporary=False, reason=str(exc)) from None
        return str((created or {}).get("id", ""))

    def __repr__(self) -> str:
        return f"DirectusChannel({self.client.url!r})"
