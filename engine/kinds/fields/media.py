"""Images and videos: only http(s) addresses and site paths are ever put into src."""
from __future__ import annotations

from typing import Any, Mapping

from marshmallow import Schema, fields

from ..base import FieldKind, LocalizedText, Presented
from .urls import SafeUrl, safe_url


class ImageOptions(Schema):
    alt = LocalizedText()   # the theme falls back to the field's label


class ImageKind(FieldKind):
    """The value is the image's address, or ``{src, alt}`` when the alternative text is data too."""

    name = "image"
    options = ImageOptions
    preview_value = "https://demo-telecom.example/media/router-ax3000.jpg"
    preview_options = {"alt": {"ru": "Wi-Fi роутер AX3000", "en": "AX3000 Wi-Fi router"}}

    def present(self, value: Any, options: Mapping[str, Any], fmt) -> Presented:
        alt = fmt.text(options.get("alt"))
        if isinstance(value, Mapping):
            alt = fmt.text(value.get("alt")) or alt
            value = value.get("src")
        src = safe_url(value)
        if src is None:
            return Presented(display=fmt.text(value))
        return Presented(display=alt, src=src, alt=alt)


class VideoOptions(Schema):
    poster = fields.String(validate=SafeUrl())


class VideoKind(FieldKind):
    """The value is the video's address, or ``{src, poster}`` from a news feed."""

    name = "video"
    options = VideoOptions
    preview_value = "https://demo-telecom.example/media/5g-launch.mp4"
    preview_options = {"poster": "https://demo-telecom.example/media/5g-launch.jpg"}

    def present(self, value: Any, options: Mapping[str, Any], fmt) -> Presented:
        poster = options.get("poster")
        if isinstance(value, Mapping):
            poster = value.get("poster") or poster
            value = value.get("src")
        src = safe_url(value)
        if src is None:
            return Presented(display=fmt.text(value))
        return Presented(display=src, src=src, poster=safe_url(poster) or "")
