"""Turn a request into a ``ScreenRequest`` and run it: shared by the HTML views and the JSON API."""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any, Mapping, cast
from zoneinfo import ZoneInfo

from flask import abort, get_flashed_messages, request, session, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BuildError, MapAdapter

from ..assembly.calls import Outcome
from ..assembly.forms import SubmittedForm
from ..assembly.handlers import HandlerContext, perform
from ..assembly.ownership import NotOwned
from ..assembly.screen import Identity, ScreenRequest, run_screen
from ..assembly.views import PageView
from ..kinds.formatting import Formatter
from ..schema.model import Cabinet, ScreenSpec
from ..state.writes import DONE, REFUSED
from .i18n import request_locale, template_gettext
from .routes import Route
from .runtime import LiveCabinet, live, runtime

SESSION_ACCOUNT = "account"
#: set when a change's answer was lost: this user's pages then say what it came to once known
WRITES_UNSETTLED = "writes_unsettled"


class FlaskLinks:
    """URLs of screens (from the cabinet's own route map) and of actions."""

    def __init__(self, adapter: MapAdapter, current: LiveCabinet | None = None):
        self.adapter = adapter
        self.current = current
        self.script_root = adapter.script_name

    def screen(self, screen_id: str, params: Mapping[str, Any]) -> str | None:
        values = {k: str(v) for k, v in params.items() if v is not None and v != ""}
        route = self._route(screen_id)
        if route is not None:
            # a page builds a link per item and tab: put together here, not through werkzeug's builder
            built = route.build(self.script_root, values)
            if built is not None:
                return built
        try:
            return self.adapter.build(screen_id, values)
        except BuildError:
            return None          # an item without the id its link needs: show it, just not as a link

    def _route(self, screen_id: str) -> Route | None:
        return self.current.routes.get(screen_id) if self.current is not None else None

    def action(self, action_id: str) -> str:
        return url_for("cabinet.action", action_id=action_id)


def url_adapter() -> MapAdapter:
    return live().adapter(request.script_root)


def links() -> FlaskLinks:
    """The links of this request's pages."""
    current = live()
    return FlaskLinks(current.adapter(request.script_root), current)


def match_screen(path: str) -> tuple[ScreenSpec, dict[str, str]]:
    current = live()
    try:
        screen_id, params = url_adapter().match("/" + path.lstrip("/"), method="GET")
    except HTTPException:  # not found, a redirect suggestion, a method mismatch: no such screen
        abort(404)
    # a schema's routes take <name> parameters only: the default converter, a string each
    return current.cabinet.screens[screen_id], cast("dict[str, str]", params)


def formatter_for(cabinet: Cabinet) -> Formatter:
    operator = cabinet.operator
    return _formatter(request_locale(cabinet), operator.currency, operator.timezone)


@lru_cache(maxsize=64)
def _formatter(locale: str, currency: str, timezone: str) -> Formatter:
    # a Formatter only reads what it was made with, so one per locale serves every request
    return Formatter(locale, currency, timezone)


def screen_request(screen: ScreenSpec, params: Mapping[str, str], identity: Identity,
                   with_flash: bool = True, submitted: SubmittedForm | None = None,
                   account: str | None = None) -> ScreenRequest:
    """``account``: the account a posted body names (a JSON post has no form values)."""
    cabinet = live().cabinet
    named = account or request.values.get("account")
    if not (set(screen.roles) & set(identity.roles)):
        abort(404)   # a screen of another role does not exist for this user
    return ScreenRequest(
        cabinet=cabinet, screen=screen, identity=identity, route_params=dict(params),
        wanted_account=named or session.get(SESSION_ACCOUNT),
        formatter=formatter_for(cabinet), links=links(), gettext=template_gettext,
        today=datetime.now(ZoneInfo(cabinet.operator.timezone)).date(),
        # with categories Flask gives (category, message) pairs; its annotation also allows plain messages
        flash=_with_writes_news(cast("list[tuple[str, str]]", get_flashed_messages(with_categories=True)), identity)
        if with_flash else [],
        account_named=bool(named),
        query={k: v for k, v in request.args.items() if k != "account"},
        run_handler=lambda name, params: _handler_data(name, params, identity, cabinet),
        submitted=submitted,
    )


def _with_writes_news(flashed: list[tuple[str, str]], identity: Identity) -> list[tuple[str, str]]:
    """The page's messages, and what became of this user's changes whose answer was lost (asked
    only while one is unsettled); "still being checked" only on a page that says nothing else
    (the action's own answer already says so)."""
    if not session.get(WRITES_UNSETTLED):
        return flashed
    news, waiting = list(flashed), False
    for write in runtime().writes.news_for(identity.login or "anonymous"):
        if write.state == DONE:
            news.append(("success", _("We have checked your earlier request: it went through.")))
        elif write.state == REFUSED:
            news.append(("error", _("We have checked your earlier request: it was not carried out. %(reason)s",
                                    reason=write.reason).strip()))
        else:
            waiting = True
    if not waiting:
        session.pop(WRITES_UNSETTLED, None)
    elif not flashed:
        news.append(("info", _("Your earlier request is still being checked. Please do not send it again.")))
    return news


def _handler_data(name: str, params: dict, identity: Identity, cabinet: Cabinet) -> Outcome:
    """A screen's data from an engine handler (``data: {x: {handler: name}}``)."""
    rt = runtime()
    context = HandlerContext(identity, request_locale(cabinet), cabinet,
                             rt.handler_services())
    return perform(rt.handlers.get(name), params, context)


def build_page(screen: ScreenSpec, params: Mapping[str, str], identity: Identity, with_flash: bool = True,
               submitted: SubmittedForm | None = None) -> PageView:
    rt = runtime()
    req = screen_request(screen, params, identity, with_flash, submitted)
    try:
        return run_screen(req, rt.calls(), rt.accounts_cache)
    except NotOwned:
        abort(404)
