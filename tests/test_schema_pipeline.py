"""The schema pipeline: load, resolve, migrate, validate, compile — and the errors operators see."""
from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.billing import binding_registry
from engine.billing.contract import capabilities_of
from engine.cli import main
from engine.kinds import field_kind_registry, section_kind_registry
from engine.schema import SchemaInvalid, YamlSource, load_cabinet
from engine.schema.model import Cabinet
from engine.web.handlers import handler_operations, handler_registry
from tests.support.bindings import NoBonusesBilling

ROOT = Path(__file__).resolve().parent.parent
FIVE_MISTAKES = ROOT / "tests" / "fixtures" / "five_mistakes"
PARTIAL_BINDING = "tests.support.bindings:NoBonusesBilling"


def load(path: Path, capabilities=None) -> Cabinet:
    return load_cabinet(YamlSource(path), field_kind_registry(), section_kind_registry(), capabilities,
                        handlers=handler_operations(handler_registry()))


def write_cabinet(folder: Path, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cabinet.yaml").write_text(textwrap.dedent(body), encoding="utf-8")
    return folder


MINIMAL = """\
schema_version: 2
operator: {name: {ru: Т, en: T}, currency: RUB, locales: [ru, en]}
screens:
  - id: home
    route: /
    title: {ru: Главная, en: Home}
    data: {account: {op: account}}
    sections:
      - type: balance_card
        fields:
          - {type: money, key: balance, label: {ru: Баланс, en: Balance}, value: account.balance}
"""


def test_demo_cabinet_is_valid_against_the_demo_binding():
    cabinet = load(ROOT / "cabinet_schemas" / "demo", capabilities_of(binding_registry().get("demo")))
    assert {"home", "service", "history", "dealer_home"} <= set(cabinet.screens)
    assert cabinet.operator.locales == ("ru", "en")
    home = cabinet.screens["home"]
    assert home.sections[0].id == "balance"          # taken from shared_sections with `use`
    assert home.sections[0].actions == ("top_up", "history", "usage_link", "block_services_link")   # the use site's override


def test_five_mistakes_are_all_reported_with_paths_and_lines():
    with pytest.raises(SchemaInvalid) as caught:
        load(FIVE_MISTAKES, capabilities_of(NoBonusesBilling))
    issues = {str(i.location.line) + " " + _path(i): i.message for i in caught.value.issues}
    assert len(caught.value.issues) == 5, caught.value
    assert "unknown field type 'moneyy'" in issues["18 screens[0].sections[0].fields[0].type"]
    assert "invalid JMESPath" in issues["19 screens[0].sections[0].fields[1].value"]
    assert "unknown data source 'acount'" in issues["20 screens[0].sections[0].fields[2].value"]
    assert "does not provide the operation 'bonuses', and what needs it is marked required: true" in \
        issues["14 screens[0].data.bonus.op"]
    assert "missing translation for en" in issues["21 screens[0].sections[0].fields[3].label"]
    assert all(i.location.file.endswith("five_mistakes/cabinet.yaml") for i in caught.value.issues)


def _path(issue) -> str:
    from engine.schema.errors import format_path
    return format_path(issue.path)


def test_cli_validate_prints_file_line_path_message_and_exits_1():
    result = CliRunner().invoke(main, ["validate", str(FIVE_MISTAKES), "--binding", PARTIAL_BINDING])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if ": screens[" in line]
    assert len(lines) == 5, result.output
    for line in lines:
        file, line_no, path, message = line.split(":", 3)
        assert file.endswith("cabinet.yaml") and line_no.isdigit() and path.strip().startswith("screens[")
    assert "5 problems found." in result.output


def test_cli_validate_summarises_a_valid_cabinet_and_exits_0():
    result = CliRunner().invoke(main, ["validate", str(ROOT / "cabinet_schemas" / "demo")])
    assert result.exit_code == 0, result.output
    assert re.search(r"valid\. \d+ screens, \d+ actions", result.output)


