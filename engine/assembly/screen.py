"""Run one screen for one user: ownership first, then the data plan, then the page model."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Callable, Mapping

from ..billing.contract import OPERATIONS
from ..kinds.listing import Listing
from ..schema.content import localized
from ..schema.model import Cabinet, DataCall, ScreenSpec
from .calls import CallSession, Outcome, Window
from .ownership import NotOwned, Ownership, OwnershipUnknown
from .page import Links, PageBuilder, SubmittedForm
from .paging import requested_page, window_for
from .params import CallContext, InvalidParam, NotForThisUser, fill_params
from .views import PageView

# A route parameter with one of these names names an account or a service: checked before use.
OWNED_PARAM_NAMES: dict[str, str] = {
    p.name: p.owned for op in OPERATIONS.values() for p in op.params if p.owned
}


@dataclass(frozen=True)
class Identity:
    """Who is asking, as the engine needs it (the auth layer provides it)."""

    login: str
    name: str
    roles: frozenset[str]
    subscriber_id: str | None = None
    dealer_id: str | None = None

    def as_data(self) -> dict[str, Any]:
        return {"login": self.login, "name": self.name, "roles": sorted(self.roles)}


@dataclass
class ScreenRequest:
    cabinet: Cabinet
    screen: ScreenSpec
    identity: Identity
    route_params: Mapping[str, str]
    wanted_account: str | None
    formatter: Any
    links: Links
    gettext: Callable[[str], str]
    today: date
    flash: list[tuple[str, str]] = field(default_factory=list)
    query: Mapping[str, str] = field(default_factory=dict)
    #: the account was named in this request (not remembered from before): someone else's is a 404
    account_named: bool = False
    #: runs an engine handler's data call: ``run_handler(name, params) -> Outcome``
    run_handler: Callable[[str, dict], Outcome] | None = None
    #: a form that was refused: shown again with the submitted values and a message at each input
    submitted: SubmittedForm | None = None


def select_account(accounts: list[dict], wanted: str | None) -> str | None:
    ids = [a["id"] for a in accounts]
    if wanted in ids:
        return wanted
    return ids[0] if ids else None


def base_context(req: "ScreenRequest", route_params: Mapping[str, str], selected: str | None) -> dict:
    """What every expression may read besides the screen's data (see RESERVED_ROOTS)."""
    return {"params": dict(route_params), "query": dict(req.query), "user": req.identity.as_data(),
            "account_id": selected, "today": req.today.isoformat(),
            "month_start": req.today.replace(day=1).isoformat()}


@dataclass
class LoadedScreen:
    """A screen's data for one user: what its expressions read, and how each call went."""

    context: dict[str, Any]
    outcomes: dict[str, Outcome]
    accounts: list[dict]
    selected: str | None
    ownership: Ownership


