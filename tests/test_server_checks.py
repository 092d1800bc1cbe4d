"""The server enforces the schema: a post that a browser was never offered, or with values the
rules refuse, changes nothing, and what a confirmation page says comes from the server."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from engine.schema import SchemaInvalid
from engine.state.audit import AuditLog
from tests.conftest import action_forms, csrf_token, hidden_inputs, page_text, sign_in
from tests.test_schema_pipeline import MINIMAL, load, write_cabinet

RECORDING = "tests.support.bindings:RecordingBilling"


@pytest.fixture
def recorded(make_app):
    """A signed-in demo1 on a billing that records its calls: (client, calls of an operation)."""
    app = make_app(binding=RECORDING)
    client = app.test_client()
    sign_in(client)
    binding = app.extensions["cabinet"].binding

    def calls(operation: str) -> list[dict]:
        return [params for op, params in binding.calls if op == operation]
    return client, calls


def _block_form(client) -> dict:
    page = client.get("/block?account=108843").get_data(as_text=True)                   # 108842 is blocked
    return action_forms(page, "block_services")[0]                      # the page also schedules a block


def test_a_number_above_the_billings_limit_is_refused_at_the_field_and_never_sent(recorded):
    client, calls = recorded
    form = _block_form(client)
    page = client.get("/block?account=108843").get_data(as_text=True)
    assert 'min="7"' in page and 'max="90"' in page                     # the billing's terms, told to the browser
    for days, message in (("95", "не больше 90"), ("3", "не меньше 7"), ("abc", "введите целое число"),
                          ("10.5", "введите целое число"), ("", "Заполните")):
        refused = client.post("/actions/block_services", data={**form, "days": days, "_confirmed": "1"})
        assert refused.status_code == 422, days
        error = re.search(r'<p class="form__error" id="input-block_form-days-error">([^<]*)</p>',
                          refused.get_data(as_text=True))
        assert error and message in error.group(1), (days, error)
    assert calls("block_services") == []


def _date_bounds(page: str, name: str) -> tuple[date, date]:
    found = re.search(rf'name="{name}" required min="([\d-]+)" max="([\d-]+)"', page)
    assert found, f"no bounds on {name}"
    return date.fromisoformat(found.group(1)), date.fromisoformat(found.group(2))


@pytest.mark.parametrize("first, last, field, message", [
    (0, 90, "date_to", "не позже"),            # 91 days: over max_days (from the first day chosen)
    (0, 5, "date_to", "не раньше"),            # 6 days: under min_days
    (10, 9, "date_to", "не раньше"),           # ends before it starts
    (-1, 10, "date_from", "не раньше"),        # today: before the earliest start
    (60, 70, "date_from", "не позже"),         # past the latest start (earliest + 59)
])
def test_a_scheduled_block_outside_the_billings_terms_is_refused_at_the_field_and_never_sent(
        recorded, first, last, field, message):
    client, calls = recorded
    page = client.get("/block?account=108843").get_data(as_text=True)
    earliest, latest = _date_bounds(page, "date_from")
    assert latest == earliest + timedelta(days=59)                    # the billing's terms, told to the browser
    form = action_forms(page, "schedule_block")[0]
    forged = {**form, "date_from": (earliest + timedelta(days=first)).isoformat(),
              "date_to": (earliest + timedelta(days=last)).isoformat(), "_confirmed": "1"}
    refused = client.post("/actions/schedule_block", data=forged)
    assert refused.status_code == 422
    error = re.search(rf'<p class="form__error" id="input-schedule_form-{field}-error">([^<]*)</p>',
                      refused.get_data(as_text=True))
    assert error and message in error.group(1), error
    assert calls("schedule_block") == []


def test_the_confirmation_never_echoes_unchecked_input(recorded):
    client, calls = recorded
    form = _block_form(client)
    refused = client.post("/actions/block_services", data={**form, "days": "abc"})   # the confirmation step
    assert refused.status_code == 422 and "Заблокировать услуги на abc" not in page_text(refused)
    confirm = client.post("/actions/block_services", data={**form, "days": " 30 "})
    assert "Заблокировать услуги на 30 дн.? Плата за блокировку: 30,00\u00a0₽." in page_text(confirm)
    assert calls("block_services") == []


def test_a_form_the_screen_does_not_show_is_refused(recorded):
    client, calls = recorded
    form = hidden_inputs(client.get("/block").get_data(as_text=True))      # 108842: blocked, no block form
    assert 'action="/actions/block_services"' not in client.get("/block").get_data(as_text=True)
    posted = client.post("/actions/block_services", data={**form, "_section": "block_form", "days": "10",
                                                           "_confirmed": "1"})
    assert posted.status_code == 302
    assert "Здесь это действие сейчас недоступно" in page_text(client.get(posted.headers["Location"]))
    assert calls("block_services") == []


def _tariff_forms(client) -> tuple[str, list[dict]]:
    page = client.get("/services/108842-internet/tariffs").get_data(as_text=True)
    return page, [{**f, "csrf_token": csrf_token(page)} for f in action_forms(page, "change_tariff")]


def test_a_tariff_that_is_not_offered_is_refused(recorded):
    client, calls = recorded
    _page, forms = _tariff_forms(client)
    offered = {f["tariff_id"] for f in forms}
    tariffs = client.application.extensions["cabinet"].binding.tariffs("108842-internet")
    current = next(t.tariff.id for t in tariffs if t.current)
    assert current not in offered
    for tariff_id in (current, "tv-extended", "no-such-tariff"):       # the current one, another service's, none
        posted = client.post("/actions/change_tariff", data={**forms[0], "tariff_id": tariff_id, "_confirmed": "1"})
        assert posted.status_code == 302
        assert "Этот вариант больше не предлагается" in page_text(client.get(posted.headers["Location"]))
    assert calls("change_tariff") == []


def test_the_confirmation_states_the_billings_fee_name_and_date_not_the_posted_ones(recorded):
    client, calls = recorded
    _page, forms = _tariff_forms(client)
    honest = forms[0]
    for name, forged in (("change_fee", "0.01"), ("tariff_name", "Бесплатный"), ("effective_date", "2000-01-01")):
        refused = client.post("/actions/change_tariff", data={**honest, name: forged})
        assert refused.status_code == 302, name                        # no confirmation page at all
        assert forged not in page_text(client.get(refused.headers["Location"]))
    confirm = client.post("/actions/change_tariff", data=honest)
    assert confirm.status_code == 200 and f"«{honest['tariff_name']}»" in page_text(confirm)
    done = client.post("/actions/change_tariff", data=hidden_inputs(confirm.get_data(as_text=True)))
    assert done.status_code == 302 and [c["tariff_id"] for c in calls("change_tariff")] == [honest["tariff_id"]]


def test_a_choice_from_data_is_checked_against_what_the_server_offers(recorded):
    client, calls = recorded
    client.get("/account?account=108843")
    page = client.get("/transfer").get_data(as_text=True)
    form = {**action_forms(page, "transfer")[0], "csrf_token": csrf_token(page), "_confirmed": "1"}
    for to_account, amount, message in (("108843", "100", "выберите один из предложенных вариантов"),  # itself
                                        ("108900", "100", "выберите один из предложенных вариантов"),  # a stranger's
                                        ("108842", "-5", "не меньше 1"),
                                        ("108842", "1.001", "введите число, кратное 0,01")):
        refused = client.post("/actions/transfer", data={**form, "to_account_id": to_account, "amount": amount})
        assert refused.status_code == 422 and message in page_text(refused), (to_account, amount)
    assert calls("transfer") == []


def test_an_action_whose_rule_is_not_met_is_refused(recorded):
    client, calls = recorded
    page = client.get("/payment/promised").get_data(as_text=True)
    [form] = action_forms(page, "activate_promised_payment")
    client.get("/account?account=108843")                                 # not eligible there
    posted = client.post("/actions/activate_promised_payment",
                         data={**form, "account": "108843", "_confirmed": "1"})
    assert "недоступно" in page_text(client.get(posted.headers["Location"]))
    assert calls("activate_promised_payment") == []


def test_refusals_are_audited_with_the_rule(fresh_postgres_url, make_app):
    app = make_app(database_url=fresh_postgres_url)
    client = app.test_client()
    sign_in(client)
    form = _block_form(client)
    client.post("/actions/block_services", data={**form, "days": "95", "_confirmed": "1"})
    [record] = [r for r in AuditLog(app.extensions["cabinet"].db).latest("demo1") if r.event.startswith("action:")]
    assert record.result == "invalid" and '"days": "95"' in record.details and "не больше 90" in record.details


def test_the_json_api_checks_the_same_way_and_confirms(recorded):
    client, calls = recorded
    screen = client.get("/api/v1/screens/block?account=108843").get_json()
    [section] = [s for s in screen["sections"] if s["id"] == "block_form"]
    [days] = section["form"]["inputs"]
    assert (days["min"], days["max"], days["required"]) == ("7", "90", True)
    headers = {"X-CSRFToken": screen["csrf_token"]}
    form = {**section["form"]["hidden"], "days": 95}
    refused = client.post("/api/v1/actions/block_services", json=form, headers=headers)
    assert refused.status_code == 422, refused.get_json()
    assert refused.get_json()["errors"] == {"days": "«Срок блокировки, дней»: не больше 90."}
    confirm = client.post("/api/v1/actions/block_services", json={**form, "days": 14}, headers=headers).get_json()
    assert confirm["status"] == "confirm" and "Плата за блокировку: 14,00" in confirm["text"]
    done = client.post("/api/v1/actions/block_services", json=confirm["form"], headers=headers)
    assert done.status_code == 200 and done.get_json()["status"] == "done"
    assert done.get_json()["screen"] == "home" and [c["days"] for c in calls("block_services")] == [14]
    assert client.post("/api/v1/actions/block_services", json=form).status_code == 400   # no CSRF token


# --- what the compiler refuses -------------------------------------------------------------------

FORM = MINIMAL + """\
      - type: form
        id: ask
        inputs:
          - {name: code, type: text, label: {ru: Код, en: Code}, INPUT}
        submit: go
