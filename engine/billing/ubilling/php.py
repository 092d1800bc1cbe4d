"""The PHP behaviours the userstats code leans on, where they reach the wire or decide a branch:
``empty()``, truthiness, string conversion of floats, ``json_encode`` with default flags, ``round()``,
numeric strings in arithmetic, ``strip_tags()``, ``base64_decode()`` and the input filters
(``vf``, ``ubRouting::filters(.., 'login')``)."""
from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal

PhpNumber = int | float

_NUMERIC = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$")
_LEADING_NUMERIC = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


# --- truthiness ---------------------------------------------------------------------------------------
def is_empty(value: object) -> bool:
    """PHP ``empty()``: null, false, 0, 0.0, "", "0" and an empty array."""
    if value is None or value is False:
        return True
    if isinstance(value, (int, float)):
        return value == 0
    if isinstance(value, str):
        return value in ("", "0")
    if isinstance(value, (list, tuple, dict)):
        return len(value) == 0
    return False


def truthy(value: object) -> bool:
    """PHP ``(bool)``: the opposite of ``empty()`` (so "0" is false, "0.0" and "false" are true)."""
    return not is_empty(value)


def filter_bool(value: object) -> bool:
    """``filter_var($value, FILTER_VALIDATE_BOOLEAN)`` without NULL_ON_FAILURE: anything not a
    "true" word is false."""
    if isinstance(value, bool):
        return value
    return to_string(value).strip().lower() in ("1", "true", "on", "yes")


# --- numbers ------------------------------------------------------------------------------------------
def is_numeric(value: object) -> bool:
    """PHP ``is_numeric()``."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    return isinstance(value, str) and bool(_NUMERIC.match(value))


def number(value: object) -> PhpNumber:
    """A value as PHP arithmetic sees it: integral numeric strings become int, other numeric strings
    float, a leading-numeric string its number, anything else 0."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if not isinstance(value, str):
        return 0
    match = _LEADING_NUMERIC.match(value)
    if not match:
        return 0
    text = match.group(0).strip()
    if match.group(2) is None and match.group(3) is None and "." not in text:
        return int(text)
    return float(text)


def add(left: object, right: object) -> PhpNumber:
    """``$a + $b``: int when both are ints."""
    return number(left) + number(right)


def subtract(left: object, right: object) -> PhpNumber:
    return number(left) - number(right)


def multiply(left: object, right: object) -> PhpNumber:
    return number(left) * number(right)


def divide(left: object, right: object) -> PhpNumber:
    """``$a / $b``: an int only when both are ints and the division is exact."""
    dividend, divisor = number(left), number(right)
    if isinstance(dividend, int) and isinstance(divisor, int) and divisor and dividend % divisor == 0:
        return dividend // divisor
    return dividend / divisor


def php_round(value: object, precision: int = 0) -> float:
    """``round()``: half away from zero, on the decimal the float prints as; always a float."""
    as_float = float(number(value))
    if not math.isfinite(as_float):
        return as_float
    exponent = Decimal(1).scaleb(-precision)
    return float(Decimal(repr(as_float)).quantize(exponent, rounding=ROUND_HALF_UP))


def compare(left: object, right: object) -> int:
    """PHP 8's ``<=>`` for the scalars userstats compares: numerically when both sides are numbers or
    numeric strings, otherwise as strings (null counts as "")."""
    if is_numeric(left) and is_numeric(right):
        a, b = number(left), number(right)
        return (a > b) - (a < b)
    text_a, text_b = to_string(left), to_string(right)
    return (text_a > text_b) - (text_a < text_b)


def ip2int(ip: object) -> float:
    """CMP ``ip2int()``: the dotted quad as a number (a float in PHP), 0 when not four parts."""
    parts = to_string(ip).split(".")
    if len(parts) != 4:
        return 0.0
    a, b, c, d = (float(number(part)) for part in parts)
    return 256 * (256 * (a * 256 + b) + c) + d


# --- string conversion --------------------------------------------------------------------------------
def _gcvt(value: float, digits: str, decimal_point: int, ndigit: int, exp_char: str) -> str:
    """zend_gcvt's layout for ``0.<digits> x 10^decimal_point``: exponential when the point is far
    out (with at least one fraction digit, e.g. ``1.0E+25``), plain otherwise."""
    sign = "-" if math.copysign(1.0, value) < 0 else ""
    if decimal_point < -3 or decimal_point > ndigit:
        exponent = decimal_point - 1
        mantissa = digits[0] + "." + (digits[1:] or "0")
        return f"{sign}{mantissa}{exp_char}{'-' if exponent < 0 else '+'}{abs(exponent)}"
    if decimal_point <= 0:
        return f"{sign}0.{'0' * -decimal_point}{digits}"
    if len(digits) <= decimal_point:
        return sign + digits + "0" * (decimal_point - len(digits))
    return f"{sign}{digits[:decimal_point]}.{digits[decimal_point:]}"


def _digits(value: float, significant: int | None) -> tuple[str, int]:
    """The significant digits and the decimal point position of ``abs(value)``: the shortest
    round-tripping ones when ``significant`` is None, else rounded to that many."""
    if significant is None:
        text = repr(abs(value))
    else:
        text = f"{abs(value):.{significant - 1}e}"
    sign, digit_tuple, exponent = Decimal(text).as_tuple()
    digits = "".join(map(str, digit_tuple)).rstrip("0") or "0"
    assert isinstance(exponent, int)
    decimal_point = len(digit_tuple) + exponent
    return digits, decimal_point


