"""Field kinds, section kinds, the Formatter and the base theme's templates, in isolation.

Templates are rendered with a plain Jinja2 environment from hand-built view objects (the full
pipeline from a schema to HTML is tested elsewhere)."""
from __future__ import annotations

import json
import re
from datetime import date, datetime, timezone
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

import engine.kinds as kinds_module
from engine.assembly.views import (
    AccountChoice, ActionView, FieldView, FormView, InputView, ItemView, NavItemView, PageView, SectionView,
)
from engine.kinds import field_kind_registry, section_kind_registry, template_globals
from engine.kinds.base import FieldKind, Presented, SectionKind
from engine.kinds.fields import render_markdown
from engine.kinds.fields.urls import LINK, safe_url
from engine.kinds.formatting import Formatter
from engine.registry import DuplicateName

TEMPLATES = Path(__file__).resolve().parent.parent / "themes" / "base" / "templates"
RU = Formatter("ru", "RUB", "Europe/Moscow")
EN = Formatter("en", "RUB", "Europe/Moscow")
ODD_VALUES = [None, "", "n/a", object(), [1, 2], {"a": 1}, float("nan"), float("inf"), True, -1, b"\xff"]
SECTION_KEYS = {"type", "id", "title", "visible_if", "fields", "items", "link", "actions", "sections", "inputs",
                "submit", "options"}
FIELD_KEYS = {"type", "key", "label", "value", "visible_if", "options"}


class CompiledText:
    """Stands in for the schema compiler's Text: ``render(locale, context)``."""

    def __init__(self, by_locale):
        self.by_locale = by_locale

    def render(self, locale, context=None, formatter=None):
        return self.by_locale.get(locale, next(iter(self.by_locale.values())))


class Tags(HTMLParser):
    """Every start tag with its attributes."""

    def __init__(self, html):
        super().__init__()
        self.tags = []
        self.feed(str(html))

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def names(self):
        return [tag for tag, _ in self.tags]

    def attributes(self):
        return [(tag, name, value) for tag, attrs in self.tags for name, value in attrs.items()]


def present(name, value, options=None, fmt=RU):
    kind = field_kind_registry().get(name)
    loaded = kind.options().load(options or {})
    return kind.present(value, loaded, fmt)


# --- Formatter ---------------------------------------------------------------------------------

def test_money_in_russian_is_babels_exact_output():
    assert RU.money(Decimal("3146.10")) == "3\xa0146,10\xa0₽"


def test_money_in_english_and_other_currencies():
    assert EN.money(Decimal("3146.10")) == "RUB3,146.10"
    assert EN.money(Decimal("3146.10"), "USD") == "$3,146.10"
    assert RU.money(-500) == "-500,00\xa0₽"


@pytest.mark.parametrize("value", ["3146.10", "3146,10", 3146.1, Decimal("3146.1"), " 3146.10 "])
def test_money_accepts_what_billings_send(value):
    assert RU.money(value) == "3\xa0146,10\xa0₽"


def test_numbers_and_percents():
    assert RU.number(Decimal("1234.5")) == "1\xa0234,5"
    assert RU.number(1234.5, 2) == "1\xa0234,50"
    assert EN.number("1234.5678") == "1,234.568"
    assert EN.number(3, 0) == "3"
    assert RU.percent(0.15) == "15\xa0%"
    assert EN.percent(0.15) == "15%"
    assert EN.percent("0.1234", 1) == "12.3%"


def test_dates_in_russian_and_english():
    day = date(2021, 4, 24)
    assert RU.date(day) == "24 апр. 2021\u202fг."
    assert EN.date(day) == "Apr 24, 2021"
    assert EN.date("2021-04-24") == "Apr 24, 2021"
    assert RU.date(day, "dd.MM.yyyy") == "24.04.2021"
    assert EN.date(day, "long") == "April 24, 2021"


def test_aware_moments_are_shown_in_the_operator_time_zone():
    moment = datetime(2021, 4, 24, 10, 0, tzinfo=timezone.utc)
    assert RU.datetime(moment) == "24 апр. 2021\u202fг., 13:00:00"
    assert EN.datetime("2021-04-24T10:00:00Z") == "Apr 24, 2021, 1:00:00\u202fPM"
    # 22:30 UTC is already the next day in Moscow
    assert EN.date(datetime(2021, 4, 23, 22, 30, tzinfo=timezone.utc)) == "Apr 24, 2021"


def test_naive_moments_are_taken_as_local():
    assert RU.datetime(datetime(2021, 4, 24, 10, 0)) == "24 апр. 2021\u202fг., 10:00:00"


@pytest.mark.parametrize("method", ["money", "number", "percent", "date", "datetime"])
@pytest.mark.parametrize("value", ODD_VALUES)
def test_formatter_never_raises_on_odd_input(method, value):
    result = getattr(RU, method)(value)
    assert isinstance(result, str)
    if value is None:
        assert result == ""


def test_odd_input_is_shown_as_text():
    assert RU.money("n/a") == "n/a"
    assert RU.date("soon") == "soon"
    assert RU.number([1]) == "[1]"
    assert RU.money(True) == "True"   # a bool is never an amount


def test_a_bad_date_pattern_falls_back_to_iso():
    assert RU.date(date(2021, 4, 24), "zzz{") == "2021-04-24"


