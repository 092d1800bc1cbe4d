"""Build the page model of a screen from its compiled spec and the outcomes of its data calls.

No Flask here: URLs come from a ``Links`` object and UI texts from a ``gettext`` callable, so the
same builder serves HTML, JSON and the preview.
"""
from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from typing import Any, Callable, Protocol

from ..kinds.base import Presented
from ..kinds.listing import Listing
from ..schema.expressions import Text, TextFailed, truthy
from ..schema.model import ActionSpec, Cabinet, FieldSpec, InputSpec, ScreenSpec, SectionSpec
from .calls import Outcome
from .forms import SubmittedForm, bound, offered_choices
from .paging import ListPage, billed_page, items_outcome, listing_of, page_of, pointing_values, requested_page
from .views import (
    AccountChoice, ActionView, FieldView, FormView, InputView, ItemView, NavItemView, PageView, PagerView,
    SectionView,
)


log = logging.getLogger(__name__)


class Links(Protocol):
    def screen(self, screen_id: str, params: Mapping[str, Any]) -> str | None:
        """The address of a screen, or None when ``params`` lack what its route needs; values its
        route does not take go into the query (``?page=2``)."""
    def action(self, action_id: str) -> str: ...


class PageBuilder:
    def __init__(self, cabinet: Cabinet, screen: ScreenSpec, outcomes: Mapping[str, Outcome],
                 context: Mapping[str, Any], formatter, links: Links, gettext: Callable[[str], str],
                 roles: set[str], submitted: SubmittedForm | None = None,
                 link_query: Mapping[str, str] | None = None):
        self.cabinet = cabinet
        self.submitted = submitted
        self.screen = screen
        self.outcomes = outcomes
        self.context = context
        self.fmt = formatter
        self.locale = formatter.locale
        self.links = links
        self._ = gettext
        self.roles = roles
        #: what a link to another page of a list keeps of this page's address (the search term ...)
        self.link_query = dict(context.get("query") or {}) if link_query is None else dict(link_query)
        # one key per rendered form: a double submit carries the same key, so it has one effect
        self.request_key = secrets.token_urlsafe(16)
        self._labels: dict[int, str] = {}

    # --- texts ---------------------------------------------------------------------------------
    def text(self, text: Text | None, context: Mapping[str, Any] | None = None) -> str:
        """An operator text; raises ``TextFailed`` when it goes over its budget (its section degrades)."""
        if text is None:
            return ""
        return text.render_or_fail(self.locale, self.context if context is None else context, self.fmt)

    def label(self, spec: FieldSpec) -> str:
        """A field's label: read on the screen's data, never on an item, so the same on every row
        of a list (rendered once per request)."""
        label = self._labels.get(id(spec))
        if label is None:
            label = self._labels[id(spec)] = self.text(spec.label)
        return label

    def failure_message(self, failed: list[Outcome]) -> str:
        reasons = [o.reason for o in failed if o.error == "rejected" and o.reason]
        if reasons and len(reasons) == len(failed):
            return reasons[0]
        if all(o.error == "not_found" for o in failed):
            return self._("This information was not found.")
        if any(o.error == "invalid" for o in failed):
            return self._("The address of this page has a value that is not valid. Check it and try again.")
        if any(o.error == "forbidden" for o in failed):
            return self._("This information is not available for your account.")
        return self._("This information is temporarily unavailable. Please try again later.")

    # --- page ------------------------------------------------------------------------------------
    def build(self, accounts: list[dict], selected_account: str | None, flash: list[tuple[str, str]]) -> PageView:
        parent = self.cabinet.screens.get(self.screen.parent) if self.screen.parent else None
        back_url = None
        if parent is not None:
            params = {p: self.context["params"].get(p) for p in parent.route_params}
            back_url = self.links.screen(parent.id, params)
        return PageView(
            screen_id=self.screen.id,
            title=self.screen.title.render(self.locale, self.context, self.fmt),
            sections=[view for spec in self.screen.sections if (view := self.section(spec)) is not None],
            navigation=[
                # a tab's screen takes no parameters (the compiler checks), so its address always builds
                NavItemView(item.screen, item.title.render(self.locale, self.context, self.fmt),
                            self.links.screen(item.screen, {}) or "", item.icon, item.screen == self.screen.id)
                for item in self.cabinet.navigation
                if self.roles & set(self.cabinet.screens[item.screen].roles)
            ],
            accounts=[AccountChoice(a["id"], str(a.get("number", a["id"])), a["id"] == selected_account)
                      for a in accounts],
            back_url=back_url,
            flash=flash,
        )

    def section(self, spec: SectionSpec) -> SectionView | None:
        """The section's view; degraded when data it reads failed, or when one of its operator
        texts went over its budget (the rest of the page is unaffected)."""
        try:
            return self._section(spec)
        except TextFailed as exc:
            log.warning("section %s of screen %s: an operator text was refused: %s", spec.id, self.screen.id, exc)
            return SectionView(id=spec.id, kind=spec.kind.name, template=spec.kind.template, state="degraded",
                               message=self._("This part of the page cannot be shown."))

    def _section(self, spec: SectionSpec) -> SectionView | None:
        failed = [self.outcomes[name] for name in sorted(spec.depends_on)
                  if not self.outcomes[name].ok and not self._optional(name)]
        view = SectionView(id=spec.id, kind=spec.kind.name, template=spec.kind.template, title=self.text(spec.title))
        if failed:
            view.state, view.message = "degraded", self.failure_message(failed)
            return view
        if spec.visible_if is not None and not truthy(spec.visible_if.evaluate(self.context)):
            return None
        view.options = {k: self.text(v) if isinstance(v, Text) else v for k, v in spec.options.items()}
        view.actions = [a for action_id in spec.actions
                        if (a := self.action(self.cabinet.actions[action_id], spec.id))]
        view.children = [c for child in spec.children if (c := self.section(child)) is not None]
        spec.kind.build(spec, view, self)        # its items, fields or form: the kind knows which
        return view

    # --- what a kind draws (SectionKind.build) -------------------------------------------------------
    def fields(self, spec: SectionSpec) -> list[FieldView]:
        """The section's fields, read on the screen's data."""
        return [f for field in spec.fields if (f := self.field(field, self.context)) is not None]

    def items(self, spec: SectionSpec) -> tuple[list[ItemView], PagerView | None]:
        """The section's items, and its pager when its kind shows them a page at a time."""
        assert spec.items is not None        # called for sections with items
        items = spec.items.evaluate(self.context)
        items = items if isinstance(items, list) else []
        listing = listing_of(spec)
        if listing is None:
            return [self.item(spec, item) for item in items], None
        shown = self.page(spec, listing, items)
        pointing = pointing_values(shown, listing.term(self.context["query"]))
        return [self.item(spec, item, pointing) for item in shown.items], self.pager(listing, shown)

    # --- pages of a list -----------------------------------------------------------------------------
    def page(self, spec: SectionSpec, listing: Listing, items: list) -> ListPage:
        """The page of the section's items the query asks for: the billing's own page when it paged
        the call (the screen's plan allowed it), otherwise searched and cut out of the whole list."""
        query = self.context["query"]
        page, term = requested_page(query.get(listing.page_param)), listing.term(query)
        outcome = items_outcome(spec, self.outcomes)
        return page_of(listing, items, page, term, billed_page(outcome, listing, page, term))

    def page_url(self, listing: Listing, page: int) -> str | None:
        """This screen with page ``page`` of the list, keeping the rest of the query (page 1: no parameter)."""
        query = {k: v for k, v in self.link_query.items() if k != listing.page_param}
        if page > 1:
            query[listing.page_param] = str(page)
        return self.links.screen(self.screen.id, {**query, **self.context["params"]})

    def pager(self, listing: Listing, shown: ListPage) -> PagerView:
        number = self.fmt.number
        if shown.page_count is not None:
            label = self._("Page %(page)s of %(count)s") % {"page": number(shown.page),
                                                             "count": number(shown.page_count)}
        else:
            label = self._("Page %(page)s") % {"page": number(shown.page)}
        return PagerView(
            page=shown.page, page_size=shown.page_size, param=listing.page_param, label=label,
            page_count=shown.page_count, total=shown.total,
            previous_url=self.page_url(listing, shown.page - 1) if shown.has_previous else None,
            next_url=self.page_url(listing, shown.page + 1) if shown.has_next else None,
            past_end=shown.past_end,
            # past the end: back to the last page, or to the first when the billing did not say how many
            back_url=self.page_url(listing, max(1, min(shown.page_count or 1, shown.page - 1)))
            if shown.past_end else None)

    def _optional(self, name: str) -> bool:
        call = self.screen.data.get(name)
        return call is not None and call.optional

    def item(self, spec: SectionSpec, item: Any, pointing: Mapping[str, str] | None = None) -> ItemView:
        """``pointing``: what the item's buttons carry to name the page of the list they are on."""
        data = item if isinstance(item, Mapping) else {"value": item}
        url = None
        if spec.link is not None:
            url = self.links.screen(spec.link.screen, {k: e.evaluate(data) for k, e in spec.link.params.items()})
        return ItemView(fields=[f for field in spec.fields if (f := self.field(field, data)) is not None], url=url,
                        actions=[a for item_action in spec.item_actions
                                 if (a := self.item_action(item_action, data, spec.id, pointing))])

    def field(self, spec: FieldSpec, data: Mapping[str, Any]) -> FieldView | None:
        if spec.visible_if is not None and not truthy(spec.visible_if.evaluate(data)):
            return None
        value = spec.value.evaluate(data) if spec.value is not None else None
        try:
            presented = spec.kind.present(value, spec.options, self.fmt)
        except Exception:  # a kind that trips on odd billing data shows the value as text
            log.exception("field kind %s could not present %r", spec.kind.name, value)
            presented = Presented(display="" if value is None else str(value))
        display = presented.pop("display", "")
        # what is left of the kind's fresh Presented are the template's attributes: no copy
        return FieldView(kind=spec.kind.name, key=spec.key, label=self.label(spec),
                         value=spec.kind.json_value(value, spec.options), display=display,
                         template=spec.kind.template, attrs=presented)

    # --- actions and forms -------------------------------------------------------------------------
    def hidden_fields(self, section_id: str) -> dict[str, str]:
        """Where the form comes from: the server looks the section up again and checks every value
        against it, so these only point, they never carry a value that is believed."""
        hidden = {name: str(value) for name, value in self.context["params"].items()}
        if self.context.get("account_id"):
            # the account the page showed: switching accounts in another tab must not redirect the action
            hidden["account"] = str(self.context["account_id"])
        hidden["_screen"] = self.screen.id
        hidden["_section"] = section_id
        hidden["_key"] = self.request_key
        return hidden

    def action(self, action: ActionSpec, section_id: str) -> ActionView | None:
        if action.roles and not (self.roles & set(action.roles)):
            return None
        if action.visible_if is not None and not truthy(action.visible_if.evaluate(self.context)):
            return None
        title = self.text(action.title)
        if action.screen is not None:
            target = self.cabinet.screens[action.screen]
            params = {k: e.evaluate(self.context) for k, e in action.params.items()}
            for name in target.route_params:
                params.setdefault(name, self.context["params"].get(name))
            url = self.links.screen(target.id, params)
            if url is None:          # the page lacks a value the target's address needs: no button
                return None
            return ActionView(id=action.id, title=title, style=action.style, icon=action.icon, method="get",
                              url=url)
        # the confirmation text is rendered at the confirmation step, from the submitted form;
        # here it only says that there will be one
        return ActionView(id=action.id, title=title, style=action.style, icon=action.icon, method="post",
                          url=self.links.action(action.id), confirm="1" if action.confirm else "",
                          hidden=self.hidden_fields(section_id))

    def item_action(self, item_action, item: Mapping[str, Any], section_id: str,
                    pointing: Mapping[str, str] | None = None) -> ActionView | None:
        """The action's button for one item; the item's values ride along to name the item, and the
        page and search of the list to name where it was (the server reads that page again, finds
        the item on it and uses its own values)."""
        if not item_action.offered_on(item):
            return None
        view = self.action(self.cabinet.actions[item_action.action], section_id)
        if view is not None:
            view.hidden = {**view.hidden, **(pointing or {}), **item_action.form_values(item)}
        return view

    def form(self, spec: SectionSpec) -> FormView:
        """The section's form, posting to the action its kind says (``SectionKind.posts_to``)."""
        action_id = spec.kind.posts_to(spec)
        assert action_id is not None        # called for sections whose form posts an action
        action = self.cabinet.actions[action_id]
        submitted = self.submitted if self.submitted and self.submitted.section_id == spec.id else None
        return FormView(url=self.links.action(action.id), inputs=[self.input(i, submitted) for i in spec.inputs],
                        submit=self.text(action.title), hidden=self.hidden_fields(spec.id),
                        error=submitted.message if submitted else "")

    def query_form(self, spec: SectionSpec, submit_label: Text | None = None) -> FormView:
        """A form whose inputs become this screen's query: no action, no CSRF, nothing changes."""
        url = self.links.screen(self.screen.id, self.context["params"]) or ""
        return FormView(url=url, inputs=[self.input(i) for i in spec.inputs], method="get",
                        submit=self.text(submit_label) or self._("Show"))

    def input(self, spec: InputSpec, submitted: SubmittedForm | None = None) -> InputView:
        choices = offered_choices(spec, self.context, self.text)
        if submitted is not None and not (spec.kind.secret or spec.kind.trap):
            value = submitted.values.get(spec.name, "")     # what the person typed, to correct it
        else:
            default = spec.default.evaluate(self.context) if spec.default is not None else ""
            value = "" if default is None else str(default)
        low, high = bound(spec.min, self.context), bound(spec.max, self.context)
        return InputView(name=spec.name, label=self.text(spec.label), type=spec.type,
                         value=value, required=spec.required, choices=choices,
                         min=None if low is None else str(low), max=None if high is None else str(high),
                         step=spec.step, help=self.text(spec.help),
                         error=submitted.errors.get(spec.name, "") if submitted else "",
                         max_length=spec.max_length, min_length=spec.min_length,
                         pattern=spec.pattern.pattern if spec.pattern is not None else None)
