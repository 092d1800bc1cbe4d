"""Notification channels: how a stored message (``engine.state.outbox``) reaches a person.

A channel is a class with a ``name``, a ``from_settings(settings)`` class method that returns an
instance or None (the channel is not configured), and
``send(recipient, subject, body_text, body_html=None, reply_to=None) -> str`` that delivers one
message and returns its id, or raises ``DeliveryFailed``. Built-in: ``email``, ``directus``. Plugins add
channel classes through the ``engine.notification_channels`` entry point group.
"""
from __future__ import annotations

from typing import Any, Protocol

from ..registry import Registry

CHANNELS_GROUP = "engine.notification_channels"


class DeliveryFailed(Exception):
    """A message was not delivered. ``temporary``: a later attempt may succeed (the outbox retries it)."""

    def __init__(self, temporary: bool, reason: str):
        super().__init__(reason)
        self.temporary = temporary
        self.reason = reason

    def __str__(self) -> str:
        return f"{'temporary' if self.temporary else 'permanent'} failure: {self.reason}"


class NotificationChannel(Protocol):
    """What the outbox needs of a channel."""

    name: str

    def send(self, recipient: str, subject: str, body_text: str, body_html: str | None = None,
             reply_to: str | None = None) -> str: ...


class ChannelClass(Protocol):
    """A channel class: made from the settings, or None when the channel is not configured."""

    name: str

    def from_settings(self, settings: Any) -> NotificationChannel | None: ...


def channel_registry() -> Registry[ChannelClass]:
    """A new registry of channel classes: the built-ins plus installed plugins."""
    from .directus import DirectusChannel   # here, not above: the channels import DeliveryFailed from here
    from .email import EmailChannel

    registry: Registry[ChannelClass] = Registry("notification channel", [(EmailChannel.name, EmailChannel),
                                                                 (DirectusChannel.name, DirectusChannel)])
    registry.add_entry_points(CHANNELS_GROUP)
    return registry


__all__ = ["CHANNELS_GROUP", "ChannelClass", "DeliveryFailed", "NotificationChannel", "channel_registry"]
