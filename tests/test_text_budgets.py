"""Operator texts and expressions run under a budget: what can only exceed it is refused at
validation with its place, what exceeds it at run time degrades only its own section."""
from __future__ import annotations

import pytest

from engine.schema import SchemaInvalid
from engine.schema.expressions import ExpressionError, TextFailed, compile_expr, compile_text
from engine.schema.sandbox import MAX_OUTPUT, MAX_TICKS
from tests.conftest import page_text, sign_in
from tests.test_schema_pipeline import MINIMAL, load, write_cabinet


def text(source: str):
    compiled, problems = compile_text({"ru": source}, ["ru"])
    return compiled, problems


@pytest.mark.parametrize("source, refusal", [
    ("{% for i in range(99999) %}{% for j in range(99999) %}x{% endfor %}{% endfor %}",
     "range(99999) is above the limit of 10000 items"),
    ("{% macro f(n) %}{{ f(n) }}{{ f(n) }}{% endmacro %}{{ f(1) }}", "the macro 'f' calls itself"),
    ("{% macro a() %}{{ b() }}{% endmacro %}{% macro b() %}{{ a() }}{% endmacro %}{{ a() }}",
     "the macro 'a' calls itself"),
    ("{% for a in x %}{% for b in x %}{% for c in x %}{% for d in x %}.{% endfor %}{% endfor %}{% endfor %}"
     "{% endfor %}", "loops are nested more than 3 deep"),
    ("{% if 1 %}" * 30 + "x" + "{% endif %}" * 30, "nested more than 24 levels deep"),
    ("{{ " + "(" * 400 + "1" + ")" * 400 + " }}", "nested too deeply"),
    ("{{ x }}" * 5000, "over 20000 characters"),
])
def test_texts_that_can_only_exceed_the_budget_are_refused_at_validation(source, refusal):
    _compiled, problems = text(source)
    assert any(refusal in problem for problem in problems), problems


@pytest.mark.parametrize("source, refusal", [
    ("(" * 40 + "a" + ")" * 40, "more than 32 deep"),
    ("!" * 40 + "a", "more than 32 deep"),
    ("a" + ".b" * 2000, "over 2000 characters"),
])
def test_expressions_nested_too_deeply_are_refused(source, refusal):
    with pytest.raises(ExpressionError, match=refusal):
        compile_expr(source)


@pytest.mark.parametrize("source, context", [
    ("{% for a in x %}{% for b in x %}{% for c in x %}{% endfor %}{% endfor %}{% endfor %}",
     {"x": list(range(100))}),                                          # a million iterations of data
    ("{% for i in x %}{{ y }}{% endfor %}", {"x": list(range(5000)), "y": "z" * 100}),   # 500,000 characters
    ("{{ 'x'.center(10 ** 9) }}", {}),
    ("{{ y | center(1000000000) }}", {"y": "x"}),
    ("{{ range(10 ** 6) | list | length }}", {}),
    ("{{ 'x' * 10 ** 8 }}", {}),
])
def test_renders_over_the_budget_are_cut_off(source, context):
    compiled, problems = text(source)
    assert problems == []
    with pytest.raises(TextFailed):
        compiled.render_or_fail("ru", context)
    assert compiled.render("ru", context) == ""                          # the lenient form shows nothing


def test_budgets_leave_ordinary_texts_alone():
    compiled, problems = text("{% for s in services %}{{ s.name }}{% if not loop.last %}, {% endif %}{% endfor %}"
                              "{% macro pct(v) %}{{ v }} %{% endmacro %} — {{ pct(15) }}; {{ 150000 | string }}")
    assert problems == [] and MAX_TICKS > 1000 and MAX_OUTPUT > 10_000
    services = [{"name": f"s{i}"} for i in range(1000)]
    assert compiled.render_or_fail("ru", {"services": services}).endswith("s999 — 15 %; 150000")


BOMB_SCREEN = MINIMAL + """\
      - type: notice
        id: bomb
        text: {ru: "TEXT", en: "x"}
      - type: notice
        id: fine
        text: {ru: "Всё в порядке", en: "Fine"}
"""


def test_a_text_over_its_budget_degrades_only_its_section(make_app, tmp_path):
    source = "{% for a in range(10000) %}{% for b in range(10000) %}{% endfor %}{% endfor %}"   # valid, 10⁸ turns
    folder = write_cabinet(tmp_path / "bomb", BOMB_SCREEN.replace("TEXT", source))
    app = make_app(schemas=folder)
    client = app.test_client()
    sign_in(client)
    page = client.get("/")
    assert page.status_code == 200
    text = page_text(page)
    assert "Всё в порядке" in text and "Эту часть страницы показать не удалось" in text
    data = client.get("/api/v1/screens/home").get_json()
    assert {s["id"]: s["state"] for s in data["sections"]}["bomb"] == "degraded"