def test_unknown_locale_and_time_zone_do_not_break_formatting():
    fmt = Formatter("xx", "RUB", "Nowhere/Land")
    assert fmt.locale == "xx"
    assert fmt.money(1) == "RUB1.00"


def test_text_of_compiled_plain_and_per_locale_values():
    assert RU.text(CompiledText({"ru": "Баланс", "en": "Balance"})) == "Баланс"
    assert EN.text(CompiledText({"ru": "Баланс", "en": "Balance"})) == "Balance"
    assert EN.text({"ru": "Баланс", "en": "Balance"}) == "Balance"
    assert EN.text({"ru": "Баланс"}) == "Баланс"          # no English: the first one
    assert Formatter("en_GB").text({"en": "Balance"}) == "Balance"
    assert RU.text("Баланс") == "Баланс"
    assert RU.text(None) == ""
    assert RU.text(42) == "42"


# --- field kinds -------------------------------------------------------------------------------

def test_money_field():
    shown = present("money", Decimal("3146.10"))
    assert shown == Presented(display="3\xa0146,10\xa0₽", negative=False)
    assert present("money", "-10")["negative"] is True
    assert present("money", 5, {"currency": "USD"}, EN)["display"] == "$5.00"


def test_number_and_percent_fields():
    assert present("number", Decimal("12.5"), {"decimals": 2}, EN)["display"] == "12.50"
    assert present("percent", 0.15)["display"] == "15\xa0%"
    assert present("percent", 0.155, {"decimals": 1}, EN)["display"] == "15.5%"


def test_date_and_datetime_fields_carry_an_iso_attribute():
    shown = present("date", date(2021, 4, 24), fmt=EN)
    assert shown == Presented(display="Apr 24, 2021", iso="2021-04-24")
    shown = present("datetime", datetime(2021, 4, 24, 10, 0, tzinfo=timezone.utc), fmt=EN)
    assert shown["display"] == "Apr 24, 2021, 1:00:00\u202fPM"
    assert shown["iso"] == "2021-04-24T13:00:00+03:00"
    assert present("date", "someday")["iso"] == ""


def test_status_badge_uses_labels_and_tones():
    kind = field_kind_registry().get("status")
    options = kind.options().load(kind.preview_options)
    assert kind.present("suspended", options, RU) == Presented(display="Приостановлена", tone="warning",
                                                               code="suspended")
    assert kind.present("suspended", options, EN)["display"] == "Suspended"


def test_status_labels_may_arrive_compiled():
    options = {"labels": {"active": CompiledText({"ru": "Активна", "en": "Active"})}, "tones": {"active": "success"}}
    assert field_kind_registry().get("status").present("active", options, EN) == Presented(
        display="Active", tone="success", code="active")


def test_unknown_status_is_shown_as_is_and_neutral():
    shown = present("status", "frozen", {"labels": {"active": "Активна"}, "tones": {"active": "success"}})
    assert shown == Presented(display="frozen", tone="neutral", code="frozen")
    assert present("status", 2, {"labels": {"2": "Два"}})["display"] == "Два"   # YAML keys are strings
    assert present("status", None)["display"] == ""


def test_status_tones_are_checked():
    from marshmallow import ValidationError

    with pytest.raises(ValidationError):
        field_kind_registry().get("status").options().load({"tones": {"active": "green"}})


def test_phone_field_links_digits_only():
    assert present("phone", "+7 (916) 123-45-67") == Presented(display="+7 (916) 123-45-67", href="tel:+79161234567")
    assert present("phone", "8 916 123 45 67")["href"] == "tel:89161234567"
    assert present("phone", 79161234567)["href"] == "tel:79161234567"
    assert "href" not in present("phone", "нет")


def test_email_field():
    assert present("email", "user@example.ru") == Presented(display="user@example.ru", href="mailto:user@example.ru")
    assert "href" not in present("email", "not an address")
    assert "href" not in present("email", 'x@y.ru"><script>')


def test_link_field_uses_its_text_option():
    shown = present("link", "https://example.ru/tariffs", {"text": {"ru": "Тарифы", "en": "Tariffs"}})
    assert shown == Presented(display="Тарифы", href="https://example.ru/tariffs", external=True)
    assert present("link", "/news/5")["href"] == "/news/5"
    assert present("link", "mailto:support@example.ru")["href"] == "mailto:support@example.ru"
    assert present("link", "tel:+79161234567")["href"] == "tel:+79161234567"


UNSAFE_URLS = [
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", "  javascript:alert(1)", "java\tscript:alert(1)",
    "java\nscript:alert(1)", "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)",
    "//evil.example", "/\\evil.example", "https:evil.example", "file:///etc/passwd", "", None, 42,
]


@pytest.mark.parametrize("url", UNSAFE_URLS)
def test_unsafe_urls_never_become_links_or_sources(url):
    assert safe_url(url, LINK) is None
    link = present("link", url, {"text": "Нажми"})
    assert "href" not in link
    assert link["display"] == ("" if url is None else str(url))   # shown as plain text, not the label
    assert "src" not in present("image", url)
    assert "src" not in present("video", url)


