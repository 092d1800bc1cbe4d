"""What the engine is compared with in ``make bench``.

``create_baseline``: hand-written Flask views of three demo screens (home and history as demo1,
the dealer's subscriber list as demo2). Each calls the demo billing directly and builds the page
by hand, formats sums, numbers and dates with Babel's functions (as a Flask app with Flask-Babel
does), and renders it with the same theme templates, so the HTML is the same as the engine's (the
benchmark checks it before measuring).

``create_minimal``: a minimal Flask app with the theme's static folder (Flask's own static route)
and a ``/healthz`` answering the engine's JSON from values held in memory, as the engine's does.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal
from babel.support import Translations
from flask import Flask, jsonify, render_template, request, session, url_for
from flask_wtf.csrf import CSRFProtect
from jinja2 import FileSystemLoader

from engine.assembly.views import (
    AccountChoice, ActionView, FieldView, FormView, InputView, ItemView, NavItemView, PagerView, PageView,
    SectionView,
)
from engine.billing.demo import DemoBilling
from engine.config import PROJECT_ROOT
from engine.kinds import template_globals
from engine.schema.palette import dark_palette, light_palette
from engine.web.i18n import CATALOGS

STATUS = {"active": ("Активна", "success"), "blocked": ("Заблокирована вами", "info"),
          "suspended": ("Приостановлена", "danger"), "pending": ("Подключается", "warning"),
          "closed": ("Отключена", "neutral")}
REASONS = {"debt": ("Недостаточно средств на счёте. Пополните баланс или подключите обещанный платёж.", "danger"),
           "documents": ("Не хватает документа по договору. Обратитесь в офис или в поддержку.", "warning"),
           "fraud_check": ("Идёт проверка безопасности. Обратитесь в поддержку.", "warning")}
MOSCOW = ZoneInfo("Europe/Moscow")
RU = Locale.parse("ru")

COLORS = {"primary": "#0067D6", "on_primary": "#FFFFFF", "bg": "#F2F4F7", "surface": "#FFFFFF", "text": "#1C1C1E",
          "muted": "#5F6368"}
LIGHT = light_palette(COLORS)
BRANDING = {"colors": COLORS, "font": "Inter", "radius": 12, "logo_url": "",
            "light": dict(LIGHT), "dark": dict(dark_palette(LIGHT))}
SUBSCRIBER_TABS = [("home", "Главная", "/", "home"), ("payment", "Оплата", "/payment", "wallet"),
                   ("news", "Новости", "/news", "news"), ("support", "Поддержка", "/support", "support")]
DEALER_TABS = [("dealer_home", "Главная", "/dealer", "home"),
               ("dealer_subscribers", "Абоненты", "/dealer/subscribers", "user"),
               ("news", "Новости", "/news", "news"), ("support", "Поддержка", "/support", "support")]


PAGE_SIZE = 50                 # lists and tables show this many rows a page (the engine's default)
MAX_BILLING_SEARCH = 200       # a longer search term is not sent to the billing
PAGE_NUMBER = re.compile(r"\s*\+?(\d{1,7})\s*")


def requested_page() -> int:
    match = PAGE_NUMBER.fullmatch(request.args.get("page", ""))
    return max(1, int(match.group(1))) if match else 1


def navigation(tabs, current: str) -> list[NavItemView]:
    return [NavItemView(screen, title, url, icon, screen == current) for screen, title, url, icon in tabs]


def languages() -> list[dict]:
    back = urlencode({"next": request.full_path.rstrip("?")})
    return [{"code": "ru", "title": "Русский", "url": f"/language/ru?{back}", "active": True},
            {"code": "en", "title": "English", "url": f"/language/en?{back}", "active": False}]


def render_page(page: PageView, user: dict) -> str:
    return render_template("screen.html", page=page, operator_name="Демо Телеком", locale="ru",
                           current_user=user, languages=languages(), branding=BRANDING, text_direction="ltr",
                           pwa_theme_color=LIGHT["primary"])


def create_baseline(secret_key: str, billing_url: str) -> Flask:
    app = Flask("baseline", static_folder=None)
    # the engine's session settings: the same cookie, not written again on every page
    app.config.update(SECRET_KEY=secret_key, SESSION_COOKIE_NAME="cabinet_session", SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax", PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
                      SESSION_REFRESH_EACH_REQUEST=False, WTF_CSRF_TIME_LIMIT=None)
    app.jinja_loader = FileSystemLoader(str(PROJECT_ROOT / "themes" / "base" / "templates"))
    translations = Translations.load(str(CATALOGS), ["ru"])

    def _(string: str, **variables) -> str:          # gettext with %(name)s values, as flask-babel's
        text = translations.gettext(string)
        return text % variables if variables else text

    app.jinja_env.globals.update(template_globals())
    app.jinja_env.globals.update(_=_)
    # a real CSRF token in the sign-out form, as any hand-written Flask app would have (Flask-WTF)
    CSRFProtect(app)
    billing = DemoBilling(database_url=billing_url)

    @app.route("/static/<path:filename>", endpoint="static")
    def static(filename):
        return ""

    @app.route("/logout", endpoint="auth.logout", methods=["POST"])
    @app.route("/account", endpoint="cabinet.switch_account")
    @app.route("/manifest.webmanifest", endpoint="pwa.manifest")
    @app.route("/icons/<int:size>.png", endpoint="pwa.icon")
    def unused(**_):
        return ""

    def subscriber():
        user = session.get("user")
        return user if user and user.get("subscriber_id") else None

    def text(key, label, value):
        return FieldView("text", key, label, value, value, "fields/text.html")

    def page_url(endpoint: str, page: int) -> str:
        """This page with page ``page`` of its list, the rest of the query kept (page 1: no parameter)."""
        query = {k: v for k, v in request.args.items() if k not in ("page", "account") and v != ""}
        if page > 1:
            query["page"] = str(page)
        return url_for(endpoint, **query)

    def pager(endpoint: str, page: int, total: int | None, has_next: bool, past_end: bool) -> PagerView:
        count = max(1, -(-total // PAGE_SIZE)) if total is not None else None
        if count is not None:
            label = _("Page %(page)s of %(count)s") % {"page": format_decimal(page, locale=RU),
                                                        "count": format_decimal(count, locale=RU)}
        else:
            label = _("Page %(page)s") % {"page": format_decimal(page, locale=RU)}
        return PagerView(page, PAGE_SIZE, "page", label, count, total,
                         previous_url=page_url(endpoint, page - 1) if page > 1 and not past_end else None,
                         next_url=page_url(endpoint, page + 1) if has_next else None, past_end=past_end,
                         back_url=page_url(endpoint, max(1, min(count or 1, page - 1))) if past_end else None)

    @app.route("/")
    def home():
        user = subscriber()
        if not user:
            return "sign in", 401
        accounts = billing.accounts(user["subscriber_id"])
        account = billing.account(accounts[0].id)
        services = billing.services(account.id)

        def money(key, label, value):
            return FieldView("money", key, label, value, format_currency(value, "RUB", locale=RU),
                             "fields/money.html", {"negative": value < 0})

        def status(key, value, labels):
            text, tone = labels.get(value, (value, "neutral"))
            return FieldView("status", key, "", value, text, "fields/status.html", {"tone": tone, "code": value})

        fields = [money("balance", "Баланс", account.balance)]
        if account.recommended_payment:
            fields.append(money("recommended", "Рекомендуемый платёж", account.recommended_payment.amount))
            due = account.recommended_payment.due_date
            fields.append(FieldView("date", "due", "Оплатить до", due.isoformat(), format_date(due, locale=RU),
                                    "fields/date.html", {"iso": due.isoformat()}))
        page, count = requested_page(), max(1, -(-len(services) // PAGE_SIZE))
        items = []
        for s in (services[(page - 1) * PAGE_SIZE:page * PAGE_SIZE] if page <= count else []):
            item_fields = [text("name", "", s.name), text("tariff", "Тариф", s.tariff.name),
                           status("status", s.status.value, STATUS)]
            if s.suspension:
                item_fields.append(status("reason", s.suspension.reason_code, REASONS))
            items.append(ItemView(item_fields, f"/services/{s.id}"))
        page_view = PageView(
            screen_id="home", title="Главная",
            sections=[
                SectionView("balance", "balance_card", "sections/balance_card.html", f"Лицевой счёт {account.number}",
                            fields=fields, actions=[
                                ActionView("top_up", "Пополнить", "get", "/payment", "primary", "plus"),
                                ActionView("history", "История", "get", "/history", "secondary", "history"),
                                ActionView("block_services_link", "Блокировка", "get", "/block", "secondary", "lock")]),
                SectionView("services", "list", "sections/list.html", "Мои услуги", items=items,
                            options={"empty_text": "На этом счёте нет услуг"},
                            pager=pager("home", page, len(services), page < count, page > count)),
                SectionView("more", "action_bar", "sections/action_bar.html", actions=[
                    ActionView("account_details", "Лицевой счёт и бонусы", "get", "/account-details"),
                    ActionView("catalog", "Каталог услуг и оборудования", "get", "/catalog"),
                    ActionView("settings", "Настройки", "get", "/settings", "secondary", "settings")]),
            ],
            navigation=navigation(SUBSCRIBER_TABS, "home"),
            accounts=[AccountChoice(a.id, a.number, a.id == account.id) for a in accounts],
        )
        return render_page(page_view, user)

    @app.route("/history")
    def history():
        user = subscriber()
        if not user:
            return "sign in", 401
        accounts = billing.accounts(user["subscriber_id"])
        account = accounts[0]
        today = datetime.now(MOSCOW).date()
        date_from = request.args.get("date_from") or today.replace(day=1).isoformat()
        date_to = request.args.get("date_to") or today.isoformat()
        kind = request.args.get("kind", "")
        # the totals need every operation of the period, so the list is paged here, not by the billing
        operations = billing.history(account.id, date.fromisoformat(date_from), date.fromisoformat(date_to))

        def money(key, label, value):
            return FieldView("money", key, label, value, format_currency(value, "RUB", locale=RU),
                             "fields/money.html", {"negative": value < 0})

        income = sum((o.amount for o in operations if o.amount > 0), Decimal(0))
        spent = sum((o.amount for o in operations if o.amount < 0), Decimal(0))
        wanted = kind.strip().casefold()
        chosen = [o for o in operations if wanted in o.kind.value.casefold()]
        page, count = requested_page(), max(1, -(-len(chosen) // PAGE_SIZE))
        shown = chosen[(page - 1) * PAGE_SIZE:page * PAGE_SIZE] if page <= count else []
        rows = []
        for o in shown:
            moment = o.at.astimezone(MOSCOW)
            rows.append(ItemView([
                FieldView("datetime", "at", "Дата", o.at.isoformat(), format_datetime(o.at, tzinfo=MOSCOW, locale=RU),
                          "fields/datetime.html", {"iso": moment.isoformat()}),
                text("description", "Операция", o.description),
                money("amount", "Сумма", o.amount),
            ]))
        kinds = [("", "Все"), ("charge", "Списания"), ("payment", "Пополнения")]
        page_view = PageView(
            screen_id="history", title="История",
            sections=[
                SectionView("period", "form", "sections/form.html", "Период", form=FormView(
                    url="/history", method="get", submit="Показать", inputs=[
                        InputView("date_from", "С", "date", date_from, required=True),
                        InputView("date_to", "По", "date", date_to, required=True),
                        InputView("kind", "Операции", "select", kind, choices=kinds)])),
                SectionView("totals", "key_value", "sections/key_value.html",
                            f"С {format_date(date.fromisoformat(date_from), locale=RU)} "
                            f"по {format_date(date.fromisoformat(date_to), locale=RU)}",
                            fields=[money("income", "Пополнения", income), money("spent", "Списания", spent)]),
                SectionView("operations", "table", "sections/table.html", items=rows,
                            options={"empty_text": "За этот период операций нет"},
                            pager=pager("history", page, len(chosen), page < count, page > count)),
            ],
            navigation=navigation(SUBSCRIBER_TABS, "history"), back_url="/",
            accounts=[AccountChoice(a.id, a.number, a.id == account.id) for a in accounts],
        )
        return render_page(page_view, user)

    @app.route("/dealer/subscribers")
    def dealer_subscribers():
        user = session.get("user")
        if not user or not user.get("dealer_id"):
            return "sign in", 401
        q = request.args.get("q", "")
        term, page = q.strip(), requested_page()
        if len(term) <= MAX_BILLING_SEARCH:
            # one page from the billing, searched there
            offset = (page - 1) * PAGE_SIZE
            found = billing.dealer_subscribers(user["dealer_id"], limit=PAGE_SIZE, offset=offset, search=term or None)
            shown, total = list(found[:PAGE_SIZE]), getattr(found, "total", None)
            has_next = offset + len(shown) < total if total is not None else len(shown) >= PAGE_SIZE
            has_next, past_end = has_next and bool(shown), page > 1 and not shown
        else:
            # a term too long to send: every subscriber, searched and paged here
            folded = term.casefold()
            chosen = [s for s in billing.dealer_subscribers(user["dealer_id"])
                      if any(folded in v.casefold() for v in (s.name, s.contract, s.phone))]
            total = len(chosen)
            count = max(1, -(-total // PAGE_SIZE))
            shown = chosen[(page - 1) * PAGE_SIZE:page * PAGE_SIZE] if page <= count else []
            has_next, past_end = page < count, page > count
        rows = []
        for s in shown:
            digits = "".join(c for c in s.phone if c.isdigit())
            plus = "+" if s.phone.strip().startswith("+") else ""
            rows.append(ItemView([
                text("name", "Наименование", s.name), text("contract", "Контракт", s.contract),
                text("status", "Статус контракта", s.status),
                FieldView("phone", "phone", "Телефон", s.phone, s.phone, "fields/phone.html",
                          {"href": f"tel:{plus}{digits}"} if digits else {}),
                FieldView("money", "balance", "Баланс", s.balance, format_currency(s.balance, "RUB", locale=RU),
                          "fields/money.html", {"negative": s.balance < 0}),
            ], f"/dealer/subscribers/{s.id}"))
        page_view = PageView(
            screen_id="dealer_subscribers", title="Абоненты",
            sections=[
                SectionView("search", "form", "sections/form.html", form=FormView(
                    url="/dealer/subscribers", method="get", submit="Найти",
                    inputs=[InputView("q", "Имя, контракт или телефон", "text", q)])),
                SectionView("all", "table", "sections/table.html", "Все абоненты", items=rows,
                            options={"empty_text": "Никого не нашли"},
                            pager=pager("dealer_subscribers", page, total, has_next, past_end)),
            ],
            navigation=navigation(DEALER_TABS, "dealer_subscribers"),
        )
        return render_page(page_view, user)

    return app


def create_minimal() -> Flask:
    """Flask's own static route over the theme's folder (an hour's max-age, as the engine gives),
    and /healthz with the engine's JSON: its values are held in memory, as the engine's are."""
    from engine.schema import YamlSource
    from engine.config import load_settings

    settings = load_settings()
    app = Flask("minimal", static_folder=str(PROJECT_ROOT / "themes" / "base" / "static"), static_url_path="/static")
    app.config.update(SEND_FILE_MAX_AGE_DEFAULT=3600)
    state = {"version": YamlSource(settings.schemas).fingerprint(), "binding": settings.binding, "refused": None}

    @app.route("/healthz")
    def healthz():
        return jsonify({"status": "ok", "cabinet_version": state["version"], "binding": state["binding"],
                        "schema_update_refused": state["refused"] is not None})

    return app
