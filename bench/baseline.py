"""The hand-written counterpart of the demo home screen: one Flask view that calls the billing
directly and builds the page by hand, rendered with the same theme templates (so the HTML is the
same). The benchmark compares the engine against it."""
from __future__ import annotations


from babel.support import Translations
from flask import Flask, render_template, session
from jinja2 import FileSystemLoader

from engine.assembly.views import AccountChoice, ActionView, FieldView, ItemView, NavItemView, PageView, SectionView
from engine.billing.demo import DemoBilling
from engine.config import PROJECT_ROOT
from engine.web.i18n import CATALOGS
from engine.kinds import template_globals
from engine.kinds.formatting import Formatter
from engine.schema.palette import dark_palette, light_palette

STATUS = {"active": ("Активна", "success"), "blocked": ("Заблокирована вами", "info"),
          "suspended": ("Приостановлена", "danger"), "pending": ("Подключается", "warning"),
          "closed": ("Отключена", "neutral")}
REASONS = {"debt": ("Недостаточно средств на счёте. Пополните баланс или подключите обещанный платёж.", "danger"),
           "documents": ("Не хватает документа по договору. Обратитесь в офис или в поддержку.", "warning"),
           "fraud_check": ("Идёт проверка безопасности. Обратитесь в поддержку.", "warning")}


COLORS = {"primary": "#0067D6", "on_primary": "#FFFFFF", "bg": "#F2F4F7", "surface": "#FFFFFF", "text": "#1C1C1E",
          "muted": "#5F6368"}
LIGHT = light_palette(COLORS)
BRANDING = {"colors": COLORS, "font": "Inter", "radius": 12, "logo_url": "",
            "light": dict(LIGHT), "dark": dict(dark_palette(LIGHT))}
LANGUAGES = [{"code": "ru", "title": "Русский", "url": "/language/ru?next=%2F", "active": True},
             {"code": "en", "title": "English", "url": "/language/en?next=%2F", "active": False}]


def create_baseline(secret_key: str, billing_url: str) -> Flask:
    app = Flask("baseline", static_folder=None)
    app.config.update(SECRET_KEY=secret_key, SESSION_COOKIE_NAME="cabinet_session")
    app.jinja_loader = FileSystemLoader(str(PROJECT_ROOT / "themes" / "base" / "templates"))
    translations = Translations.load(str(CATALOGS), ["ru"])
    app.jinja_env.globals.update(template_globals())
    app.jinja_env.globals.update(_=translations.gettext, csrf_token=lambda: "token")
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

    @app.route("/")
    def home():
        user = session.get("user")
        if not user:
            return "sign in", 401
        fmt = Formatter("ru", "RUB", "Europe/Moscow")
        accounts = billing.accounts(user["subscriber_id"])
        account = billing.account(accounts[0].id)
        services = billing.services(account.id)

        def money(key, label, value):
            return FieldView("money", key, label, value, fmt.money(value), "fields/money.html",
                             {"negative": value < 0})

        def status(key, value, labels):
            text, tone = labels.get(value, (value, "neutral"))
            return FieldView("status", key, "", value, text, "fields/status.html", {"tone": tone, "code": value})

        fields = [money("balance", "Баланс", account.balance)]
        if account.recommended_payment:
            fields.append(money("recommended", "Рекомендуемый платёж", account.recommended_payment.amount))
            due = account.recommended_payment.due_date
            fields.append(FieldView("date", "due", "Оплатить до", due.isoformat(), fmt.date(due), "fields/date.html",
                                    {"iso": due.isoformat()}))
        items = []
        for s in services:
            item_fields = [FieldView("text", "name", "", s.name, s.name, "fields/text.html"),
                           FieldView("text", "tariff", "Тариф", s.tariff.name, s.tariff.name, "fields/text.html"),
                           status("status", s.status.value, STATUS)]
            if s.suspension:
                item_fields.append(status("reason", s.suspension.reason_code, REASONS))
            items.append(ItemView(item_fields, f"/services/{s.id}"))
        page = PageView(
            screen_id="home", title="Главная",
            sections=[
                SectionView("balance", "balance_card", "sections/balance_card.html", f"Лицевой счёт {account.number}",
                            fields=fields, actions=[
                                ActionView("top_up", "Пополнить", "get", "/payment", "primary", "plus"),
                                ActionView("history", "История", "get", "/history", "secondary", "history"),
                                ActionView("block_services_link", "Блокировка", "get", "/block", "secondary", "lock")]),
                SectionView("services", "list", "sections/list.html", "Мои услуги", items=items,
                            options={"empty_text": "На этом счёте нет услуг"}),
                SectionView("more", "action_bar", "sections/action_bar.html", actions=[
                    ActionView("account_details", "Лицевой счёт и бонусы", "get", "/account-details"),
                    ActionView("catalog", "Каталог услуг и оборудования", "get", "/catalog"),
                    ActionView("settings", "Настройки", "get", "/settings", "secondary", "settings")]),
            ],
            navigation=[NavItemView("home", "Главная", "/", "home", True),
                        NavItemView("payment", "Оплата", "/payment", "wallet", False),
                        NavItemView("news", "Новости", "/news", "news", False),
                        NavItemView("support", "Поддержка", "/support", "support", False)],
            accounts=[AccountChoice(a.id, a.number, a.id == account.id) for a in accounts],
        )
        return render_template("screen.html", page=page, operator_name="Демо Телеком", locale="ru",
                               current_user=user, languages=LANGUAGES, branding=BRANDING, text_direction="ltr",
                               pwa_theme_color=LIGHT["primary"])

    return app