def test_image_and_video_fields():
    image = present("image", "https://example.ru/a.jpg", {"alt": {"ru": "Роутер", "en": "Router"}}, EN)
    assert image == Presented(display="Router", src="https://example.ru/a.jpg", alt="Router")
    video = present("video", "/media/a.mp4", {"poster": "/media/a.jpg"})
    assert video == Presented(display="/media/a.mp4", src="/media/a.mp4", poster="/media/a.jpg")
    video = present("video", {"src": "https://example.ru/a.mp4", "poster": "javascript:alert(1)"})
    assert video["src"] == "https://example.ru/a.mp4" and video["poster"] == ""


def test_video_poster_option_refuses_unsafe_urls():
    from marshmallow import ValidationError

    with pytest.raises(ValidationError):
        field_kind_registry().get("video").options().load({"poster": "javascript:alert(1)"})


def test_markdown_renders_to_markup():
    shown = present("markdown", "**Важно**: [подробнее](https://example.ru)")
    assert isinstance(shown["display"], Markup)
    assert "<strong>Важно</strong>" in shown["display"]
    assert 'href="https://example.ru"' in shown["display"]
    assert 'rel="noopener noreferrer nofollow"' in shown["display"]


MALICIOUS_MARKDOWN = [
    "<script>alert(1)</script>",
    "Hi <img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "![x](javascript:alert(1))",
    '<div onclick="alert(1)">x</div>',
    "<svg onload=alert(1)>",
    "<iframe src=https://evil.example></iframe>",
    "[x](JAVASCRIPT:alert(1) \"t\")",
]


@pytest.mark.parametrize("text", MALICIOUS_MARKDOWN)
def test_markdown_never_lets_scripts_through(text):
    html = render_markdown(text)
    tags = Tags(html)
    assert not {"script", "iframe", "svg", "div", "style"} & set(tags.names())
    for tag, name, value in tags.attributes():
        assert not name.startswith("on"), (tag, name)
        assert "javascript" not in (value or "").lower(), (tag, name, value)


def test_markdown_of_odd_values():
    assert render_markdown(None) == Markup("")
    assert present("markdown", None)["display"] == ""
    assert present("markdown", 5)["display"] == Markup("<p>5</p>")


@pytest.mark.parametrize("name", field_kind_registry().names())
@pytest.mark.parametrize("value", ODD_VALUES)
def test_every_field_kind_survives_odd_input(name, value):
    kind = field_kind_registry().get(name)
    for options in ({}, kind.preview_options):
        shown = kind.present(value, kind.options().load(options), RU)
        assert isinstance(shown, Presented)
        assert isinstance(shown["display"], str)


@pytest.mark.parametrize("name", field_kind_registry().names())
def test_every_field_kind_presents_its_preview(name):
    kind = field_kind_registry().get(name)
    for fmt in (RU, EN):
        shown = kind.present(kind.preview_value, kind.options().load(kind.preview_options), fmt)
        assert shown["display"], name
    json.dumps(kind.json_value(kind.preview_value, kind.preview_options))


def test_money_json_value_is_exact():
    assert field_kind_registry().get("money").json_value(Decimal("3146.10"), {}) == "3146.10"


# --- registries --------------------------------------------------------------------------------

FIELD_NAMES = {"text", "money", "date", "datetime", "number", "percent", "status", "phone", "email", "link", "image",
               "video", "markdown"}
SECTION_NAMES = {"balance_card", "key_value", "list", "table", "content", "form", "action_bar", "tabs", "group",
                 "empty_state", "notice"}


def test_every_built_in_kind_is_registered_as_an_instance():
    fields, sections = field_kind_registry(), section_kind_registry()
    assert FIELD_NAMES <= set(fields.names())
    assert SECTION_NAMES <= set(sections.names())
    for name, kind in fields.items():
        assert isinstance(kind, FieldKind) and kind.name == name
    for name, kind in sections.items():
        assert isinstance(kind, SectionKind) and kind.name == name


def test_registries_are_fresh_on_every_call():
    assert field_kind_registry() is not field_kind_registry()
    assert field_kind_registry().get("money") is not field_kind_registry().get("money")


@pytest.mark.parametrize("registry", [field_kind_registry, section_kind_registry])
def test_every_kind_has_its_template_in_the_base_theme(registry):
    for name, kind in registry().items():
        assert (TEMPLATES / kind.template).is_file(), f"{name}: no {kind.template}"


@pytest.mark.parametrize("name", field_kind_registry().names())
def test_field_options_schemas_load_their_preview_options(name):
    kind = field_kind_registry().get(name)
    kind.options().load(kind.preview_options)


def _field_nodes(section):
    yield from section.get("fields", [])
    for child in section.get("sections", []):
        yield from _field_nodes(child)


@pytest.mark.parametrize("name", section_kind_registry().names())
def test_section_previews_are_well_formed(name):
    sections, fields = section_kind_registry(), field_kind_registry()
    kind = sections.get(name)
    node = kind.preview_section
    assert node and "type" not in node
    kind.options().load({k: v for k, v in node.items() if k not in SECTION_KEYS})
    assert ("items" in node) == kind.has_items
    assert ("sections" in node) == kind.has_children
    assert ("inputs" in node and "submit" in node) == kind.has_form
    for child in node.get("sections", []):
        child_kind = sections.get(child["type"])
        child_kind.options().load({k: v for k, v in child.items() if k not in SECTION_KEYS})
    for field in _field_nodes(node):
        field_kind = fields.get(field["type"])
        field_kind.options().load({k: v for k, v in field.items() if k not in FIELD_KEYS})
        assert isinstance(field["value"], str)
    assert json.loads(json.dumps(kind.preview_data)) == kind.preview_data   # plain data


