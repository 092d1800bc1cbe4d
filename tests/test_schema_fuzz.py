"""The loader survives a fuzzer: the demo cabinet, mutated, either loads or is refused with
located errors (a path, or a file and line) — never an exception, never a hang."""
from __future__ import annotations

import shutil

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from engine.schema import SchemaInvalid, YamlSource
from engine.schema.model import Cabinet
from tests.conftest import DEMO_SCHEMAS
from tests.test_schema_pipeline import load

FILES = sorted(str(p.relative_to(DEMO_SCHEMAS)) for p in DEMO_SCHEMAS.rglob("*.yaml"))

# Things that broke loaders before: nesting that recurses in a parser, templates that loop, recurse
# or blow up, aliases, odd characters.
BOMBS = [
    "[" * 60 + "]" * 60,
    "[" * 3000 + "]" * 3000,
    "{a: " * 60 + "1" + "}" * 60,
    "x:\n" + "".join(" " * i + "- \n" for i in range(80)),
    "'" + "(" * 40 + "a" + ")" * 40 + "'",
    "'" + "(" * 400 + "a" + ")" * 400 + "'",
    "'a" + ".b" * 3000 + "'",
    "'" + "!" * 40 + "a'",
    "'{{ " + "(" * 400 + "1" + ")" * 400 + " }}'",
    "'{% for i in range(99999) %}{% for j in range(99999) %}x{% endfor %}{% endfor %}'",
    "'{% for i in range(9999) %}{% for j in range(9999) %}x{% endfor %}{% endfor %}'",
    "'{% macro f(n) %}{{ f(n) }}{{ f(n) }}{% endmacro %}{{ f(1) }}'",
    "'" + "{% if 1 %}" * 30 + "x" + "{% endif %}" * 30 + "'",
    "'" + "{% if 1 %}" * 200 + "x" + "{% endif %}" * 200 + "'",
    "'{{ \"x\" * 1000000000 }}'",
    "'{{ \"x\".center(1000000000) }}'",
    "'{{ account.balance }'",
    "'{{ acount.balance }}'",
    "'{% set x = acount.number %}{{ x }}'",
    "&a [*a, *a]",
    "{$include: ../../etc/passwd}",
    "{$include: cabinet.yaml}",
    "{use: nothing}",
    "\t\x00\ufeff",
    "!!python/object:os.system ['echo']",
    "2025-13-45",
    "~",
    "[]",
    "{}",
    "-1e999",
    "'\\ud800'",
]

scalar = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True),
                   st.text(max_size=30), st.sampled_from([b.strip("'") for b in BOMBS]))
value = st.recursive(scalar, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                     st.dictionaries(st.text(max_size=10), inner, max_size=4)),
                     max_leaves=12)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    target = tmp_path_factory.mktemp("fuzzed") / "demo"
    shutil.copytree(DEMO_SCHEMAS, target)
    return target


def _check(folder, name: str, text: str) -> None:
    file = folder / name
    original = file.read_bytes()
    file.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        try:
            cabinet = load(folder)
        except SchemaInvalid as refused:
            assert refused.issues
            for issue in refused.issues:
                assert issue.path or issue.location, f"an unlocated error: {issue}"
        else:
            assert isinstance(cabinet, Cabinet)
    finally:
        file.write_bytes(original)


FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@FUZZ
@given(name=st.sampled_from(FILES), data=st.data())
def test_text_mutations_give_located_errors_only(folder, name, data):
    text = (DEMO_SCHEMAS / name).read_text(encoding="utf-8")
    at = data.draw(st.integers(0, len(text)), label="at")
    cut = data.draw(st.integers(0, 40), label="cut")
    insert = data.draw(st.one_of(st.sampled_from(BOMBS), st.text(max_size=20)), label="insert")
    _check(folder, name, text[:at] + insert + text[at + cut:])


def _paths(node, here=()):
    yield here
    if isinstance(node, dict):
        for key, child in node.items():
            yield from _paths(child, here + (key,))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from _paths(child, here + (index,))


@FUZZ
@given(name=st.sampled_from(FILES), data=st.data())
def test_value_mutations_give_located_errors_only(folder, name, data):
    document = yaml.safe_load((DEMO_SCHEMAS / name).read_text(encoding="utf-8"))
    paths = list(_paths(document))
    path = data.draw(st.sampled_from(paths), label="path")
    replacement = data.draw(value, label="value")
    if not path:
        document = replacement
    else:
        parent = document
        for part in path[:-1]:
            parent = parent[part]
        parent[path[-1]] = replacement
    _check(folder, name, yaml.safe_dump(document, allow_unicode=True, sort_keys=False))


PLACES = [   # (file, text to replace): an expression, a text, a section, a whole file
    ("screens/home.yaml", "items: services"),
    ("screens/home.yaml", "title: {ru: Мои услуги, en: My services}"),
    ("screens/home.yaml", "- type: action_bar"),
    ("actions.yaml", "- id: top_up"),
]


@pytest.mark.parametrize("bomb", BOMBS)
def test_every_bomb_at_every_place_gives_located_errors_only(folder, bomb):
    for name, anchor in PLACES:
        text = (DEMO_SCHEMAS / name).read_text(encoding="utf-8")
        key = anchor.split(":")[0].lstrip("- ")
        _check(folder, name, text.replace(anchor, f"{key}: {bomb}" if ":" in anchor else bomb, 1))


def test_the_demo_loads_through_the_fuzzers_folder(folder):
    assert isinstance(load(folder), Cabinet)
    assert YamlSource(folder).fingerprint()
