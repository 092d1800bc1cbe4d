"""The effective colour palette: WCAG AA contrast checks on the operator's colours, the derived dark palette,
and contrast problems reported by `cabinet validate` like every other schema error."""
from __future__ import annotations

import dataclasses
import re
import shutil

import pytest
from click.testing import CliRunner
from coloraide import Color

from engine.cli import main
from engine.kinds import field_kind_registry, section_kind_registry
from engine.schema import YamlSource, load_cabinet
from engine.schema import palette
from engine.schema.model import Branding
from engine.schema.palette import (
    STATUS,
    AA_TEXT, BASE_LIGHT, DARK_NEUTRALS, TEXT_PAIRS, contrast, contrast_problems, dark_palette, failing_pairs,
    light_palette,
)
from engine.web.handlers import handler_operations, handler_registry
from tests.conftest import ROOT

DEMO = ROOT / "cabinet_schemas" / "demo"
SUGGESTION = re.compile(r"use an? (darker|lighter) (\w+) such as (#[0-9A-F]{6})")


def _hue(value: str) -> float:
    return Color(value).convert("oklch")["hue"]


def _suggestion(message: str) -> tuple[str, str, str]:
    match = SUGGESTION.search(message)
    assert match, message
    return match.groups()


# --- the light palette and its checks -------------------------------------------------------------
def test_the_defaults_pass_and_a_cabinet_without_colours_has_no_problems():
    assert failing_pairs(light_palette({})) == []
    assert contrast_problems({}) == [] and contrast_problems(None) == []
    assert set(BASE_LIGHT) == {"primary", "on_primary", "bg", "surface", "text", "muted", "border",
                               "success", "warning", "danger", "info"}


def test_light_palette_overlays_the_operators_colours_normalized():
    light = light_palette({"primary": "#0067D6", "text": "#123", "accent": "#ABCDEF"})
    assert light["primary"] == "#0067d6" and light["text"] == "#112233" and light["accent"] == "#abcdef"
    assert light["border"] == BASE_LIGHT["border"] and light["danger"] == BASE_LIGHT["danger"]
    assert all(re.fullmatch(r"#[0-9a-f]{6}", value) for value in light.values())


def test_malformed_colours_are_left_to_the_structure_check():
    colors = {"primary": "blue", "on_primary": 5, "Bad Name": "#000000", "muted": "#12345"}
    assert light_palette(colors) == light_palette({})
    assert contrast_problems(colors) == []


def test_the_old_demo_blue_fails_with_a_message_naming_both_colours_and_a_fix():
    problems = contrast_problems({"primary": "#0A84FF", "on_primary": "#FFFFFF"})
    assert [name for name, _ in problems] == ["on_primary", "primary", "primary", "primary"]
    on_primary = problems[0][1]
    assert re.fullmatch(r"on_primary #FFFFFF on primary #0A84FF: contrast 3\.6:1, WCAG AA needs 4\.5:1 for text; "
                        r"use a darker primary such as #[0-9A-F]{6} or a darker on_primary", on_primary), on_primary
    assert "primary #0A84FF on surface #FFFFFF: contrast 3.6:1" in problems[1][1]
    assert "primary #0A84FF on bg #F2F4F7: contrast 3.3:1" in problems[2][1]
    # a light surface is never suggested to become dark
    assert "surface" not in problems[1][1].split(";")[1] and "bg" not in problems[2][1].split(";")[1]


@pytest.mark.parametrize("fg, bg", TEXT_PAIRS)
def test_every_text_pair_is_checked(fg, bg):
    # a foreground as light as its (light) default background cannot be read
    ground = light_palette({})[bg]
    light = Color(ground).convert("oklch").set("lightness", 0.93).convert("srgb").to_string(hex=True)
    bad = light if fg != "on_primary" else ground
    problems = contrast_problems({fg: bad})
    reported = [message for name, message in problems if message.startswith(f"{fg} ") and f" on {bg} " in message]
    assert len(reported) == 1, problems
    assert all(name == fg for name, _ in problems)