def _entry_point(name, loaded, value="acme_kinds:Kind"):
    return SimpleNamespace(name=name, value=value, dist=SimpleNamespace(name="acme-kinds"), load=lambda: loaded)


class Sparkline(FieldKind):
    name = "sparkline"


class OtherSparkline(FieldKind):
    name = "sparkline"


class PluginMoney(FieldKind):
    name = "money"


def _plugins(monkeypatch, group, *eps):
    monkeypatch.setattr(kinds_module, "entry_points", lambda group_=None, **kw: list(eps)
                        if kw.get("group", group_) == group else [])


def test_plugin_kinds_are_registered_as_instances(monkeypatch):
    _plugins(monkeypatch, "engine.field_kinds", _entry_point("sparkline", Sparkline))
    kind = field_kind_registry().get("sparkline")
    assert isinstance(kind, Sparkline)
    assert kind.template == "fields/sparkline.html"


def test_duplicate_entry_point_names_raise(monkeypatch):
    _plugins(monkeypatch, "engine.field_kinds",
             _entry_point("sparkline", Sparkline), _entry_point("sparkline", OtherSparkline, "other:Kind"))
    with pytest.raises(DuplicateName, match="sparkline"):
        field_kind_registry()


def test_a_plugin_cannot_take_a_built_in_name(monkeypatch):
    _plugins(monkeypatch, "engine.field_kinds", _entry_point("money", PluginMoney))
    with pytest.raises(DuplicateName, match="money"):
        field_kind_registry()


def test_our_own_advertised_built_ins_are_skipped(monkeypatch):
    from engine.kinds.fields import MoneyKind

    _plugins(monkeypatch, "engine.field_kinds", _entry_point("money", MoneyKind, "engine.kinds.fields:MoneyKind"))
    assert isinstance(field_kind_registry().get("money"), MoneyKind)


def test_plugins_of_the_wrong_base_or_name_are_refused(monkeypatch):
    _plugins(monkeypatch, "engine.section_kinds", _entry_point("sparkline", Sparkline))
    with pytest.raises(TypeError, match="SectionKind"):
        section_kind_registry()
    _plugins(monkeypatch, "engine.field_kinds", _entry_point("trend", Sparkline))
    with pytest.raises(ValueError, match="trend"):
        field_kind_registry()


# --- templates ---------------------------------------------------------------------------------

def _gettext(message, **variables):
    return message % variables if variables else message


def _url_for(endpoint, **values):
    return "/" + endpoint + ("/" + values["filename"] if "filename" in values else "")


@pytest.fixture
def env():
    environment = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]))
    environment.globals.update(_=_gettext, csrf_token=lambda: "t", url_for=_url_for)
    environment.globals.update(template_globals())
    return environment


def field_view(name, value, options=None, label="", fmt=RU, key=None):
    kind = field_kind_registry().get(name)
    shown = dict(kind.present(value, kind.options().load(options or {}), fmt))
    display = shown.pop("display")
    return FieldView(kind=name, key=key or name, label=label or name.title(), value=value, display=display,
                     template=kind.template, attrs=shown)


def section_view(kind, **values):
    return SectionView(id=values.pop("id", kind), kind=kind, template=f"sections/{kind}.html", **values)


def render_field(env, field):
    return env.from_string('{% from "macros.html" import render_field %}{{ render_field(field) }}').render(field=field)


def render_section(env, section):
    return env.from_string('{% from "macros.html" import render_section %}{{ render_section(section) }}').render(
        section=section)


def test_every_template_compiles(env):
    names = env.list_templates(extensions=["html"])
    assert {"layout.html", "screen.html", "login.html", "error.html", "macros.html", "icons.html"} <= set(names)
    for name in names:
        env.get_template(name)


@pytest.mark.parametrize("name", field_kind_registry().names())
def test_every_field_template_shows_its_preview(env, name):
    kind = field_kind_registry().get(name)
    field = field_view(name, kind.preview_value, kind.preview_options)
    html = render_field(env, field)
    if name in ("image", "video"):
        assert f'src="{field.attrs["src"]}"' in html
    else:
        assert str(escape(field.display)) in html


def test_field_templates_show_values_and_attributes(env):
    assert "3\xa0146,10\xa0₽" in render_field(env, field_view("money", Decimal("3146.10")))
    assert "value--negative" in render_field(env, field_view("money", "-5"))
    assert '<time class="value value--date" datetime="2021-04-24">' in render_field(env, field_view("date", "2021-04-24"))
    badge = render_field(env, field_view("status", "suspended", field_kind_registry().get("status").preview_options))
    assert 'class="badge badge--warning"' in badge and "Приостановлена" in badge
    assert 'href="tel:+79161234567"' in render_field(env, field_view("phone", "+7 916 123-45-67"))
    assert 'href="mailto:a@b.ru"' in render_field(env, field_view("email", "a@b.ru"))
    link = render_field(env, field_view("link", "https://example.ru", {"text": "Сайт"}))
    assert 'href="https://example.ru"' in link and 'rel="noopener noreferrer"' in link and "Сайт" in link
    image = render_field(env, field_view("image", "/media/a.jpg", label="Роутер"))
    assert 'alt="Роутер"' in image                               # no alt option: the label
    assert "<video" in render_field(env, field_view("video", "/media/a.mp4")) and "controls" in render_field(
        env, field_view("video", "/media/a.mp4"))


