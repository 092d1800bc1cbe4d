"""engine.assembly's form checks on their own, without Flask or a billing: each rule of an input,
the offered choices, and which section a post may come from."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from engine.assembly.calls import Outcome
from engine.assembly.forms import Refusal, check_value, offered_choices, refusal_message
from engine.assembly.submission import FormRefused, FormUnavailable, check_form
from engine.kinds import section_kind_registry
from engine.kinds.formatting import Formatter
from engine.schema.expressions import Text, compile_expr
from engine.schema.model import (
    ActionSpec, Choice, DataCall, InputSpec, ItemAction, ScreenSpec, SectionSpec, frozen_map,
)

FORM_KIND = section_kind_registry().get("form")
LIST_KIND = section_kind_registry().get("list")


def number(**options) -> InputSpec:
    return InputSpec(name="n", type="number", label=None, **options)


@pytest.mark.parametrize("raw, options, expected", [
    ("14", {}, (14, None)),
    (" 1 500 ", {}, (1500, None)),
    ("14.5", {}, (None, Refusal("whole_number"))),
    ("1e9", {}, (None, Refusal("whole_number"))),
    ("9" * 40, {}, (None, Refusal("whole_number"))),              # never parsed at all
    ("12,50", {"step": 0.01}, (Decimal("12.50"), None)),
    ("12.505", {"step": 0.01}, (None, Refusal("step", Decimal("0.01")))),
    ("6", {"min": Decimal("7")}, (None, Refusal("too_small", Decimal("7")))),
    ("91", {"max": compile_expr("terms.max_days")}, (None, Refusal("too_large", Decimal("90")))),
    ("90", {"max": compile_expr("terms.max_days")}, (90, None)),
    ("", {"required": True}, (None, Refusal("missing"))),
    ("", {}, (None, None)),
])
def test_numbers(raw, options, expected):
    assert check_value(number(**options), raw, {"terms": {"max_days": 90}}) == expected


def test_dates_texts_and_checkboxes():
    day = InputSpec(name="d", type="date", label=None, min=date(2026, 1, 1), max=compile_expr("today"))
    assert check_value(day, "2026-03-01", {"today": "2026-12-04"}) == (date(2026, 3, 1), None)
    assert check_value(day, "2025-12-31", {"today": "2026-12-04"})[1] == Refusal("too_early", date(2026, 1, 1))
    assert check_value(day, "2026-12-05", {"today": "2026-12-04"})[1] == Refusal("too_late", date(2026, 12, 4))
    assert check_value(day, "04.12.2026", {})[1] == Refusal("date")
    code = InputSpec(name="c", type="text", label=None, pattern=re.compile(r"\d{6}"), min_length=6, max_length=6)
    assert check_value(code, "123456", {}) == ("123456", None)
    assert check_value(code, "12345a", {})[1] == Refusal("pattern")
    assert check_value(code, "1234567", {})[1] == Refusal("too_long", 6)
    assert check_value(InputSpec(name="t", type="text", label=None), "x" * 1001, {})[1] == Refusal("too_long", 1000)
    assert check_value(InputSpec(name="e", type="email", label=None), "a@b", {})[1] == Refusal("email")
    assert check_value(InputSpec(name="p", type="tel", label=None), "+7 (900) 123-45-67", {})[1] is None
    assert check_value(InputSpec(name="p", type="tel", label=None), "call me", {})[1] == Refusal("tel")
    consent = InputSpec(name="ok", type="checkbox", label=None, required=True)
    assert check_value(consent, "on", {}) == ("1", None) and check_value(consent, None, {})[1] == Refusal("unchecked")


def test_choices_are_the_schemas_and_the_datas_less_the_excluded():
    select = InputSpec(name="to", type="select", label=None, choices=(Choice("cash", Text({"ru": "Наличные"}, "ru")),),
                       choices_from=compile_expr("accounts"), choice_value=compile_expr("id"),
                       choice_label=compile_expr("number"), exclude=compile_expr("account_id"))
    data = {"accounts": [{"id": "a1", "number": "001"}, {"id": "a2", "number": "002"}], "account_id": "a1"}
    assert offered_choices(select, data, lambda text: text.render("ru", {})) == [("cash", "Наличные"), ("a2", "002")]
    assert check_value(select, "a2", data) == ("a2", None)
    assert check_value(select, "a1", data)[1] == Refusal("choice")          # offered elsewhere, not here


def test_messages_name_the_field_and_the_limit_in_the_language():
    fmt = Formatter("ru")
    assert refusal_message(Refusal("too_large", Decimal("15000")), "Сумма", lambda s: s, fmt) == \
        "«Сумма»: enter at most 15\u00a0000."


# --- which section a post may come from ----------------------------------------------------------

def screen(*sections: SectionSpec, data=None) -> ScreenSpec:
    return ScreenSpec(id="s", route="/s", title=Text({"ru": "S"}, "ru"), roles=("subscriber",),
                      data=frozen_map(data or {}), sections=tuple(sections))


ACTION = ActionSpec(id="go", title=Text({"ru": "Go"}, "ru"), style="primary")
DAYS = InputSpec(name="days", type="number", label=None, required=True, max=Decimal("90"))
SECRET = InputSpec(name="who", type="hidden", label=None, default=compile_expr("user.login"))


def form_section(**extra) -> SectionSpec:
    return SectionSpec(id="f", kind=FORM_KIND, title=None, options=frozen_map(FORM_KIND.options().load({})),
                       inputs=(DAYS, SECRET), submit="go", **extra)


def check(spec: ScreenSpec, posted: dict, context: dict, outcomes=None):
    return check_form(spec, ACTION, posted, context, outcomes or {}, lambda s: s, Formatter("en"))


def test_a_form_gives_checked_values_and_the_servers_hidden_ones():
    checked = check(screen(form_section()), {"days": "30", "who": "someone-else", "extra": "x"},
                    {"user": {"login": "demo1"}})
    assert checked.values == {"days": 30, "who": "demo1"} and checked.section_id == "f"


def test_a_bound_may_read_the_inputs_above_it_as_the_server_checked_them():
    first = InputSpec(name="date_from", type="date", label=None, required=True, min=compile_expr("earliest"))
    last = InputSpec(name="date_to", type="date", label=None, required=True,
                     min=compile_expr("form.date_from || earliest"),
                     max=compile_expr("add_days(form.date_from || earliest, `89`)"))
    period = SectionSpec(id="f", kind=FORM_KIND, title=None, options=frozen_map(FORM_KIND.options().load({})),
                         inputs=(first, last), submit="go")
    data = {"earliest": "2026-12-05"}
    checked = check(screen(period), {"date_from": "2026-12-10", "date_to": "2027-03-09"}, data)
    assert checked.values == {"date_from": date(2026, 12, 10), "date_to": date(2027, 3, 9)}
    for posted, wrong in (({"date_from": "2026-12-10", "date_to": "2026-12-09"}, "2026-12-10"),   # before the start
                          ({"date_from": "2026-12-10", "date_to": "2027-03-10"}, "2027-03-09"),   # 91 days
                          ({"date_from": "2026-12-01", "date_to": "2026-12-04"}, "2026-12-05")):  # start refused:
        with pytest.raises(FormRefused) as caught:                                           # its fallback
            check(screen(period), posted, data)
        assert date.fromisoformat(wrong).strftime("%b %-d, %Y") in caught.value.errors["date_to"], posted


def test_refusals_carry_a_message_per_input():
    with pytest.raises(FormRefused) as caught:
        check(screen(form_section()), {"days": "120"}, {"user": {"login": "demo1"}})
    assert caught.value.errors == {"days": "«days»: enter at most 90."} and caught.value.result == "invalid"


def test_a_hidden_or_degraded_section_offers_nothing():
    hidden = form_section(visible_if=compile_expr("terms.allowed"))
    with pytest.raises(FormRefused) as caught:
        check(screen(hidden), {"days": "3"}, {"terms": {"allowed": False}})
    assert caught.value.result == "refused" and not caught.value.errors
    degraded = form_section(depends_on=frozenset({"terms"}))
    spec = screen(degraded, data={"terms": DataCall("terms", None, frozen_map())})
    with pytest.raises(FormUnavailable):
        check(spec, {"days": "3"}, {"terms": None}, {"terms": Outcome(error="unavailable")})


def test_an_item_button_must_name_an_item_offered_now():
    pick = ItemAction("go", frozen_map({"id": compile_expr("id"), "fee": compile_expr("fee")}),
                      visible_if=compile_expr("!current"))
    items = SectionSpec(id="l", kind=LIST_KIND, title=None, options=frozen_map(LIST_KIND.options().load({})), items=compile_expr("tariffs"),
                        item_actions=(pick,))
    data = {"tariffs": [{"id": "t1", "fee": Decimal("100.00"), "current": True},
                        {"id": "t2", "fee": Decimal("200.00"), "current": False}]}
    assert check(screen(items), {"id": "t2", "fee": "200.00"}, data).values == {"id": "t2", "fee": Decimal("200.00")}
    for posted in ({"id": "t1", "fee": "100.00"}, {"id": "t2", "fee": "1.00"}, {"id": "t3", "fee": "0"}):
        with pytest.raises(FormRefused):
            check(screen(items), posted, data)


# --- values derived from data, without code -------------------------------------------------------

@pytest.mark.parametrize("source, expected", [
    ("floor(divide(account.balance, divide(sum(services[?status=='active'].fee), `30`)))", 50),
    ("round(multiply(fee, `0.15`), `2`)", Decimal("135.00")),                 # a share of a fee
    ("subtract(account.balance, fee)", Decimal("600.00")),
    ("add(fee, '100.50')", Decimal("1000.50")),                                 # money as text, as billings send
    ("add_days(today, `14`)", "2026-12-18"),
    ("add_days(due, `-1`)", "2026-12-19"),
    ("days_between(today, due)", 16),
    ("divide(fee, `0`)", None),                                                 # no value, never an error
    ("multiply(`1e300`, `2`)", None),                                           # out of bounds: no value
    ("add_days(today, `1000000`)", None),
    ("add(nothing, `1`)", None),
])
def test_arithmetic_and_dates_in_expressions(source, expected):
    data = {"account": {"balance": Decimal("1500.00")}, "fee": Decimal("900.00"), "today": "2026-12-04",
            "due": date(2026, 12, 20), "services": [{"status": "active", "fee": Decimal("900.00")},
                                                    {"status": "blocked", "fee": Decimal("300.00")}]}
    assert compile_expr(source).evaluate(data) == expected


def test_texts_count_days_with_the_date_functions_of_expressions():
    from engine.schema.expressions import compile_text

    text, problems = compile_text({"en": "{{ form.date_from | days_between(form.date_to) + 1 }} days, until "
                                         "{{ form.date_from | add_days(13) }}"}, ["en"])
    assert not problems and text.roots == {"form"}
    assert text.render("en", {"form": {"date_from": date(2026, 12, 14), "date_to": "2026-12-27"}}) == \
        "14 days, until 2026-12-27"


def test_the_demo_service_screen_derives_a_days_fee_and_the_days_a_block_has_left(signed_in):
    from tests.conftest import page_text

    text = page_text(signed_in.get("/services/108842-tv"))
    assert re.search(r"В среднем за день [\d\u00a0,]+\u00a0₽", text)
    assert "Осталось дней блокировки 25" in text               # the demo's block ends in 25 days


def test_a_password_is_taken_exactly_as_typed():
    secret = InputSpec(name="p", type="password", label=None, required=True)
    assert check_value(secret, "  with spaces ", {}) == ("  with spaces ", None)
