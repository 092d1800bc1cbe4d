"""Every screen as JSON (server-driven UI for native apps and tests), from the same page model."""
from __future__ import annotations

import dataclasses

from flask import Blueprint, abort, jsonify, request

from ..jsonable import jsonable
from ..assembly.screen import GUEST
from .auth import current_identity
from .pages import build_page
from .runtime import live

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")


@blueprint.route("/screens/<screen_id>")
def screen(screen_id: str):
    identity = current_identity()
    spec = live().cabinet.screens.get(screen_id)
    if identity is None:
        if spec is None or "guest" not in spec.roles:
            return jsonify(error="unauthorized", message="sign in first"), 401
        identity = GUEST
    if spec is None:
        abort(404)
    params = {name: request.args[name] for name in spec.route_params if name in request.args}
    missing = [name for name in spec.route_params if name not in params]
    if missing:
        return jsonify(error="bad_request", message=f"add the query parameters: {', '.join(missing)}"), 400
    page = build_page(spec, params, identity, with_flash=False)
    return jsonify(page_json(page))


def page_json(page) -> dict:
    data = dataclasses.asdict(page)
    # field templates are a theme concern; native apps get kind, label, value and display
    for section in _walk_sections(data["sections"]):
        section.pop("template", None)
        for field in section["fields"] + [f for item in section["items"] for f in item["fields"]]:
            field.pop("template", None)
    return jsonable(data)


def _walk_sections(sections):
    for section in sections:
        yield section
        yield from _walk_sections(section["children"])