def test_field_templates_escape_and_refuse_unsafe_values(env):
    html = render_field(env, field_view("text", "<b>hi</b>"))
    assert "<b>" not in html and "&lt;b&gt;hi&lt;/b&gt;" in html
    html = render_field(env, field_view("link", "javascript:alert(1)", {"text": "Нажми"}))
    assert "<a" not in html and "javascript:alert(1)" in html
    html = render_field(env, field_view("image", "javascript:alert(1)"))
    assert "<img" not in html
    html = render_field(env, field_view("markdown", "<script>alert(1)</script> **ok**"))
    assert "<script" not in html and "<strong>ok</strong>" in html


def _items():
    status = field_kind_registry().get("status").preview_options
    return [
        ItemView(fields=[field_view("text", "Домашний интернет", key="name", label="Услуга"),
                         field_view("money", "650", key="fee", label="В месяц"),
                         field_view("status", "active", status, key="status", label="Состояние")], url="/services/s1"),
        ItemView(fields=[field_view("text", "Цифровое ТВ", key="name", label="Услуга"),
                         field_view("status", "suspended", status, key="status", label="Состояние")]),
    ]


def _actions():
    return [
        ActionView(id="top_up", title="Пополнить", method="get", url="/pay", style="primary", icon="plus"),
        ActionView(id="block", title="Заблокировать", method="post", url="/actions/block", icon="lock",
                   hidden={"_screen": "home", "_key": "k1"}),
        ActionView(id="promise", title="Обещанный платёж", method="post", url="/actions/promise",
                   disabled_reason="Доступен раз в 25 дней"),
    ]


def _form():
    return FormView(url="/actions/block", submit="Заблокировать", hidden={"_screen": "block", "_key": "k2"}, inputs=[
        InputView(name="days", label="Срок, дней", type="number", value=7, required=True, min=7, max=90, step=1,
                  help="От 7 до 90 дней", error="Слишком долго"),
        InputView(name="reason", label="Причина", type="select", choices=[("trip", "Поездка"), ("other", "Другое")],
                  value="other"),
        InputView(name="comment", label="Комментарий", type="textarea", value="<b>"),
        InputView(name="agree", label="Согласен", type="checkbox", value=True, required=True),
        InputView(name="token", label="", type="hidden", value="abc"),
    ])


def _section_views():
    """One hand-built view per built-in section kind."""
    fields = [field_view("money", Decimal("3146.10"), key="balance", label="Баланс"),
              field_view("date", date(2021, 4, 24), key="due", label="Оплатить до")]
    return {
        "balance_card": section_view("balance_card", title="Лицевой счёт 108842", fields=fields, actions=_actions()),
        "key_value": section_view("key_value", title="Договор", fields=fields, actions=_actions()[:1]),
        "list": section_view("list", title="Мои услуги", items=_items(), options={"empty_text": "Нет услуг"}),
        "table": section_view("table", title="История", items=_items(),
                              options={"caption": "Операции за апрель", "empty_text": "Нет операций"}),
        "content": section_view("content", title="Обещанный платёж", options={
            "body": "Кредит на **3 дня**\n\n<script>alert(1)</script>", "image": "/media/promise.jpg",
            "image_alt": "Картинка", "video": "https://example.ru/v.mp4"}),
        "form": section_view("form", title="Блокировка", form=_form(), options={"intro": "Без абонентской платы"},
                             fields=fields[:1]),
        "action_bar": section_view("action_bar", actions=_actions()),
        "tabs": section_view("tabs", children=[
            section_view("list", id="services", title="Услуги", items=_items()),
            section_view("key_value", id="contract", title="Договор", fields=fields),
        ]),
        "group": section_view("group", title="Мой кабинет", children=[
            section_view("key_value", id="contract", title="Договор", fields=fields),
            section_view("notice", id="debt", options={"tone": "warning", "text": "Пополните счёт"}),
        ]),
        "empty_state": section_view("empty_state", options={"text": "Новостей пока нет", "icon": "news"}),
        "notice": section_view("notice", title="Внимание", options={"tone": "danger", "text": "Услуги приостановлены"},
                               actions=_actions()[:1]),
    }


def test_there_is_a_hand_built_view_for_every_section_kind():
    assert set(_section_views()) == set(section_kind_registry().names())


@pytest.mark.parametrize("name", sorted(SECTION_NAMES))
def test_every_section_template_renders(env, name):
    section = _section_views()[name]
    html = render_section(env, section)
    assert f'id="section-{section.id}"' in html
    if section.title:
        assert str(escape(section.title)) in html


