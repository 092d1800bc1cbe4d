"""The cabinet's colours as one effective palette, checked for WCAG AA contrast, with a derived dark palette.

Pure functions over "#rrggbb" strings; coloraide does the colour science (WCAG 2.1 contrast, OKLCH).
Operators author light colours only: the dark palette is derived so that it always passes.
"""
from __future__ import annotations

import math
import re
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Mapping

from coloraide import Color

AA_TEXT = 4.5                       # WCAG 2.1 AA for normal-size text
WHITE = "#ffffff"
BLACK = "#000000"

# The base theme's default colours: the single source of them (the theme emits the effective palette).
BASE_LIGHT: Mapping[str, str] = MappingProxyType({
    "primary": "#1565d8",
    "on_primary": "#ffffff",
    "bg": "#f2f4f7",
    "surface": "#ffffff",
    "text": "#1a1f2b",
    "muted": "#5f6b7a",
    "border": "#e3e7ed",
    "success": "#1a7434",
    "warning": "#995200",
    "danger": "#c62828",
    "info": "#0b63c0",
})

# Dark neutrals replace the operator's light ones: a light brand's bg/text say nothing about dark mode.
DARK_NEUTRALS: Mapping[str, str] = MappingProxyType({
    "bg": "#0f1115",
    "surface": "#1a1d23",
    "text": "#e8eaed",
    "muted": "#9aa0a6",
    "border": "#2e333b",
})

STATUS = ("success", "warning", "danger", "info")

# Tinted grounds the theme draws with a colour on them (secondary buttons, the current language, badges,
# notices): that colour at TINT over the surface. Derived, so operators never set them; the theme reads
# them as --color-primary-tint and so on.
TINT = 0.12
TINTED = ("primary", "muted", *STATUS)

# (foreground, background): the pairs the base theme sets text in.
TEXT_PAIRS: tuple[tuple[str, str], ...] = (
    ("text", "bg"), ("text", "surface"),
    ("muted", "bg"), ("muted", "surface"),
    ("on_primary", "primary"),
    ("primary", "surface"), ("primary", "bg"),              # links and primary-coloured text
    ("danger", "surface"), ("success", "surface"), ("warning", "surface"), ("info", "surface"),
    *((name, f"{name}_tint") for name in TINTED),                 # secondary buttons, badges
    *(("text", f"{name}_tint") for name in STATUS),                # notices
)

_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}$")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


# --- basics -------------------------------------------------------------------------------------
def normalize(value: Any) -> str | None:
    """'#ABC' or '#AABBCC' as '#aabbcc'; None for anything else (the structure check reports it)."""
    if not isinstance(value, str) or not _HEX.match(value):
        return None
    digits = value[1:].lower()
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    return "#" + digits


@lru_cache(maxsize=4096)
def contrast(a: str, b: str) -> float:
    return Color(a).contrast(b, method="wcag21")


def _given(colors: Mapping | None) -> dict[str, str]:
    """The operator's well-formed colours, normalized; malformed ones are the structure check's business."""
    given = {}
    for name, value in (colors or {}).items():
        value = normalize(value)
        if isinstance(name, str) and _NAME.match(name) and value:
            given[name] = value
    return given


def tint(color: str, surface: str) -> str:
    return Color(surface).mix(color, TINT, space="srgb").to_string(hex=True)


def _with_tints(palette: dict[str, str]) -> dict[str, str]:
    for name in TINTED:
        palette[f"{name}_tint"] = tint(palette[name], palette["surface"])
    return palette


def light_palette(colors: Mapping | None) -> Mapping[str, str]:
    """BASE_LIGHT overlaid with the operator's colours, with the tints derived from them."""
    return MappingProxyType(_with_tints({**BASE_LIGHT, **_given(colors)}))


def failing_pairs(palette: Mapping[str, str]) -> list[tuple[str, str, float]]:
    """(foreground, background, ratio) of every text pair below AA in ``palette``."""
    failing = []
    for fg, bg in TEXT_PAIRS:
        ratio = contrast(palette[fg], palette[bg])
        if ratio < AA_TEXT:
            failing.append((fg, bg, ratio))
    return failing


# --- moving a colour's lightness, keeping its hue --------------------------------------------------
def _at_lightness(oklch: Color, lightness: float) -> str:
    # oklch-chroma gamut mapping lowers chroma only, so the hue survives the trip back to sRGB
    return (oklch.clone().set("lightness", lightness).fit("srgb", method="oklch-chroma")
            .convert("srgb").to_string(hex=True))


@lru_cache(maxsize=1024)
def _reach(value: str, against: tuple[str, ...], direction: int) -> str | None:
    """``value`` lightened (+1) or darkened (-1) in OKLCH just enough to reach AA against every colour in
    ``against``; None when even white or black does not."""
    def passes(hex_value: str) -> bool:
        return all(contrast(hex_value, other) >= AA_TEXT for other in against)

    if passes(value):
        return value
    oklch = Color(value).convert("oklch")
    start = oklch["lightness"]
    end = 1.0 if direction > 0 else 0.0
    if not passes(_at_lightness(oklch, end)):
        return None
    # Bisect on the rounded hex itself, so the answer is a value that really passes.
    near, far = start, end
    for _ in range(24):
        middle = (near + far) / 2
        if passes(_at_lightness(oklch, middle)):
            far = middle
        else:
            near = middle
    return _at_lightness(oklch, far)