def test_only_pairs_with_an_operators_colour_are_reported(monkeypatch):
    # a failing default (made so here) is the theme's business, not the operator's
    monkeypatch.setattr(palette, "BASE_LIGHT", {**BASE_LIGHT, "muted": "#cccccc"})
    assert contrast_problems({"primary": "#0067D6", "border": "#000000"}) == []
    problems = contrast_problems({"bg": "#FFFFFF"})
    assert [name for name, _ in problems] == ["bg"] and problems[0][1].startswith("muted #CCCCCC on bg #FFFFFF")


def test_a_pair_of_a_default_and_an_operators_colour_is_reported_at_the_operators_colour():
    problems = contrast_problems({"primary": "#FFEB3B"})            # with the default white on_primary
    assert [name for name, _ in problems] == ["primary"] * 4         # on_primary, surface, bg, its tint
    assert problems[0][1].startswith("on_primary #FFFFFF on primary #FFEB3B")
    problems = contrast_problems({"bg": "#333333"})
    assert {name for name, _ in problems} == {"bg"}
    assert all("use a lighter bg such as" in message for _, message in problems)


@pytest.mark.parametrize("colors", [
    {"primary": "#0A84FF", "on_primary": "#FFFFFF"},
    {"primary": "#FFEB3B"},
    {"on_primary": "#777777"},
    {"muted": "#9AA0A6"},
    {"text": "#BBBBBB", "surface": "#FFFFFF"},
    {"danger": "#FF5252", "success": "#4CAF50", "warning": "#FFB300", "info": "#29B6F6"},
    {"bg": "#333333"},
    {"primary": "#E53935", "bg": "#FFF3E0"},
])
def test_the_suggested_colour_passes_and_keeps_the_hue(colors):
    problems = contrast_problems(colors)
    assert problems
    for _, message in problems:
        _, name, value = _suggestion(message)
        assert name in colors, message                               # only the operator's colour is changed
        fixed = dict(light_palette(colors), **{name: value.lower()})
        for fg, bg in TEXT_PAIRS:
            if name in (fg, bg) and message.startswith(f"{fg} ") and f" on {bg} " in message:
                assert contrast(fixed[fg], fixed[bg]) >= AA_TEXT, message
        original = light_palette(colors)[name]
        if Color(original).convert("oklch")["chroma"] > 0.05:
            assert abs(_hue(value) - _hue(original)) < 6, message


def test_a_suggestion_fixes_every_pair_of_that_colour_when_it_can():
    colors = {"primary": "#0A84FF", "on_primary": "#FFFFFF"}
    values = {_suggestion(message)[2] for _, message in contrast_problems(colors)}
    assert len(values) == 1                                          # one primary for all three pairs
    fixed = light_palette({**colors, "primary": values.pop()})
    assert failing_pairs(fixed) == []


def test_a_ratio_just_below_the_threshold_is_never_shown_as_4_5():
    greys = [f"#{v:02x}{v:02x}{v:02x}" for v in range(0x70, 0x78)]
    near = [g for g in greys if 4.45 <= contrast(g, "#ffffff") < AA_TEXT]
    assert near
    for grey in near:
        messages = [message for name, message in contrast_problems({"muted": grey, "bg": "#FFFFFF"})
                    if " on bg " in message]
        assert len(messages) == 1 and "contrast 4.4:1" in messages[0]


# --- the derived dark palette ---------------------------------------------------------------------
@pytest.mark.parametrize("primary", ["#1565D8", "#0067D6", "#0A84FF", "#000033", "#111111", "#FFF8E1",
                                     "#FFFFFF", "#FF0000", "#E53935", "#FFEB3B", "#00796B"])