def test_balance_card_shows_the_big_figure_and_buttons(env):
    html = render_section(env, _section_views()["balance_card"])
    assert '<div class="balance-card__figure"><span class="value value--money">3\xa0146,10\xa0₽</span></div>' in html
    assert "Оплатить до" in html and "24 апр. 2021\u202fг." in html
    assert '<a class="button button--primary" href="/pay">' in html
    assert '<form class="action action__form" method="post" action="/actions/block">' in html
    assert '<input type="hidden" name="csrf_token" value="t">' in html
    assert '<input type="hidden" name="_key" value="k1">' in html
    assert "disabled" in html and "Доступен раз в 25 дней" in html


def test_list_rows_link_to_their_item(env):
    html = render_section(env, _section_views()["list"])
    assert '<a class="list__link" href="/services/s1">' in html
    assert html.count("list__link") == 1                        # the second item has no url
    assert "Цифровое ТВ" in html and "badge--warning" in html
    empty = render_section(env, section_view("list", items=[], options={"empty_text": "Нет услуг"}))
    assert "Нет услуг" in empty and "<ul" not in empty


def test_table_has_headers_cells_and_mobile_labels(env):
    html = render_section(env, _section_views()["table"])
    assert "<caption>Операции за апрель</caption>" in html
    assert '<th role="columnheader" scope="col" class="cell--money">В месяц</th>' in html
    assert 'data-label="Состояние"' in html
    assert html.count("<tr") == 3
    # the second row has no fee: an empty cell keeps the columns aligned
    assert html.count("<td") == 6
    empty = render_section(env, section_view("table", options={"empty_text": "Нет операций"}))
    assert "Нет операций" in empty and "<table" not in empty


def test_content_renders_sanitized_markdown(env):
    html = render_section(env, _section_views()["content"])
    assert "<strong>3 дня</strong>" in html
    assert "<script" not in html
    assert '<img class="content__image" src="/media/promise.jpg" alt="Картинка"' in html
    assert '<video class="content__video" controls' in html


def test_content_refuses_unsafe_media_and_escapes_without_the_markdown_global(env):
    del env.globals["render_markdown"]
    html = render_section(env, section_view("content", options={"body": "<b>x</b>", "image": "javascript:alert(1)"}))
    assert "<img" not in html and "&lt;b&gt;x&lt;/b&gt;" in html


def test_form_inputs_have_labels_constraints_help_and_errors(env):
    html = render_section(env, _section_views()["form"])
    tags = Tags(html)
    ids = {attrs.get("id") for tag, attrs in tags.tags if tag in ("input", "select", "textarea")} - {None}
    labelled = {attrs.get("for") for tag, attrs in tags.tags if tag == "label"}
    assert ids and ids <= labelled                               # every visible input has a <label for>
    assert '<form class="form" method="post" action="/actions/block">' in html
    assert '<input type="hidden" name="csrf_token" value="t">' in html
    assert '<input type="hidden" name="_screen" value="block">' in html
    assert '<input type="hidden" name="token" value="abc">' in html
    days = next(attrs for tag, attrs in tags.tags if attrs.get("name") == "days")
    assert days["type"] == "number" and days["min"] == "7" and days["max"] == "90" and days["step"] == "1"
    assert "required" in days and days["aria-invalid"] == "true"
    assert days["aria-describedby"] == "input-form-days-help input-form-days-error"
    assert "От 7 до 90 дней" in html and "Слишком долго" in html
    assert '<option value="other" selected>Другое</option>' in html
    assert "&lt;b&gt;</textarea>" in html
    assert 'type="checkbox" value="1" checked' in html
    assert '<button type="submit" class="button button--primary button--block">Заблокировать</button>' in html
    assert "Без абонентской платы" in html


def test_tabs_work_without_javascript(env):
    html = render_section(env, _section_views()["tabs"])
    tags = Tags(html)
    radios = [attrs for tag, attrs in tags.tags if tag == "input" and attrs.get("type") == "radio"]
    assert len(radios) == 2 and "checked" in radios[0] and "checked" not in radios[1]
    assert {r["name"] for r in radios} == {"tabs-tabs"}
    labels = [attrs["for"] for tag, attrs in tags.tags if tag == "label"]
    assert labels == [r["id"] for r in radios]
    assert 'id="section-services"' in html and 'id="section-contract"' in html
    assert "<script" not in html


def test_group_stacks_its_children(env):
    html = render_section(env, _section_views()["group"])
    assert html.index("Мой кабинет") < html.index('id="section-contract"') < html.index('id="section-debt"')


def test_notice_and_empty_state(env):
    html = render_section(env, _section_views()["notice"])
    assert 'class="section section--notice notice notice--danger"' in html and 'role="alert"' in html
    assert "Услуги приостановлены" in html
    html = render_section(env, _section_views()["empty_state"])
    assert "Новостей пока нет" in html and "<svg" in html


def test_a_degraded_section_shows_its_message_instead_of_its_template(env):
    section = section_view("balance_card", title="Баланс", state="degraded", message="Биллинг недоступен",
                           fields=[field_view("money", 1)])
    html = render_section(env, section)
    assert "Баланс" in html and "Биллинг недоступен" in html and 'role="status"' in html
    assert "balance-card__figure" not in html