def test_a_bomb_in_a_cabinet_is_a_located_error(tmp_path):
    write_cabinet(tmp_path, BOMB_SCREEN.replace("TEXT", "{% for i in range(99999) %}x{% endfor %}"))
    with pytest.raises(SchemaInvalid) as caught:
        load(tmp_path)
    [issue] = caught.value.issues
    assert "screens[0].sections[1].text" in str(issue) and issue.location.line == 14


# --- other things that used to break pages only at run time ----------------------------------------

def test_an_unknown_icon_is_a_located_error_and_the_readme_lists_the_icons(tmp_path):
    import re

    from engine.kinds.icons import ALIASES, ICONS
    from tests.conftest import ROOT

    write_cabinet(tmp_path, MINIMAL + """\
actions:
  - {id: pay, title: {ru: П, en: P}, icon: credt_card, screen: home}
  - {id: out, title: {ru: В, en: O}, icon: sign_out, screen: home}
""")
    with pytest.raises(SchemaInvalid) as caught:
        load(tmp_path)
    [issue] = caught.value.issues
    assert "actions[0].icon" in str(issue) and "unknown icon 'credt_card'; did you mean 'credit-card'?" in str(issue)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("* **Icons**"):readme.index("* **Kinds.**")]
    listed = re.findall(r"`([a-z][a-z-]*)`", section[section.index("error:"):])
    assert listed == [*ICONS, *sorted(ALIASES)]


def test_a_text_in_a_sections_options_is_checked_like_any_other(tmp_path):
    write_cabinet(tmp_path, MINIMAL + """\
      - type: list
        items: "account.items || `[]`"
        empty_text: {ru: "{% set n = acount.number %}Нет: {{ n }}", en: "None"}
        fields: [{type: text, key: x, value: x}]
""")
    with pytest.raises(SchemaInvalid) as caught:
        load(tmp_path)
    [issue] = caught.value.issues
    assert "sections[1].empty_text" in str(issue) and "unknown data source 'acount'" in str(issue)


def test_a_missing_media_file_is_a_located_error(tmp_path):
    from tests.conftest import demo_copy

    folder = demo_copy(tmp_path / "demo", {"content/news.yaml": ("/media/news/fiber.svg", "/media/../cabinet.yaml")})
    (folder / "media" / "news" / "fiber-poster.jpg").unlink()
    with pytest.raises(SchemaInvalid) as caught:
        load(folder)
    found = {(issue.location.line, issue.message.split(":")[0]) for issue in caught.value.issues}
    assert found == {(8, "/media/../cabinet.yaml"), (10, "/media/news/fiber-poster.jpg")}
    assert all(issue.location.file.endswith("content/news.yaml") for issue in caught.value.issues)


def test_a_kind_without_its_template_is_said_at_start_up_and_drawn_plainly(make_app):
    from engine.web.theming import missing_kind_templates

    app = make_app()
    rt = app.extensions["cabinet"]
    assert missing_kind_templates(app.jinja_env, rt.field_kinds, rt.section_kinds) == []
    rt.section_kinds.get("balance_card").template = "sections/gone.html"      # as a plugin without its file
    rt.field_kinds.get("money").template = "fields/gone.html"
    [section, field] = missing_kind_templates(app.jinja_env, rt.section_kinds, rt.field_kinds)
    assert "'balance_card' kind's template sections/gone.html" in section and "money" in field
    client = app.test_client()
    sign_in(client)
    home = client.get("/")
    assert home.status_code == 200
    assert "Баланс" in page_text(home) and "3\u00a0146,10\u00a0₽" in page_text(home)   # its fields, plainly


def test_a_mistake_in_a_shared_section_is_reported_once_at_its_own_line(tmp_path):
    from tests.conftest import demo_copy

    folder = demo_copy(tmp_path / "demo", {"shared/sections.yaml": ("value: account.balance}",
                                                                    "value: acount.balance}")})
    with pytest.raises(SchemaInvalid) as caught:
        load(folder)
    [issue] = caught.value.issues
    assert issue.location.file.endswith("shared/sections.yaml") and issue.location.line == 7
    assert "unknown data source 'acount'" in issue.message and "the same at screens[" in issue.message
