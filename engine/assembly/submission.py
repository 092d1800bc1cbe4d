"""Check a posted form against the compiled schema and the screen's own data, as the server sees them.

The action must be offered where the post says it comes from: a section shown now, not degraded,
the action's rule (``visible_if``) met. Every input's value must pass its rules, and the button of
an item must name an item the screen offers now, on the page of the list the button was on (the
post names the page and the search; the server reads that page again). What comes out is the form
the action runs with; nothing else of the post is believed, so a confirmation page and the billing
see only values the server worked out or checked.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping

from ..billing.records import Page, as_data
from ..schema.expressions import truthy
from ..schema.model import ActionSpec, InputSpec, ItemAction, ScreenSpec, SectionSpec
from .calls import Outcome
from .forms import check_value, refusal_message
from .paging import PAGE_FIELD, SEARCH_FIELD, billed_page, items_outcome, listing_of, page_of, requested_page

#: posted names the engine reads itself; everything else is an input's value or ignored
CONTROL_NAMES = frozenset({"csrf_token", "_screen", "_section", "_key", "_confirmed", "account", PAGE_FIELD,
                           SEARCH_FIELD})


@dataclass
class FormRefused(Exception):
    """The form is refused: ``errors`` (input name -> message) when values broke their rules, or
    only ``message`` when the form as a whole is not offered now."""

    message: str
    section_id: str | None = None
    errors: dict[str, str] = field(default_factory=dict)
    result: str = "invalid"              # for the audit log: invalid | refused

    def __str__(self) -> str:
        return self.message


class FormUnavailable(Exception):
    """The data the form depends on could not be read (the billing is down): nothing can be checked."""


@dataclass(frozen=True)
class CheckedForm:
    section_id: str | None
    values: dict[str, Any]               # input name -> checked value, as the action sees ``form``


def check_form(screen: ScreenSpec, action: ActionSpec, posted: Mapping[str, str], context: Mapping[str, Any],
               outcomes: Mapping[str, Outcome], gettext, fmt) -> CheckedForm:
    """The form of ``action`` posted from ``screen``, checked; raises ``FormRefused`` or
    ``FormUnavailable``. ``context`` and ``outcomes`` are the screen's data loaded for this request."""
    _ = gettext
    wanted = posted.get("_section") or None
    optional = {name for name, call in screen.data.items() if call.optional}
    broken = {name for name, outcome in outcomes.items() if not outcome.ok and name not in optional}
    offers = [(section, how) for section, how in _offers(screen.sections, action.id, context, broken)
              if wanted is None or section.id == wanted]
    if not offers:
        raise FormRefused(_("This action is not available here now. Reload the page and try again."),
                          result="refused")
    if any(how == "degraded" for _section, how in offers):
        raise FormUnavailable(action.id)
    if action.visible_if is not None and not truthy(action.visible_if.evaluate(context)):
        raise FormRefused(_("This action is not available for your account now."), offers[0][0].id,
                          result="refused")
    for section, how in offers:
        if how == "items":
            values = _matching_item(section, action.id, posted, context, outcomes)
            if values is not None:
                return CheckedForm(section.id, values)
    for section, how in offers:
        if how == "form":
            return CheckedForm(section.id, _checked_inputs(section, posted, context, gettext, fmt))
    if any(how == "button" for _section, how in offers):
        return CheckedForm(offers[0][0].id, {})
    raise FormRefused(_("This choice is no longer offered. Reload the page and choose again."),
                      offers[0][0].id, result="refused")


def _offers(sections, action_id: str, context, broken: set[str]) -> Iterator[tuple[SectionSpec, str]]:
    """Sections shown now that offer the action, each with how: form | items | button | degraded
    (the page shows the section degraded, as ``PageBuilder.section`` does, when its data failed)."""
    for section in sections:
        if section.depends_on & broken:
            if _offered_in([section], action_id):
                yield section, "degraded"
            continue
        if section.visible_if is not None and not truthy(section.visible_if.evaluate(context)):
            continue
        if section.kind.posts_to(section) == action_id:
            yield section, "form"
        if any(a.action == action_id for a in section.item_actions):
            yield section, "items"
        if action_id in section.actions:
            yield section, "button"
        yield from _offers(section.children, action_id, context, broken)


def _offered_in(sections, action_id: str) -> bool:
    """Whether any of the sections, or a section inside them, offers the action in any way."""
    return any(s.submit == action_id or action_id in s.actions or any(a.action == action_id for a in s.item_actions)
               or _offered_in(s.children, action_id) for s in sections)


def _matching_item(section: SectionSpec, action_id: str, posted: Mapping[str, str],
                   context: Mapping[str, Any], outcomes: Mapping[str, Outcome]) -> dict[str, Any] | None:
    """The values of the item whose button was pressed, from the server's own data: the posted
    values only pick the item, and must all agree with it."""
    for item in _offered_items(section, posted, context, outcomes):
        data = item if isinstance(item, Mapping) else {"value": item}
        for item_action in section.item_actions:
            if item_action.action == action_id and item_action.offered_on(data) and _agrees(item_action, data, posted):
                return {name: expr.evaluate(data) for name, expr in item_action.params.items()}
    return None


def _offered_items(section: SectionSpec, posted: Mapping[str, str], context: Mapping[str, Any],
                   outcomes: Mapping[str, Outcome]) -> list:
    """The items of the page of the list the button was on, as the server reads them now: the
    posted page and search term only choose which page is read (the billing's page, read again
    when the billing pages the list, or the engine's own cut of the whole list)."""
    items = section.items.evaluate(context) if section.items is not None else None
    items = items if isinstance(items, list) else []
    listing = listing_of(section)
    if listing is None:
        return items
    page = requested_page(posted.get(PAGE_FIELD))
    term = listing.term({listing.search_param: posted.get(SEARCH_FIELD, "")})
    outcome = items_outcome(section, outcomes)
    if outcome is not None and outcome.window is not None and outcome.window.reread is not None \
            and isinstance(outcome.record, Page) and billed_page(outcome, listing, page, term) is None:
        # the billing pages this list and the screen was loaded at another page: read that page
        outcome = outcome.window.reread(page, term)
        if not outcome.ok:
            raise FormUnavailable(section.id)
        items = outcome.value if isinstance(outcome.value, list) else []
    return page_of(listing, items, page, term, billed_page(outcome, listing, page, term)).items


def _agrees(item_action: ItemAction, item: Mapping[str, Any], posted: Mapping[str, str]) -> bool:
    return all(posted.get(name, "") == value for name, value in item_action.form_values(item).items())


def _checked_inputs(section: SectionSpec, posted: Mapping[str, str], context: Mapping[str, Any],
                    gettext, fmt) -> dict[str, Any]:
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for spec in section.inputs:
        if spec.kind.trap:              # never a value of the form
            continue
        # an input's bounds may read the inputs above it that passed (an end date after the start)
        value, refusal = check_value(spec, posted.get(spec.name), {**context, "form": as_data(values)})
        if refusal is not None:
            errors[spec.name] = _message(spec, refusal, context, gettext, fmt)
        else:
            values[spec.name] = "" if value is None else value
    if errors:
        _ = gettext
        raise FormRefused(_("Check the highlighted fields."), section.id, errors)
    return values


def _message(spec: InputSpec, refusal, context, gettext, fmt) -> str:
    if spec.message is not None:
        return spec.message.render(fmt.locale, context, fmt)
    label = spec.label.render(fmt.locale, context, fmt) if spec.label is not None else spec.name
    return refusal_message(refusal, label, gettext, fmt)