def test_icons_render_known_aliased_and_unknown_names(env):
    macro = env.get_template("icons.html").module.icon
    for name in ("home", "wallet", "payment", "news", "support", "lock", "history", "settings", "plus", "logout",
                 "chevron_right", "chevron-right", "alert"):
        svg = str(macro(name))
        assert svg.startswith("<svg") and 'stroke="currentColor"' in svg and 'aria-hidden="true"' in svg
        assert "<path" in svg or "<rect" in svg or "<circle" in svg
    assert str(macro("home")) != str(macro("no_such_icon"))
    assert 'role="img" aria-label="Дом"' in str(macro("home", "Дом"))


def _page(**values):
    defaults = dict(screen_id="home", title="Главная", sections=list(_section_views().values())[:3],
                    navigation=[NavItemView("home", "Главная", "/", "home", True),
                                NavItemView("payment", "Оплата", "/payment", "payment", False),
                                NavItemView("news", "Новости", "/news", "news", False),
                                NavItemView("support", "Поддержка", "/support", "support", False)])
    defaults.update(values)
    return PageView(**defaults)


def _layout_context(**values):
    context = dict(locale="ru", operator_name="Интерсвязь", current_user=SimpleNamespace(is_authenticated=True),
                   branding={"colors": {"primary": "#0A84FF", "on_primary": "#fff"}, "font": "Inter", "radius": 12,
                             "logo_url": ""},
                   languages=[{"code": "ru", "title": "Русский", "url": "/language/ru?next=/", "active": True},
                              {"code": "en", "title": "English", "url": "/language/en?next=/", "active": False}])
    context.update(values)
    return context


def test_screen_page_has_landmarks_navigation_and_sections(env):
    html = env.get_template("screen.html").render(page=_page(back_url="/"), **_layout_context())
    assert html.startswith("<!doctype html>") and '<html lang="ru" dir="ltr">' in html
    assert '<meta name="viewport"' in html and 'href="/static/cabinet.css"' in html
    assert "<header" in html and "<main" in html and '<nav class="tabbar"' in html
    assert '<a class="tabbar__item" href="/" aria-current="page">' in html
    assert html.count('aria-current="page"') == 1
    assert "<h1 class=\"page-title\">Главная</h1>" in html
    assert '<a class="back-link" href="/">' in html
    assert "3\xa0146,10\xa0₽" in html
    assert 'action="/auth.logout"' in html and "Log out" in html
    assert '<a class="languages__link" href="/language/en?next=/" hreflang="en" lang="en">English</a>' in html
    assert 'hreflang="ru" lang="ru" aria-current="true">Русский</a>' in html
    assert "--color-primary: #0A84FF;" in html and "--color-on-primary: #fff;" in html
    assert '--font: "Inter";' in html and "--radius: 12px;" in html


def test_account_switcher_only_with_several_accounts(env):
    one = env.get_template("screen.html").render(page=_page(accounts=[AccountChoice("a1", "108842", True)]),
                                                 **_layout_context())
    assert "account-switch" not in one
    page = _page(accounts=[AccountChoice("a1", "108842", True), AccountChoice("a2", "108843", False)])
    html = env.get_template("screen.html").render(page=page, **_layout_context())
    assert '<form class="account-switch" method="get" action="/cabinet.switch_account">' in html
    assert '<select class="input account-switch__select" id="account-switch" name="account">' in html
    assert '<option value="a1" selected>108842</option>' in html
    assert '<label class="account-switch__label" for="account-switch">Account</label>' in html


def test_flash_messages_and_no_logout_when_signed_out(env):
    page = _page(flash=[("error", "Не удалось"), ("success", "Готово")])
    html = env.get_template("screen.html").render(page=page, **_layout_context(current_user=None))
    assert "Не удалось" in html and 'notice--danger" role="alert"' in html
    assert "Готово" in html and 'notice--success" role="status"' in html
    assert "auth.logout" not in html


@pytest.mark.parametrize("colors, font, radius", [
    ({"primary": "red;}</style><script>alert(1)</script>"}, None, "big"),
    ({"x y": "#000", "primary": "#12345"}, 'Inter"; } body { display:none', "12px; }"),
    ({"primary": "#0A84FF url(x)"}, "Inter</style>", None),
])
def test_branding_is_validated_before_it_reaches_css(env, colors, font, radius):
    html = env.get_template("screen.html").render(page=_page(), **_layout_context(
        branding={"colors": colors, "font": font, "radius": radius}))
    style = html[html.index("<style>"):html.index("</style>")]
    assert "script" not in style and "url(" not in style and "display" not in style and "</" not in style[1:]
    assert "--font" not in style and "--radius" not in style
    assert "--color-x" not in style


def test_radius_is_clamped(env):
    html = env.get_template("screen.html").render(page=_page(), **_layout_context(
        branding={"radius": 400}))
    assert "--radius: 32px;" in html