def test_the_dark_palette_passes_every_pair_for_any_primary(primary):
    light = light_palette({"primary": primary})
    dark = dark_palette(light)
    assert failing_pairs(dark) == []
    for name, value in DARK_NEUTRALS.items():
        assert dark[name] == value
    assert dark["on_primary"] in ("#ffffff", DARK_NEUTRALS["bg"])
    assert all(re.fullmatch(r"#[0-9a-f]{6}", value) for value in dark.values())
    if Color(primary).convert("oklch")["chroma"] > 0.05:
        assert abs(_hue(dark["primary"]) - _hue(primary)) < 6       # still the operator's colour


def test_the_dark_palette_keeps_a_primary_that_already_reads_and_lightens_status_colours():
    dark = dark_palette(light_palette({"primary": "#FFEB3B", "danger": "#B71C1C"}))
    assert dark["primary"] == "#ffeb3b"
    assert contrast(dark["danger"], DARK_NEUTRALS["surface"]) >= AA_TEXT
    assert Color(dark["danger"]).luminance() > Color("#B71C1C").luminance()
    assert dark_palette(light_palette({"accent": "#ABCDEF"}))["accent"] == "#abcdef"


def test_branding_carries_both_palettes_by_default():
    branding = Branding()
    assert branding.light == light_palette({}) and failing_pairs(branding.dark) == []
    assert set(branding.light) == set(BASE_LIGHT) | {f"{name}_tint" for name in ("primary", "muted", *STATUS)}
    with pytest.raises(dataclasses.FrozenInstanceError):
        branding.light = {}


# --- the schema pipeline ----------------------------------------------------------------------------
def test_the_compiled_demo_has_its_effective_palettes():
    cabinet = load_cabinet(YamlSource(DEMO), field_kind_registry(), section_kind_registry(), None,
                           handlers=handler_operations(handler_registry()))
    light, dark = cabinet.branding.light, cabinet.branding.dark
    assert light["primary"] == "#0067d6" and light["on_primary"] == "#ffffff"
    assert light["border"] == BASE_LIGHT["border"] and light["danger"] == BASE_LIGHT["danger"]
    assert contrast("#ffffff", "#0067d6") >= AA_TEXT
    assert failing_pairs(light) == [] and failing_pairs(dark) == []
    assert dark["bg"] == DARK_NEUTRALS["bg"]


def test_cabinet_validate_reports_each_failing_pair_with_file_and_line(tmp_path):
    cabinet = tmp_path / "cabinet"
    shutil.copytree(DEMO, cabinet)
    yaml_file = cabinet / "cabinet.yaml"
    text = yaml_file.read_text(encoding="utf-8")
    assert '    muted: "#5F6368"\n' in text
    # muted passes on white but not on the demo's grey bg; danger fails on the surface
    yaml_file.write_text(text.replace('    muted: "#5F6368"\n', '    muted: "#737373"\n    danger: "#FF5252"\n'),
                         encoding="utf-8")
    lines = yaml_file.read_text(encoding="utf-8").splitlines()
    muted_line = lines.index('    muted: "#737373"') + 1
    danger_line = lines.index('    danger: "#FF5252"') + 1

    result = CliRunner().invoke(main, ["validate", str(cabinet)])
    assert result.exit_code == 1, result.output
    problems = [line for line in result.output.splitlines() if "branding." in line]
    assert len(problems) == 4, result.output        # each also fails on its own tint
    assert "4 problems found." in result.output
    by_path = {}
    for line in problems:
        file, line_no, path, message = line.split(":", 3)
        assert file.endswith("cabinet.yaml")
        by_path.setdefault(path.strip(), (int(line_no), message.strip()))
    assert by_path["branding.colors.muted"][0] == muted_line
    assert by_path["branding.colors.muted"][1].startswith("muted #737373 on bg #F2F4F7: contrast 4.3:1, WCAG AA")
    assert by_path["branding.colors.danger"][0] == danger_line
    assert by_path["branding.colors.danger"][1].startswith("danger #FF5252 on surface #FFFFFF: contrast 3.1:1")
    for _, message in by_path.values():
        assert "needs 4.5:1 for text; use a darker" in message
