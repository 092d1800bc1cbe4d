"""Every screen as JSON (server-driven UI for native apps and tests), from the same page model."""
from __future__ import annotations

import dataclasses
from typing import Any

from flask import Blueprint, abort, jsonify, request
from flask_wtf.csrf import generate_csrf

from ..jsonable import jsonable
from ..assembly.screen import GUEST
from .auth import current_identity
from .extensions import rate_limited
from .pages import build_page
from .runtime import live
from .screens import act, not_a_public_form, sender

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
    # a session-cookie client sends this back in the X-CSRFToken header when it posts an action
    return jsonify({**page_json(page), "csrf_token": generate_csrf()})


# how a refused or failed action answers: the status and the HTTP code
# "unknown": sent, not confirmed by the billing yet; being checked (202: accepted, not done)
_STATUS = {"invalid": 422, "refused": 409, "failed": 503, "forbidden": 404, "unknown": 202}


@blueprint.route("/actions/<action_id>", methods=["POST"])
# one allowance with the HTML forms: a public form cannot be sent more often through the API
@rate_limited("public_form_rate", key=sender, exempt_when=not_a_public_form, shared="public_forms")
def action(action_id: str):
    """Post an action as a screen's form does: its values as a JSON object (``_screen``,
    ``_section`` and ``_key`` from the screen's JSON, and the inputs). The answer is ``done``, or
    ``confirm`` with the text to show and the ``form`` to post to go ahead, or a refusal with a
    message per refused input (``errors``), checked on the server exactly as a browser's post."""
    body = request.get_json(silent=True)
    if body is None:
        posted = request.form.to_dict()
    elif isinstance(body, dict):
        posted = {str(k): _form_value(v) for k, v in body.items()}
    else:
        return jsonify(status="invalid", message="send the form's values as a JSON object"), 400
    done = act(action_id, posted)
    if done.login_needed:
        return jsonify(error="unauthorized", message="sign in first"), 401
    if done.confirm is not None:
        confirm = done.confirm
        return jsonify(status="confirm", title=confirm.title, text=confirm.text, button=confirm.button,
                       style=confirm.style, form=confirm.hidden)
    outcome = done.outcome
    if outcome.gateway_redirect:
        return jsonify(status="redirect", url=outcome.gateway_redirect)
    answer: dict[str, Any] = {"status": "done" if outcome.ok else outcome.result, "message": outcome.message,
                              "screen": outcome.screen, "params": outcome.params}
    if outcome.errors:
        answer.update(section=outcome.section_id, errors=outcome.errors)
    if outcome.redirect:
        answer["redirect"] = outcome.redirect
    return jsonify(answer), 200 if outcome.ok else _STATUS.get(outcome.result, 409)


def _form_value(value) -> str:
    """A JSON value as a browser would post it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else ""
    return str(value)


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