def load_screen(req: ScreenRequest, calls: CallSession, accounts_cache=None) -> LoadedScreen:
    """Check the route's ids, then run the screen's data plan (billing calls run concurrently).
    Raises ``NotOwned`` when a route names someone else's account or service (answer 404)."""
    ownership = Ownership(calls, req.identity.subscriber_id, accounts_cache)
    try:
        accounts = ownership.accounts()
        ownership_known = True
    except OwnershipUnknown:
        accounts, ownership_known = [], False
    selected = select_account(accounts, req.wanted_account)
    if ownership_known and req.account_named and selected != req.wanted_account:
        raise NotOwned(req.wanted_account)
    if ownership_known:
        for name, value in req.route_params.items():
            if name in OWNED_PARAM_NAMES:
                ownership.check(OWNED_PARAM_NAMES[name], value)

    context = base_context(req, req.route_params, selected)
    call_ctx = CallContext(context, req.route_params, {}, selected, req.identity.subscriber_id,
                           req.identity.dealer_id)
    keys: dict[str, tuple] = {}
    windows: dict[str, Window] = {}
    outcomes: dict[str, Outcome] = {}
    for name, call in req.screen.data.items():
        if call.content is not None:
            outcomes[name] = read_content(req.cabinet.content[call.content], call.item_id, context,
                                          req.identity.roles, req.formatter.locale)
            continue
        assert call.operation is not None       # a call without an operation reads content (above)
        try:
            if not ownership_known and any(p.owned for p in call.operation.params):
                raise OwnershipUnknown(name)
            ctx = call_ctx
            listing = req.screen.paged.get(name)
            window = _paged_window(listing, call, calls, ownership, call_ctx, req.query) if listing else None
            if window is not None:            # one page of a long list: the billing gives just that
                windows[name] = window
                ctx = replace(call_ctx, paging=window.params())
            params = fill_params(call.operation, call.params, ctx, ownership)
            if call.handler is not None:      # the engine's own data: local and quick
                outcomes[name] = (req.run_handler(call.handler, params) if req.run_handler
                                  else Outcome(error="unavailable"))
                continue
            keys[name] = calls.submit(call.operation.name, params, call.timeout)
        except OwnershipUnknown:
            outcomes[name] = Outcome(error="unavailable")
        except NotForThisUser:
            outcomes[name] = Outcome(error="forbidden")
        except InvalidParam:
            outcomes[name] = Outcome(error="invalid")
    for name, key in keys.items():
        outcome = calls.result(key)
        outcomes[name] = replace(outcome, window=windows[name]) if name in windows else outcome
    context.update({name: o.value for name, o in outcomes.items()})
    return LoadedScreen(context, outcomes, accounts, selected, ownership)


def _paged_window(listing: Listing, call: DataCall, calls: CallSession, ownership: Ownership,
                  call_ctx: CallContext, query: Mapping[str, str]) -> Window | None:
    """The page of ``call`` the request's query asks for, as a window for the billing (None: the
    binding cannot give that page, so the whole list is read). Its ``reread`` reads another page
    of the same list in this request, for the check of an item's button."""
    assert call.operation is not None           # the plan names billing operations only
    operation = call.operation
    supported = calls.binding.paging(operation.name)

    def reread(page: int, term: str) -> Outcome:
        window = window_for(listing, supported, page, term)
        try:
            params = fill_params(operation, call.params, replace(call_ctx, paging=window.params() if window else {}),
                                 ownership)
        except (OwnershipUnknown, InvalidParam, NotForThisUser):
            return Outcome(error="unavailable")
        outcome = calls.call(operation.name, params, call.timeout)
        return replace(outcome, window=replace(window, reread=reread)) if window is not None else outcome

    window = window_for(listing, supported, requested_page(query.get(listing.page_param)), listing.term(query))
    return replace(window, reread=reread) if window is not None else None


def run_screen(req: ScreenRequest, calls: CallSession, accounts_cache=None) -> PageView:
    """Raises ``NotOwned`` when a route names someone else's account or service (answer 404)."""
    loaded = load_screen(req, calls, accounts_cache)
    # links to other pages of a list keep the query, and the account when the address named it
    link_query = dict(req.query)
    if req.account_named and loaded.selected:
        link_query["account"] = loaded.selected
    builder = PageBuilder(req.cabinet, req.screen, loaded.outcomes, loaded.context, req.formatter, req.links,
                          req.gettext, set(req.identity.roles), req.submitted, link_query=link_query)
    return builder.build(loaded.accounts, loaded.selected, req.flash)


def read_content(collection, item_id, context: Mapping[str, Any], roles, locale: str) -> Outcome:
    """A content collection as data: the items this user may see, or the one ``item_id`` names."""
    items = collection.visible(roles)
    if item_id is None:
        return Outcome(value=[localized(item, locale) for item in items])
    wanted = item_id.evaluate(context)
    found = next((item for item in items if item.id == str(wanted)), None)
    return Outcome(value=localized(found, locale)) if found else Outcome(error="not_found")


GUEST = Identity(login="", name="", roles=frozenset({"guest"}))


__all__ = ["Identity", "ScreenRequest", "LoadedScreen", "load_screen", "run_screen", "NotOwned", "select_account", "base_context", "GUEST"]
