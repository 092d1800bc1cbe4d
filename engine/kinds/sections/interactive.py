"""Sections people act in: forms and rows of action buttons."""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from marshmallow import Schema, fields, validate

from ..base import LocalizedText, Problem, SectionKind


class FormOptions(Schema):
    intro = LocalizedText()   # a line above the inputs
    # post: the inputs go to the action named by ``submit``; get: they go into this screen's
    # address (a period picker, a search), so the screen shows again with them
    method = fields.String(load_default="post", validate=validate.OneOf(("post", "get")))
    submit_label = LocalizedText()   # the button of a get form


class FormKind(SectionKind):
    """Inputs posting to the action named by ``submit`` (or, with ``method: get``, reloading the
    screen with the inputs in its address); fields, if any, are shown above them."""

    name = "form"
    options = FormOptions
    has_form = True
    preview_section = {
        "title": {"ru": "Добровольная блокировка", "en": "Voluntary block"},
        "intro": {
            "ru": "На время блокировки абонентская плата не списывается.",
            "en": "No monthly fee is charged while your services are blocked.",
        },
        "fields": [
            {"type": "money", "key": "fee_per_day", "label": {"ru": "Стоимость в сутки", "en": "Fee per day"},
             "value": "block_terms.fee_per_day"},
        ],
        "inputs": [
            {"name": "days", "type": "number", "label": {"ru": "Срок блокировки, дней", "en": "Block for, days"},
             "required": True, "min": 7, "max": 90,
             "help": {"ru": "От 7 до 90 дней", "en": "From 7 to 90 days"}},
        ],
        "submit": "block",
    }
    preview_data = {"block_terms": {"min_days": 7, "max_days": 90, "fee_per_day": "1.00", "blocked": False}}

    def posts_to(self, section: Any) -> str | None:
        return None if section.options["method"] == "get" else section.submit

    def query_names(self, section: Any) -> Mapping[str, str]:
        return {i.name: "input" for i in section.inputs} if section.options["method"] == "get" else {}

    def build(self, section: Any, view: Any, page: Any) -> None:
        super().build(section, view, page)
        if section.options["method"] == "get":
            view.form = page.query_form(section, section.options.get("submit_label"))

    def check(self, section: Any, node: Mapping[str, Any]) -> Iterable[Problem]:
        if section.options["method"] == "get":
            if "submit" in node:
                yield ("submit",), ("a form with method: get shows this screen again with its inputs in the "
                                    "address; it takes submit_label, not submit")
        elif "submit" not in node:
            yield ("submit",), "a form needs submit: the id of an action"


class ActionBarKind(SectionKind):
    name = "action_bar"
    preview_section = {"actions": ["top_up", "block"]}
    preview_data = {}
