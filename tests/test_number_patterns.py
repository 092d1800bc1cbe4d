"""Numbers formatted with patterns prepared once (engine/kinds/number_patterns.py) read exactly as
Babel formats them, in locales whose patterns differ (grouping, signs, where the symbol goes,
currencies with 0, 2, 3 and 4 decimals), and the Formatter gives Babel's text for money,
numbers and percentages."""
from __future__ import annotations

import copy
from decimal import Decimal, localcontext

import pytest
from babel import Locale
from babel.numbers import format_currency, format_decimal, format_percent, parse_pattern
from hypothesis import given, settings, strategies as st

from engine.kinds.formatting import Formatter
from engine.kinds.number_patterns import PreparedPattern

LOCALES = ["ru", "en", "en_IN", "de", "de_CH", "fr", "fr_CH", "es", "it", "pl", "uk", "kk", "uz", "tr", "ar",
           "ar_EG", "fa", "he", "hi", "bn", "ja", "zh", "ko", "nl", "pt_BR", "sv", "fi", "hu", "cs", "ka", "hy",
           "my", "ne", "sw", "ur", "vi", "th", "id"]
CURRENCIES = ["RUB", "USD", "EUR", "JPY", "KWD", "CLF", "KZT", "UZS", "GBP", "CHF", "INR", "XXX", "rub"]
NUMBERS = settings(max_examples=400, deadline=None, derandomize=True, database=None)

amounts = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-10**12, max_value=10**12),
    st.decimals(allow_nan=False, allow_infinity=False, min_value=-10**6, max_value=10**6),
    st.integers(min_value=-10**20, max_value=10**20).map(Decimal),
    st.sampled_from([Decimal("0"), Decimal("-0"), Decimal("-0.00"), Decimal("0.005"), Decimal("0.015"),
                     Decimal("-0.004"), Decimal("1E+3"), Decimal("1E-9"), Decimal("999.995"),
                     Decimal("1234567.891"), Decimal("12345678901234567890123456789.5")]),
)


def _babel_or_error(function, *args, **kwargs) -> str:
    try:
        return function(*args, **kwargs)
    except Exception as exc:   # the prepared pattern must fail the same way, not answer something else
        return f"error {type(exc).__name__}"


def _prepared_or_error(prepared: PreparedPattern, amount: Decimal) -> str:
    try:
        return prepared.apply(amount)
    except Exception as exc:
        return f"error {type(exc).__name__}"


@NUMBERS
@given(locale=st.sampled_from(LOCALES), currency=st.sampled_from(CURRENCIES), amount=amounts)
def test_money_reads_as_babel_formats_it(locale, currency, amount):
    parsed = Locale.parse(locale)
    prepared = PreparedPattern(parsed.currency_formats["standard"], parsed, currency)
    assert prepared.prepared       # every locale here: the prepared path is the one checked
    assert _prepared_or_error(prepared, amount) == _babel_or_error(format_currency, amount, currency,
                                                                     locale=parsed)


@NUMBERS
@given(locale=st.sampled_from(LOCALES), amount=amounts, decimals=st.sampled_from([None, 0, 1, 2, 3, 10]))
def test_numbers_and_percentages_read_as_babel_formats_them(locale, amount, decimals):
    parsed = Locale.parse(locale)
    for patterns, function in ((parsed.decimal_formats, format_decimal), (parsed.percent_formats, format_percent)):
        pattern = patterns.get(None)
        if decimals is not None:
            pattern = copy.copy(pattern)
            pattern.frac_prec = (decimals, decimals)
        expected = _babel_or_error(pattern.apply, amount, parsed)
        prepared = PreparedPattern(pattern, parsed)
        assert prepared.prepared and _prepared_or_error(prepared, amount) == expected
        if decimals is None:
            assert expected == _babel_or_error(function, amount, locale=parsed)


def test_patterns_it_does_not_prepare_go_to_babel():
    parsed = Locale.parse("en")
    scientific = PreparedPattern(parsed.scientific_formats.get(None), parsed)
    assert not scientific.prepared and scientific.apply(Decimal("12345")) == "1.2345E4"
    for written in ("#,##0.00 ¤¤¤", "@@@", "'#'#,##0.00"):
        pattern = PreparedPattern(parse_pattern(written), parsed, "USD")
        assert not pattern.prepared
        assert pattern.apply(Decimal("2")) == pattern.pattern.apply(Decimal("2"), parsed, currency="USD")


def test_a_sum_too_long_to_round_fails_as_babel_does():
    parsed = Locale.parse("ru")
    prepared = PreparedPattern(parsed.currency_formats["standard"], parsed, "RUB")
    with localcontext() as context:
        context.prec = 6
        assert _prepared_or_error(prepared, Decimal("123456789")) == _babel_or_error(
            format_currency, Decimal("123456789"), "RUB", locale=parsed)


@pytest.mark.parametrize("locale", ["ru", "en", "de_CH", "ar_EG", "en_IN"])
def test_the_formatter_gives_babels_text(locale):
    fmt = Formatter(locale, "RUB", "Europe/Moscow")
    parsed = Locale.parse(locale)
    for value in (Decimal("-7632.00"), 3146.1, 0, "1500", "3146,10", Decimal("1234567.891")):
        amount = Decimal(str(value).replace(",", "."))
        assert fmt.money(value) == format_currency(amount, "RUB", locale=parsed)
        assert fmt.money(value, "USD") == format_currency(amount, "USD", locale=parsed)
        assert fmt.number(value) == format_decimal(amount, locale=parsed)
        assert fmt.percent(value) == format_percent(amount, locale=parsed)
    assert fmt.money("not a sum") == "not a sum" and fmt.number(None) == ""