def _nearest_passing(value: str, against: tuple[str, ...]) -> tuple[str, int] | None:
    """The passing colour of ``value``'s hue closest in lightness, with the direction (+1 lighter, -1 darker)."""
    start = Color(value).convert("oklch")["lightness"]
    found = []
    for direction in (-1, +1):
        reached = _reach(value, against, direction)
        if reached is not None:
            found.append((abs(Color(reached).convert("oklch")["lightness"] - start), direction, reached))
    if not found:
        return None
    _, direction, reached = min(found)
    return reached, direction


# --- the dark palette ---------------------------------------------------------------------------
def dark_palette(light: Mapping[str, str]) -> Mapping[str, str]:
    """A dark palette derived from the light one: dark neutrals, the brand and status colours lightened
    (same hue) to AA on the dark surface and bg, and on_primary white or near-black, whichever reads."""
    light = {**BASE_LIGHT, **_given(light)}
    dark = dict(light)                                   # names the theme does not know stay as given
    dark.update(DARK_NEUTRALS)
    grounds = (dark["surface"], dark["bg"])
    for name in ("primary", *STATUS):
        dark[name] = _reach(light[name], grounds, +1) or WHITE
        # its tint moves with it: lighten until it also reads on its own tint (a step or two)
        for _ in range(4):
            own_tint = tint(dark[name], dark["surface"])
            if contrast(dark[name], own_tint) >= AA_TEXT:
                break
            dark[name] = _reach(dark[name], (*grounds, own_tint), +1) or WHITE
    dark["on_primary"] = WHITE if contrast(WHITE, dark["primary"]) >= AA_TEXT else dark["bg"]
    return MappingProxyType(_with_tints(dark))


# --- the operator's mistakes --------------------------------------------------------------------
def contrast_problems(colors: Mapping | None) -> list[tuple[str, str]]:
    """(colour name, message) for each text pair of the light palette below WCAG AA, where at least one
    of the two colours is the operator's (the defaults pass). The name is the operator's colour of the
    pair (the foreground when both are), i.e. where the schema should be changed."""
    given = _given(colors)
    palette = light_palette(given)
    # a tint is the operator's when the colour it is made of is
    given.update({f"{name}_tint": palette[f"{name}_tint"] for name in TINTED if name in given})
    problems = []
    for fg, bg, ratio in failing_pairs(palette):
        if fg in given or bg in given:
            problems.append((fg if fg in given else bg, _message(fg, bg, ratio, palette, given)))
    return problems


def _message(fg: str, bg: str, ratio: float, palette: Mapping[str, str], given: Mapping[str, str]) -> str:
    shown = math.floor(ratio * 10) / 10                  # never rounds a failing 4.46 up to "4.5:1"
    ground = f"{bg} {palette[bg].upper()}"
    if bg.endswith("_tint"):
        ground += f" ({bg[:-len('_tint')]} at {TINT:.0%} over surface, behind secondary buttons, badges, notices)"
    message = f"{fg} {palette[fg].upper()} on {ground}: contrast {shown:.1f}:1, WCAG AA needs {AA_TEXT}:1 for text"
    # Suggest changing the brand colour rather than its text colour, and only a colour the operator set.
    preferred = bg if (fg, bg) == ("on_primary", "primary") else fg
    change = preferred if preferred in given else ({fg, bg} - {preferred}).pop()
    other = fg if change == bg else bg
    hints = []
    # A value that passes every pair the changed colour is in, else at least this pair.
    if change.endswith("_tint"):                          # a tint is changed through its colour
        change, other = change[:-len("_tint")], fg
    fix = _suggestion(change, palette, other)
    if fix is not None:
        value, direction = fix
        hints.append(f"a {'lighter' if direction > 0 else 'darker'} {change} such as {value.upper()}")
    # The grounds stay light: suggesting a dark surface would flip the whole theme.
    other_way = None if other.endswith("_tint") else _other_way(palette[other], palette[change],
                                                                may_flip=other not in ("bg", "surface"))
    if other_way:
        hints.append(f"a {other_way} {other}")
    return message + ("; use " + " or ".join(hints) if hints else "")


def _suggestion(change: str, palette: Mapping[str, str], other: str) -> tuple[str, int] | None:
    """A value for ``change`` passing every pair it is in, its own tint included (which moves with it),
    else at least the pair against ``other``."""
    partners = {palette[b if a == change else a] for a, b in TEXT_PAIRS
                if change in (a, b) and f"{change}_tint" not in (a, b)}
    fix = None
    for _ in range(4):
        fix = _nearest_passing(palette[change], tuple(sorted(partners)))
        if fix is None:
            break
        own_tint = tint(fix[0], palette["surface"]) if change in TINTED else None
        if own_tint is None or contrast(fix[0], own_tint) >= AA_TEXT:
            return fix
        partners.add(own_tint)
    if change in TINTED and fix is None:
        return None
    return fix or _nearest_passing(palette[change], (palette[other],))


def _other_way(value: str, against: str, may_flip: bool) -> str | None:
    """'lighter' or 'darker': which way ``value`` could move to pass against ``against``, if any; away
    from it first, else (``may_flip``) past it, as white text on a light button becoming dark."""
    away = "lighter" if Color(value).luminance() >= Color(against).luminance() else "darker"
    ways = (away, "darker" if away == "lighter" else "lighter") if may_flip else (away,)
    for way in ways:
        if contrast(WHITE if way == "lighter" else BLACK, against) >= AA_TEXT:
            return way
    return None