def test_login_page(env):
    html = env.get_template("login.html").render(error="Неверный логин или пароль", username="demo1", next="/history",
                                                 **_layout_context(current_user=None, branding={}))
    tags = Tags(html)
    inputs = {attrs["name"]: attrs for tag, attrs in tags.tags if tag == "input"}
    assert inputs["username"]["value"] == "demo1" and inputs["username"]["autocomplete"] == "username"
    assert inputs["password"]["type"] == "password"
    assert inputs["csrf_token"] == {"type": "hidden", "name": "csrf_token", "value": "t"}
    assert inputs["next"]["value"] == "/history"
    assert '<label class="form__label" for="username">Login</label>' in html
    assert '<label class="form__label" for="password">Password</label>' in html
    assert "Неверный логин или пароль" in html and 'role="alert"' in html
    assert "Sign in" in html and "Интерсвязь" in html
    assert "tabbar" not in html and "auth.logout" not in html


def test_error_page(env):
    html = env.get_template("error.html").render(code=404, message="Такой страницы нет", **_layout_context())
    assert "404" in html and "Такой страницы нет" in html and 'href="/"' in html
    html = env.get_template("error.html").render(code=500, message="")
    assert "Something went wrong" in html


def test_confirm_page(env):
    html = env.get_template("confirm.html").render(
        title="Заблокировать", text="Услуги будут заблокированы", url="/actions/block",
        hidden={"_confirmed": "1", "days": "7"}, cancel_url="/block", style="danger", **_layout_context())
    assert '<form class="confirm__form" method="post" action="/actions/block">' in html
    assert '<input type="hidden" name="_confirmed" value="1">' in html
    assert 'class="button button--danger">Confirm</button>' in html and 'href="/block"' in html


def test_css_declares_the_brand_properties():
    from engine.schema.palette import dark_palette, light_palette

    css = (TEMPLATES.parent / "static" / "cabinet.css").read_text(encoding="utf-8")
    for prop in ("--radius", "--font"):
        assert f"{prop}:" in css
    # every colour the theme uses is one the layout emits from both palettes
    used = set(re.findall(r"var\(--color-([a-z-]+)\)", css))
    emitted = {name.replace("_", "-") for name in light_palette({})}
    assert used <= emitted, used - emitted
    assert emitted == {name.replace("_", "-") for name in dark_palette(light_palette({}))}
    assert {"primary", "on-primary", "bg", "surface", "text", "muted", "success", "warning", "danger"} <= used
    assert "font-family: var(--font)" in css
    assert "prefers-reduced-motion" in css and ":focus-visible" in css
    assert "@media (max-width: 599px)" in css and "@media (min-width: 900px)" in css
    assert css.count("{") == css.count("}")



# --- a plugin kind's own templates -----------------------------------------------------------------

def _greeting_cabinet(tmp_path: Path) -> Path:
    from tests.conftest import demo_copy

    return demo_copy(tmp_path / "cabinet", {"screens/home.yaml": (
        "sections:\n", "sections:\n  - {type: greeting, title: {ru: Привет, en: Hello}}\n")})


def _greeting_kind(tmp_path: Path) -> type[SectionKind]:
    shipped = tmp_path / "acme_kinds" / "templates"
    (shipped / "sections").mkdir(parents=True)
    (shipped / "sections" / "greeting.html").write_text(
        '<p class="acme-greeting">{{ section.title }}</p>', encoding="utf-8")

    class Greeting(SectionKind):
        name = "greeting"
        templates = str(shipped)

    return Greeting


def test_a_plugin_kind_draws_its_sections_with_the_template_it_ships(monkeypatch, tmp_path, make_app):
    from tests.conftest import sign_in

    _plugins(monkeypatch, "engine.section_kinds", _entry_point("greeting", _greeting_kind(tmp_path)))
    client = make_app(schemas=_greeting_cabinet(tmp_path)).test_client()
    sign_in(client)
    assert '<p class="acme-greeting">Привет</p>' in client.get("/").get_data(as_text=True)


def test_an_operators_theme_may_draw_a_plugin_kind_its_own_way(monkeypatch, tmp_path, make_app):
    from tests.conftest import sign_in

    _plugins(monkeypatch, "engine.section_kinds", _entry_point("greeting", _greeting_kind(tmp_path)))
    theme = tmp_path / "theme" / "templates" / "sections"
    theme.mkdir(parents=True)
    (theme / "greeting.html").write_text('<h2 class="our-greeting">{{ section.title }}</h2>', encoding="utf-8")
    client = make_app(schemas=_greeting_cabinet(tmp_path), theme_dir=tmp_path / "theme").test_client()
    sign_in(client)
    html = client.get("/").get_data(as_text=True)
    assert '<h2 class="our-greeting">Привет</h2>' in html and "acme-greeting" not in html


def test_a_table_draws_each_rows_own_buttons_in_a_last_column(env):
    rows = [ItemView(fields=[field_view("text", "Иван Петров", key="name", label="Абонент")],
                     actions=[ActionView(id="call", title="Позвонить", method="post", url="/actions/call",
                                         hidden={"_screen": "s", "_key": "k", "subscriber_id": "d1"})]),
            ItemView(fields=[field_view("text", "Анна Сидорова", key="name", label="Абонент")])]
    html = render_section(env, section_view("table", items=rows))
    assert html.count('class="cell--actions"') == 3                  # its header and a cell in each row
    assert html.count('action="/actions/call"') == 1 and 'value="d1"' in html
    plain = render_section(env, section_view("table", items=rows[1:]))
    assert "cell--actions" not in plain                                # no buttons, no empty column