def float_to_string(value: float) -> str:
    """A float in string context (``echo``, ``.``): ``precision=14``, e.g. 350.0 -> "350"."""
    if math.isnan(value):
        return "NAN"
    if math.isinf(value):
        return "INF" if value > 0 else "-INF"
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    digits, point = _digits(value, 14)
    return _gcvt(value, digits, point, 14, "E")


def to_string(value: object) -> str:
    """PHP string conversion: true -> "1", false/null -> "", floats as ``float_to_string``, arrays
    -> "Array"."""
    if value is None or value is False:
        return ""
    if value is True:
        return "1"
    if isinstance(value, float):
        return float_to_string(value)
    if isinstance(value, (list, tuple, dict)):
        return "Array"
    return str(value)


# --- json_encode --------------------------------------------------------------------------------------
def _json_float(value: float) -> str:
    """A float in ``json_encode`` (``serialize_precision=-1``, no PRESERVE_ZERO_FRACTION):
    the shortest round-tripping digits, 350.0 -> 350, -120.5 -> -120.5, 1e25 -> 1.0e+25."""
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    digits, point = _digits(value, None)
    return _gcvt(value, digits, point, 17, "e")


def _json_string(text: str) -> str:
    # json.dumps escapes non-ASCII as \uXXXX (lower-case, surrogate pairs) as PHP does; PHP also
    # escapes "/" by default, which never occurs inside an escape sequence
    return json.dumps(text, ensure_ascii=True).replace("/", "\\/")


def is_list(array: Mapping[object, object]) -> bool:
    """Whether a PHP array is a list for ``json_encode`` (keys 0..n-1 in order)."""
    return all(key == index for index, key in enumerate(array))


def json_encode(value: object) -> str:
    """``json_encode($value)`` with default flags; a Mapping is a PHP array (a JSON array when its
    keys are 0..n-1, an object otherwise), a list a PHP list."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("json_encode cannot encode INF or NAN")
        return _json_float(value)
    if isinstance(value, str):
        return _json_string(value)
    if isinstance(value, Mapping):
        if is_list(value):
            return "[" + ",".join(json_encode(item) for item in value.values()) + "]"
        return "{" + ",".join(f"{_json_string(str(key))}:{json_encode(item)}"
                              for key, item in value.items()) + "}"
    if isinstance(value, Sequence):
        return "[" + ",".join(json_encode(item) for item in value) + "]"
    return _json_string(str(value))


def array_key(key: object) -> object:
    """How PHP stores an array key: a decimal integer string becomes an int ("7" -> 7, "07" stays)."""
    if isinstance(key, bool):
        return int(key)
    if isinstance(key, str) and re.fullmatch(r"-?(0|[1-9]\d*)", key) and key != "-0":
        return int(key)
    return key


# --- text filters -------------------------------------------------------------------------------------
_VF_BLACKLIST = re.compile(r"[~@+?%/;=*><\"'\-]")


def vf(text: str) -> str:
    """``vf($data)`` default mode: strips ``~@+?%/;=*><"'-``."""
    return _VF_BLACKLIST.sub("", text)


def login_filter(text: str) -> str:
    """``ubRouting::filters($x, 'login')``: spaces become "_", then only ``[a-zA-Z0-9_]`` stays."""
    return re.sub(r"[^a-zA-Z0-9_]", "", text.replace(" ", "_"))


def int_filter(text: str) -> str:
    """``ubRouting::filters($x, 'int')``: digits only."""
    return re.sub(r"[^0-9]", "", text)


def _tag_name(tag: str) -> str:
    """The normalised ``<name>`` of a tag's text, as php_tag_find compares it."""
    match = re.match(r"<\s*/?\s*([^\s/>]*)", tag)
    return f"<{(match.group(1) if match else '').lower()}>"


def strip_tags(text: str, allowed: Iterable[str] = ()) -> str:
    """``strip_tags()``: drops tags, comments and PHP blocks; keeps the ``allowed`` tags
    (given as ``<b>``). A ``<`` followed by white space is text."""
    allowed_names = {_tag_name(tag) for tag in allowed}
    out: list[str] = []
    i, length = 0, len(text)
    while i < length:
        char = text[i]
        if char != "<" or i + 1 >= length or text[i + 1].isspace():
            out.append(char)
            i += 1
            continue
        if text.startswith("<!--", i):
            end = text.find("-->", i + 4)
            i = length if end < 0 else end + 3
            continue
        if text.startswith("<?", i):
            end = text.find("?>", i + 2)
            i = length if end < 0 else end + 2
            continue
        j, depth, quote = i + 1, 1, ""
        while j < length and depth:
            current = text[j]
            if quote:
                if current == quote:
                    quote = ""
            elif current in "\"'":
                quote = current
            elif current == "<":
                depth += 1
            elif current == ">":
                depth -= 1
            j += 1
        tag = text[i:j]
        if depth == 0 and _tag_name(tag) in allowed_names:
            out.append(tag)
        i = j
    return "".join(out)


def base64_decode(text: str) -> bytes | None:
    """``base64_decode()`` in its default (non-strict) mode: characters outside the alphabet are
    skipped; None (PHP false) when a single character is left over."""
    kept = re.sub(r"[^A-Za-z0-9+/]", "", text)
    if len(kept) % 4 == 1:
        return None
    kept += "=" * (-len(kept) % 4)
    try:
        return base64.b64decode(kept)
    except (binascii.Error, ValueError):
        return None