def test_cli_serve_refuses_an_invalid_schema_with_the_same_messages(tmp_path, monkeypatch):
    monkeypatch.setenv("CABINET_BINDING", PARTIAL_BINDING)
    monkeypatch.setenv("CABINET_INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("CABINET_BINDING_OPTIONS", f'{{"database_url": "sqlite:///{tmp_path}/b.sqlite"}}')
    served = CliRunner().invoke(main, ["serve", "--schemas", str(FIVE_MISTAKES), "--port", "1"])
    validated = CliRunner().invoke(main, ["validate", str(FIVE_MISTAKES), "--binding", PARTIAL_BINDING])
    assert served.exit_code == 1
    assert "not valid; not starting" in served.output
    problems = [line for line in validated.output.splitlines() if ": screens[" in line]
    assert problems and all(line in served.output for line in problems)


@pytest.mark.parametrize("command", [[], ["validate"], ["serve"], ["payment-link"]])
def test_every_command_has_help(command):
    result = CliRunner().invoke(main, command + ["--help"])
    assert result.exit_code == 0 and "Usage:" in result.output


def test_yaml_syntax_error_names_the_line(tmp_path):
    write_cabinet(tmp_path, "schema_version: 2\noperator: {name: x\nscreens: []\n")
    with pytest.raises(SchemaInvalid) as caught:
        load(tmp_path)
    assert caught.value.issues[0].location.line in (2, 3)
    assert "YAML syntax" in caught.value.issues[0].message


def test_a_country_code_for_a_language_is_a_located_error(tmp_path):
    """`kz` has the shape of a language code but is Kazakhstan: every page in it would fail."""
    write_cabinet(tmp_path, MINIMAL.replace("locales: [ru, en]", "locales: [kz, ru, en]"))
    with pytest.raises(SchemaInvalid) as caught:
        load(tmp_path)
    [issue] = [i for i in caught.value.issues if "kz" in i.message]
    assert issue.location.line == 2 and "operator.locales" in str(issue)
    assert "unknown language 'kz'" in issue.message and "kk" in issue.message


def test_the_engines_own_addresses_are_the_web_apps(make_app):
    """A screen at one of the engine's own addresses could never be reached: the list the compiler
    refuses is the first path segment of every route the app has (with Keycloak's sign-in too) and
    of the demo's acquirer mounted beside it."""
    from engine.schema.compile import RESERVED_PATHS
    from engine.web.payment_setup import IN_PROCESS_PREFIX

    screen_like = re.compile(r"^[a-z0-9_\-]+$")               # what a screen's route may start with
    segments = {IN_PROCESS_PREFIX.strip("/")}
    for app in (make_app(), make_app(demo_users=False, keycloak_url="http://127.0.0.1:9/", keycloak_realm="cabinet",
                                     keycloak_client_secret="not-used-here")):
        segments |= {rule.rule.split("/")[1] for rule in app.url_map.iter_rules()
                     if screen_like.match(rule.rule.split("/")[1]) and rule.endpoint != "cabinet.screen"}
    assert RESERVED_PATHS == segments


def test_a_screen_at_an_engine_address_is_refused(tmp_path):
    write_cabinet(tmp_path, MINIMAL.replace("    route: /\n", "    route: /offline\n", 1))
    with pytest.raises(SchemaInvalid) as caught:
        load(tmp_path)
    assert "/offline is the engine's own address" in str(caught.value)


def test_duplicate_keys_are_reported(tmp_path):
    write_cabinet(tmp_path, MINIMAL + "operator: {name: x}\n")
    with pytest.raises(SchemaInvalid) as caught:
        load(tmp_path)
    assert "appears twice" in str(caught.value)


def test_includes_report_lines_in_the_included_file(tmp_path):
    write_cabinet(tmp_path, """\
        schema_version: 2
        operator: {name: {ru: Т, en: T}, currency: RUB, locales: [ru, en]}
        screens:
          - $include: screens/home.yaml
        """)
    (tmp_path / "screens").mkdir()
    (tmp_path / "screens" / "home.yaml").write_text(
        "id: home\nroute: /\ntitle: {ru: Главная, en: Home}\nsections:\n  - type: nosuchkind\n", encoding="utf-8")
    with pytest.raises(SchemaInvalid) as caught:
        load(tmp_path)
    issue = caught.value.issues[0]
    assert issue.location.file.endswith("screens/home.yaml") and issue.location.line == 5
    assert _path(issue) == "screens[0].sections[0].type"


def test_include_outside_the_folder_and_missing_shared_section_are_errors(tmp_path):
    write_cabinet(tmp_path, MINIMAL.replace(
        "      - type: balance_card", "      - use: nowhere\n      - type: balance_card"
    ) + "actions: {$include: ../../etc/passwd}\n")
    with pytest.raises(SchemaInvalid) as caught:
        load(tmp_path)
    text = str(caught.value)
    assert "outside the schema folder" in text
    assert "no shared section 'nowhere'" in text


def test_version_1_navigation_is_migrated(tmp_path):
    write_cabinet(tmp_path, MINIMAL.replace("schema_version: 2", "schema_version: 1") + "navigation: [home]\n")
    cabinet = load(tmp_path)
    assert [item.screen for item in cabinet.navigation] == ["home"]


def test_newer_schema_version_is_refused(tmp_path):
    write_cabinet(tmp_path, MINIMAL.replace("schema_version: 2", "schema_version: 99"))
    with pytest.raises(SchemaInvalid, match="newer than this engine"):
        load(tmp_path)


def test_structure_errors_and_semantic_errors_come_together(tmp_path):
    write_cabinet(tmp_path, MINIMAL.replace("currency: RUB", "currency: RUBLES").replace(
        "value: account.balance", "value: account.balance, colour: red"))
    with pytest.raises(SchemaInvalid) as caught:
        load(tmp_path)
    text = str(caught.value)
    assert "operator.currency: use an ISO 4217" in text
    assert "fields[0].colour: unknown key" in text


def test_mutating_operation_in_screen_data_and_bad_references(tmp_path):
    write_cabinet(tmp_path, MINIMAL.replace("data: {account: {op: account}}",
                                            "data: {account: {op: account}, x: {op: change_tariff}}")
                  + "navigation: [{screen: nowhere}]\n")
    with pytest.raises(SchemaInvalid) as caught:
        load(tmp_path)
    text = str(caught.value)
    assert "'change_tariff' changes data" in text
    assert "navigation[0].screen: no screen 'nowhere'" in text


def test_templates_in_texts_are_sandboxed(tmp_path):
    write_cabinet(tmp_path, MINIMAL.replace(
        "label: {ru: Баланс, en: Balance}",
        "label: {ru: \"{{ account.__class__.__mro__ }}\", en: \"{{ account.number }}\"}"))
    cabinet = load(tmp_path)
    label = cabinet.screens["home"].sections[0].fields[0].label
    assert label.render("ru", {"account": {"number": "1"}}) == ""      # refused by the sandbox, not run
    assert label.render("en", {"account": {"number": "108842"}}) == "108842"


def test_action_texts_may_only_read_what_an_action_has(tmp_path):
    write_cabinet(tmp_path, MINIMAL + """\
actions:
  - id: block
    title: {ru: Блок, en: Block}
    op: block_services
    params: {days: form.days}
    confirm: {ru: "На {{ form.days }} дн. из {{ terms.max_days }}?", en: "{{ form.days }} days?"}
    success: {ru: "До {{ result.effective_date }}", en: "Until {{ result.effective_date }}"}
""")
    with pytest.raises(SchemaInvalid) as caught:
        load(tmp_path)
    assert [(_path(i), i.message.split(" (")[0]) for i in caught.value.issues] == [
        ("actions[0].confirm", "unknown data source 'terms'")]


@pytest.mark.parametrize("change, message", [
    (("route: /", "route: /healthz"), "/healthz is the engine's own address"),
    (("route: /", "route: /x/<id>/<id>"), "names each parameter once"),
    (("type: balance_card", "type: balance_card\n        visible_if: '!account.balance'"), "put the path in parentheses"),
    (("label: {ru: Баланс, en: Balance}", "label: {ru: Баланс, en: On}"), "quote values YAML reads"),
    (("title: {ru: Главная, en: Home}", "title: {ru: 2024, en: 2024}"), "quote values YAML reads"),
    (("      - type: balance_card", "      - type: balance_card\n        actions: [{id: x}]"), "no action"),
    (("      - type: balance_card", "      - use: [a]\n      - type: balance_card"), "use takes the id"),
])
def test_odd_schemas_get_messages_not_tracebacks(tmp_path, change, message):
    write_cabinet(tmp_path, MINIMAL.replace(*change))
    with pytest.raises(SchemaInvalid) as caught:
        load(tmp_path)
    assert message in str(caught.value)


def test_a_shared_section_that_uses_itself(tmp_path):
    write_cabinet(tmp_path, MINIMAL.replace("      - type: balance_card", "      - use: a\n      - type: balance_card")
                  + "shared_sections: {a: {type: group, sections: [{use: a}]}}\n")
    with pytest.raises(SchemaInvalid, match="uses itself"):
        load(tmp_path)


@pytest.mark.parametrize("text, message", [
    ("x: &a [*a]\n", "refers to a node that contains it"),
    ("schema_version: 2\n\x01\n", "not readable as YAML"),
    ("a: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{n}: &{n} [{', '.join(['*' + p] * 10)}]\n" for p, n in zip("abcdef", "bcdefg")), "expands to more than"),
])
def test_hostile_yaml_is_refused_quickly(tmp_path, text, message):
    (tmp_path / "cabinet.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(SchemaInvalid, match=message):
        load(tmp_path)


def test_yaml_boolean_keys_keep_their_line(tmp_path):
    write_cabinet(tmp_path, MINIMAL + "on: {ru: Вкл, en: On}\n")
    with pytest.raises(SchemaInvalid) as caught:
        load(tmp_path)
    assert caught.value.issues[0].location.line == MINIMAL.count("\n") + 1


def test_a_screen_reads_engine_data_only_from_handlers_that_only_read(tmp_path):
    body = MINIMAL.replace("data: {account: {op: account}}",
                           "data: {account: {op: account}, rule: {handler: autopay}, pay: {handler: card_top_up},"
                           " ghost: {handler: nothing_like_it}, both: {op: account, handler: autopay}}")
    with pytest.raises(SchemaInvalid) as caught:
        load(write_cabinet(tmp_path / "cabinet", body))
    issues = {_path(i): i.message for i in caught.value.issues}
    assert "'card_top_up' changes data" in issues["screens[0].data.pay.handler"]
    assert "unknown handler 'nothing_like_it'" in issues["screens[0].data.ghost.handler"]
    assert "give one of op" in issues["screens[0].data.both"]
    assert len(issues) == 3, issues                                  # reading the autopay rule is fine