actions:
  - id: go
    title: {ru: Отправить, en: Send}
    handler: support_request
    params: {message: form.code, email: "'a@b.org'"}
    confirm: {ru: "{{ CONFIRM }}", en: "{{ CONFIRM }}"}
"""


def _issues(tmp_path, input_options: str, confirm: str = "form.code") -> list[str]:
    write_cabinet(tmp_path, FORM.replace("INPUT", input_options).replace("CONFIRM", confirm))
    with pytest.raises(SchemaInvalid) as caught:
        load(tmp_path)
    return [str(issue) for issue in caught.value.issues]


def test_rules_that_cannot_work_are_located_errors(tmp_path):
    [issue] = _issues(tmp_path, 'pattern: "(a+)+$"')
    assert "screens[0].sections[1].inputs[0].pattern" in issue and "repeat inside a repeat" in issue
    [issue] = _issues(tmp_path, 'pattern: "[a-"')
    assert "not a valid regular expression" in issue
    [issue] = _issues(tmp_path, "min: 3")
    assert "inputs[0].min" in issue and "min_length" in issue


def test_a_confirmation_reads_the_data_of_the_screen_offering_it(tmp_path):
    write_cabinet(tmp_path, FORM.replace("INPUT", "max_length: 6").replace("CONFIRM", "account.number"))
    assert load(tmp_path).actions["go"].confirm is not None               # home has account
    [issue] = _issues(tmp_path, "max_length: 6", "acount.number")
    assert "actions[0].confirm" in issue and "unknown data source 'acount' on screen 'home'" in issue
    assert "did you mean 'account'" in issue
