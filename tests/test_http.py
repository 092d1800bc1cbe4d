"""engine.http (timeouts, retries of idempotent calls only, the circuit breaker, authentication)
and engine.billing.typed (answers checked into records)."""
from __future__ import annotations

import json
import threading
from datetime import date
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from engine.billing.records import Account, Service, ServiceStatus
from engine.billing.typed import WrongData, build
from engine.http import ApiKeyAuth, BasicAuth, CircuitBreaker, CircuitOpen, HttpClient, HttpUnavailable

HOLD_LIMIT = 60      # seconds a held answer waits for its release at most


class _Server(BaseHTTPRequestHandler):
    script: list = []            # answers in order: (status, body) or ("hold", threading.Event)
    seen: list = []

    def _answer(self):
        self.seen.append((self.command, self.path, dict(self.headers)))
        status, body = self.script.pop(0) if self.script else (200, {"ok": True})
        if status == "hold":
            # answers only once the test releases it (a bound, so a broken test cannot hang the server)
            body.wait(HOLD_LIMIT)
            status, body = 200, {"late": True}
        payload = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except ConnectionError:      # the client gave up on it
            pass

    do_GET = do_POST = _answer     # noqa: N815

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Server)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    _Server.script, _Server.seen = [], []
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_gets_are_retried_with_backoff_and_changes_never(server):
    client = HttpClient(server, timeout=(1, 1), retries=2, backoff=0.01)
    _Server.script = [(503, {}), (502, {}), (200, {"fine": True})]
    assert client.send("GET", "/x").json() == {"fine": True} and len(_Server.seen) == 3
    _Server.script, _Server.seen[:] = [(503, {})], []
    with pytest.raises(HttpUnavailable, match="answered HTTP 503"):
        client.send("POST", "/pay", json={"a": 1})
    assert len(_Server.seen) == 1                                      # a payment is never sent twice


def test_a_slow_answer_is_cut_at_the_timeout(server):
    client = HttpClient(server, timeout=(1, 0.3))
    release = threading.Event()
    _Server.script = [("hold", release)]
    try:
        # the server answers 200 only once released, which happens after the call came back:
        # only the client's own read timeout can end the call, and it says so
        with pytest.raises(HttpUnavailable, match="did not answer in 0.3 s"):
            client.send("GET", "/slow")
    finally:
        release.set()
    assert [(method, path) for method, path, _ in _Server.seen] == [("GET", "/slow")]     # not retried


def test_it_says_whether_a_failed_request_may_have_reached_the_other_side(server):
    """What a lost answer to a change means depends on this: never sent, or sent and unanswered."""
    import socket

    client = HttpClient(server, timeout=(1, 0.3))
    release = threading.Event()
    _Server.script = [("hold", release)]
    try:
        with pytest.raises(HttpUnavailable) as timed_out:
            client.send("POST", "/pay", json={"a": 1})
    finally:
        release.set()
    assert timed_out.value.sent                                        # it was read, no answer came
    _Server.script = [(503, {})]
    with pytest.raises(HttpUnavailable) as failed:
        client.send("POST", "/pay", json={"a": 1})
    assert not failed.value.sent                                       # the service said it failed
    with pytest.raises(HttpUnavailable) as refused:
        HttpClient("http://127.0.0.1:9", timeout=(1, 1)).send("POST", "/pay", json={"a": 1})
    assert not refused.value.sent                                      # nothing listened: never sent
    closing = socket.socket()
    closing.bind(("127.0.0.1", 0))
    closing.listen(1)

    def read_then_close():
        connection, _ = closing.accept()
        connection.recv(65536)
        connection.close()
    threading.Thread(target=read_then_close, daemon=True).start()
    try:
        with pytest.raises(HttpUnavailable, match="dropped the connection without an answer") as dropped:
            HttpClient(f"http://127.0.0.1:{closing.getsockname()[1]}", timeout=(1, 5)).send("POST", "/pay",
                                                                                          json={"a": 1})
    finally:
        closing.close()
    assert dropped.value.sent


def test_the_breaker_opens_after_failures_and_closes_after_a_good_trial(server):
    clock = [0.0]
    breaker = CircuitBreaker(failures=2, reset_seconds=10, clock=lambda: clock[0])
    client = HttpClient(server, timeout=(1, 1), breaker=breaker)
    _Server.script = [(500, {}), (500, {})]
    for _ in range(2):
        with pytest.raises(HttpUnavailable):
            client.send("GET", "/x")
    assert breaker.state == "open"
    calls = len(_Server.seen)
    with pytest.raises(CircuitOpen):
        client.send("GET", "/x")
    assert len(_Server.seen) == calls                                  # not even tried
    clock[0] = 11
    assert breaker.state == "half_open"
    _Server.script = [(500, {})]
    with pytest.raises(HttpUnavailable):
        client.send("GET", "/x")                                       # the trial fails: open again
    assert breaker.state == "open"
    clock[0] = 22
    assert client.send("GET", "/x").status_code == 200 and breaker.state == "closed"


def test_refused_connections_are_unavailable_and_credentials_go_in_headers(server):
    with pytest.raises(HttpUnavailable, match="cannot be reached"):
        HttpClient("http://127.0.0.1:9", timeout=(0.5, 0.5)).send("GET", "/x")
    HttpClient(server, auth=ApiKeyAuth("X-Api-Key", "k-123")).send("GET", "/a")
    HttpClient(server, auth=BasicAuth("u", "p")).send("GET", "/b")
    assert _Server.seen[0][2]["X-Api-Key"] == "k-123"
    assert _Server.seen[1][2]["Authorization"] == "Basic dTpw"
    assert "k-123" not in repr(HttpClient(server, auth=ApiKeyAuth("X-Api-Key", "k-123")))


def test_answers_are_checked_into_records():
    account = build(Account, {"id": "1", "number": "1", "holder": "A", "currency": "RUB", "balance": "-412.50",
                              "status": "active", "recommended_payment": {"amount": 3146.1, "due_date": "2026-11-27"}})
    assert account.balance == Decimal("-412.50") and account.recommended_payment.due_date == date(2026, 11, 27)
    assert account.recommended_payment.amount == Decimal("3146.1")              # via str: no binary noise
    service = {"id": "s", "account_id": "1", "name": "Интернет", "kind": "internet", "status": "suspended",
               "tariff": {"id": "t", "name": "T", "fee": "abc"}}
    with pytest.raises(WrongData, match=r"services\[0\].tariff.fee: expected an amount, got 'abc'"):
        build(list[Service], [service], "services")
    with pytest.raises(WrongData, match="'paused' is not one of"):
        build(Service, {**service, "status": "paused", "tariff": {"id": "t", "name": "T", "fee": 1}})
    with pytest.raises(WrongData, match="account_id: is missing"):
        build(Service, {k: v for k, v in service.items() if k != "account_id"})
    ok = build(Service, {**service, "tariff": {"id": "t", "name": "T", "fee": 650}})
    assert ok.status is ServiceStatus.SUSPENDED and ok.planned_changes == ()


def test_oauth2_client_credentials_fetch_a_token_once_and_send_it(server):
    from engine.http import OAuth2ClientCredentials
    _Server.script = [(200, {"access_token": "tok-1", "expires_in": 3600}), (200, {"a": 1}), (200, {"b": 2})]
    client = HttpClient(server, auth=OAuth2ClientCredentials(server + "/token", "cabinet", "s3cret", "billing"))
    assert client.send("GET", "/one").json() == {"a": 1} and client.send("GET", "/two").json() == {"b": 2}
    token_call, first, second = _Server.seen
    assert token_call[:2] == ("POST", "/token") and "Authorization" not in token_call[2]
    assert first[2]["Authorization"] == second[2]["Authorization"] == "Bearer tok-1"       # fetched once
    assert "s3cret" not in repr(client.auth)


def test_a_rest_binding_follows_next_page_links(server, tmp_path):
    from engine.billing.rest import RestBinding
    spec = tmp_path / "linked.yaml"
    spec.write_text(
        "base_url: ${URL}\n"
        "operations:\n"
        "  catalog:\n"
        "    path: /offers\n"
        "    paginate: {items: data, next: links.next}\n"
        "    result: \"[*].{id: code, name: title, category: 'service', price: kopecks(cents)}\"\n", encoding="utf-8")
    _Server.script = [(200, {"data": [{"code": "a", "title": "A", "cents": 1000}], "links": {"next": "/offers?p=2"}}),
                      (200, {"data": [{"code": "b", "title": "B", "cents": 250}], "links": {"next": None}})]
    binding = RestBinding(str(spec), {"URL": server})
    items = binding.call("catalog", {})
    assert [(i.id, i.price) for i in items] == [("a", Decimal("10.00")), ("b", Decimal("2.50"))]
    assert [path for _, path, _ in _Server.seen] == ["/offers", "/offers?p=2"]
    binding.close()


def _binding(tmp_path, server, text: str):
    from engine.billing.rest import RestBinding
    spec = tmp_path / "binding.yaml"
    spec.write_text(text, encoding="utf-8")
    return RestBinding(str(spec), {"URL": server})


def test_a_rest_binding_reads_offset_pages(server, tmp_path):
    binding = _binding(tmp_path, server, (
        "base_url: ${URL}\n"
        "operations:\n"
        "  catalog:\n"
        "    path: /offers\n"
        "    paginate: {items: rows, offset_param: skip, size_param: take, size: 2}\n"
        "    result: \"[*].{id: code, name: code, category: 'service', price: decimal(price)}\"\n"))
    row = lambda code: {"code": code, "price": "1.00"}          # noqa: E731
    _Server.script = [(200, {"rows": [row("a"), row("b")]}), (200, {"rows": [row("c"), row("d")]}),
                      (200, {"rows": [row("e")]})]
    assert [i.id for i in binding.call("catalog", {})] == ["a", "b", "c", "d", "e"]
    assert [path for _, path, _ in _Server.seen] == ["/offers?skip=0&take=2", "/offers?skip=2&take=2",
                                                     "/offers?skip=4&take=2"]
    binding.close()


def test_a_rest_binding_reads_the_calls_parameters_in_results_and_its_own_error_rules_first(server, tmp_path):
    from engine.billing.errors import BillingRejected, BillingUnavailable
    binding = _binding(tmp_path, server, (
        "base_url: ${URL}\n"
        "errors:\n"
        "  - {when: \"status == `409`\", error: unavailable}\n"
        "operations:\n"
        "  bonuses:\n"
        "    path: /points/{account_id}\n"
        "    errors:\n"
        "      - {when: \"status == `409`\", error: rejected, reason: \"join('', ['Лицевой счёt ', param('account_id'),"
        " ': ', body.msg])\"}\n"
        "    result: \"{account_id: param('account_id'), points: decimal(balance)}\"\n"
        "  account:\n"
        "    path: /contracts/{account_id}\n"
        "    result: \"{id: param('account_id'), number: no, holder: who, currency: 'RUB', balance: decimal(sum),"
        " status: 'active'}\"\n"))
    _Server.script = [(200, {"balance": 120}), (409, {"msg": "нет программы"}), (409, {})]
    bonuses = binding.call("bonuses", {"account_id": "108842"})
    assert bonuses.account_id == "108842" and bonuses.points == 120          # the id from the call, not the answer
    with pytest.raises(BillingRejected, match="Лицевой счёt 108842: нет программы"):    # the operation's own rule
        binding.call("bonuses", {"account_id": "108842"})
    with pytest.raises(BillingUnavailable):                                  # the file's rule for the others
        binding.call("account", {"account_id": "108842"})
    binding.close()


def test_a_rest_binding_reads_naive_times_in_its_zone_and_zero_dates_as_none(server, tmp_path):
    from zoneinfo import ZoneInfo

    from engine.billing.errors import BillingUnavailable
    operations = (
        "operations:\n"
        "  history:\n"
        "    path: /ops/{account_id}\n"
        "    result: \"[*].{id: str(n), at: at, kind: 'payment', amount: decimal(sum), description: 'x'}\"\n"
        "  promised_payment_terms:\n"
        "    path: /credit/{account_id}\n"
        "    result: \"{amount: decimal(sum), repay_days: `3`, interval_days: `25`, eligible: ok, repay_by: until}\"\n")
    zoned = _binding(tmp_path, server, "base_url: ${URL}\ntimezone: Europe/Moscow\n" + operations)
    _Server.script = [(200, [{"n": 1, "at": "2026-12-01 10:00:00", "sum": "100"}]),
                      (200, {"sum": "1500", "ok": True, "until": "0000-00-00"})]
    [entry] = zoned.call("history", {"account_id": "1", "date_from": date(2026, 12, 1), "date_to": date(2026, 12, 31)})
    assert entry.at.tzinfo == ZoneInfo("Europe/Moscow") and entry.at.hour == 10   # Moscow's ten o'clock
    assert zoned.call("promised_payment_terms", {"account_id": "1"}).repay_by is None      # "no date"
    zoned.close()
    unzoned = _binding(tmp_path, server, "base_url: ${URL}\n" + operations)
    _Server.script = [(200, [{"n": 1, "at": "2026-12-01 10:00:00", "sum": "100"}])]
    with pytest.raises(BillingUnavailable, match=r"history\[0\].at: '2026-12-01 10:00:00' is a time without its zone"):
        unzoned.call("history", {"account_id": "1", "date_from": date(2026, 12, 1), "date_to": date(2026, 12, 31)})
    unzoned.close()


def test_a_binding_file_with_a_wrong_zone_or_two_paging_styles_is_refused(tmp_path):
    from engine.billing.rest import SpecError, load_spec
    spec = tmp_path / "bad.yaml"
    spec.write_text("base_url: http://127.0.0.1:1\ntimezone: Moscow/Europe\noperations:\n  catalog:\n"
                    "    path: /offers\n    paginate: {items: rows, offset_param: skip, page_param: p}\n"
                    "    result: '@'\n", encoding="utf-8")
    with pytest.raises(SpecError) as refused:
        load_spec(spec, {})
    problems = "\n".join(refused.value.problems)
    assert "timezone: 'Moscow/Europe' is not a time zone" in problems
    assert "operations.catalog.paginate: give one of page_param" in problems


def test_a_rest_binding_can_ask_in_the_subscribers_language(server, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from engine.assembly.calls import CallSession
    binding = _binding(tmp_path, server, (
        "base_url: ${URL}\n"
        "operations:\n"
        "  catalog:\n"
        "    path: /offers\n"
        "    headers: {Accept-Language: locale}\n"
        "    query: {lang: locale}\n"
        "    result: \"[*].{id: code, name: code, category: 'service', price: decimal(price)}\"\n"))
    _Server.script = [(200, [{"code": "a", "price": "1"}])]
    outcome = CallSession(binding, ThreadPoolExecutor(1), 5.0, locale="en").call("catalog", {})
    assert outcome.ok and _Server.seen[0][1] == "/offers?lang=en" and _Server.seen[0][2]["Accept-Language"] == "en"
    binding.close()


def test_a_rest_operation_of_several_requests_looks_up_then_acts(server, tmp_path):
    binding = _binding(tmp_path, server, (
        "base_url: ${URL}\n"
        "operations:\n"
        "  change_tariff:\n"
        "    method: POST\n"
        "    requests:\n"
        "      plan: {path: /plans, query: {title: tariff_id}}\n"
        "      change: {method: POST, path: '/services/{service_id}/plan', body: '{planId: plan.items[0].id}'}\n"
        "    result: \"{ok: change.done, message: join(' ', ['Тариф', plan.items[0].title])}\"\n"))
    _Server.script = [(200, {"items": [{"id": 77, "title": "Turbo"}]}), (200, {"done": True})]
    result = binding.call("change_tariff", {"service_id": "s-1", "tariff_id": "Turbo", "request_id": "k1"})
    assert result.ok and result.message == "Тариф Turbo"
    assert [(method, path) for method, path, _ in _Server.seen] == [("GET", "/plans?title=Turbo"),
                                                                     ("POST", "/services/s-1/plan")]
    binding.close()


def test_error_rules_see_answers_a_billing_gives_with_200(server, tmp_path):
    from engine.billing.errors import BillingRejected
    binding = _binding(tmp_path, server, (
        "base_url: ${URL}\n"
        "operations:\n"
        "  unblock_services:\n"
        "    method: POST\n"
        "    path: /unfreeze\n"
        "    errors:\n"
        "      - {when: \"body.result == 'Failure'\", error: rejected, reason: body.message}\n"
        "    result: \"{ok: result == 'Success', message: message}\"\n"))
    _Server.script = [(200, {"result": "Failure", "message": "Feature is not allowed"}),
                      (200, {"result": "Success", "message": "done"})]
    with pytest.raises(BillingRejected, match="Feature is not allowed"):
        binding.call("unblock_services", {"account_id": "a", "request_id": "k"})
    assert binding.call("unblock_services", {"account_id": "a", "request_id": "k"}).ok
    binding.close()


def test_a_binding_file_naming_a_request_like_a_parameter_or_mixing_forms_is_refused(tmp_path):
    from engine.billing.rest import SpecError, load_spec
    spec = tmp_path / "bad.yaml"
    spec.write_text("base_url: http://127.0.0.1:1\noperations:\n"
                    "  account:\n    path: /a\n    requests: {one: {path: /b}}\n    result: '@'\n", encoding="utf-8")
    with pytest.raises(SpecError, match="operations.account: give either requests or one request's path"):
        load_spec(spec, {})
    spec.write_text("base_url: http://127.0.0.1:1\noperations:\n"
                    "  services:\n    requests: {account_id: {path: /c}}\n    result: '@'\n", encoding="utf-8")
    with pytest.raises(SpecError, match="operations.services.requests.account_id: account_id is a parameter"):
        load_spec(spec, {})


SESSION_SPEC = (
    "base_url: ${URL}\n"
    "auth:\n"
    "  type: subscriber\n"
    "  sign_in:\n"
    "    path: /auth\n"
    "    body: '{user: login, pass: password}'\n"
    "    result: '{subscriber_id: client, name: fio}'\n"
    "    keep: '{session: key}'\n"
    "    relogin: true\n"
    "  headers: {X-Session: credential.session}\n"
    "operations:\n"
    "  accounts:\n"
    "    path: /me/contracts\n"
    "    result: \"[?owner == param('subscriber_id')].{id: no, number: no, holder: owner, currency: 'RUB',"
    " balance: decimal(sum), status: 'active'}\"\n")


def test_a_rest_binding_signs_a_subscriber_in_and_sends_their_session_with_every_call(server, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from engine.assembly.calls import CallSession, SubscriberSession
    from engine.billing.credential import Credential
    from engine.billing.errors import BillingRejected
    binding = _binding(tmp_path, server, SESSION_SPEC)
    assert binding.signs_in and binding.per_subscriber and binding.takes_credential("accounts")
    _Server.script = [(401, {"error": "bad password"})]
    with pytest.raises(BillingRejected):
        binding.sign_in("ivan", "wrong")
    _Server.script = [(200, {"client": "c-1", "fio": "Иван", "key": "K1"})]
    signed = binding.sign_in("ivan", "pw")
    assert signed.subscriber_id == "c-1" and signed.name == "Иван"
    assert signed.credential == {"session": "K1", "login": "ivan", "password": "pw"}
    assert _Server.seen[-1][:2] == ("POST", "/auth")

    kept: list = []
    subscriber = SubscriberSession(Credential(signed.credential), on_renewed=kept.append)
    calls = CallSession(binding, ThreadPoolExecutor(2), 5.0, subscriber=subscriber)
    # the session key has ended: signed in again with the kept login, and the call repeated
    _Server.script = [(401, {}), (200, {"client": "c-1", "key": "K2"}),
                      (200, [{"no": "100", "owner": "c-1", "sum": "5"}, {"no": "200", "owner": "c-9", "sum": "1"}])]
    _Server.seen.clear()
    outcome = calls.call("accounts", {"subscriber_id": "c-1"})
    assert outcome.ok and [a["id"] for a in outcome.value] == ["100"]
    assert [h.get("X-Session") for _, _, h in _Server.seen] == ["K1", None, "K2"]
    assert kept and kept[0]["session"] == "K2" and subscriber.credential["session"] == "K2"
    assert not subscriber.ended
    # the password changed: the renewal is refused and the subscriber's session is over
    _Server.script = [(401, {}), (401, {})]
    outcome = CallSession(binding, ThreadPoolExecutor(2), 5.0, subscriber=subscriber).call(
        "accounts", {"subscriber_id": "c-1"})
    assert outcome.error == "unavailable" and subscriber.ended
    binding.close()


def test_a_lost_change_is_settled_by_the_files_status_query(server, tmp_path):
    binding = _binding(tmp_path, server, (
        "base_url: ${URL}\n"
        "operations:\n"
        "  unblock_services:\n"
        "    method: POST\n"
        "    path: /unfreeze\n"
        "    result: \"{ok: done}\"\n"
        "    settle:\n"
        "      path: /state\n"
        "      done: \"state == 'active'\"\n"
        "      result: \"{ok: `true`, message: join(' ', ['since', since])}\"\n"))
    params = {"account_id": "a", "request_id": "k"}
    _Server.script = [(200, {"state": "active", "since": "today"})]          # made: nothing is sent again
    assert binding.settle("unblock_services", params).message == "since today"
    assert [path for _, path, _ in _Server.seen] == ["/state"]
    _Server.script, _Server.seen[:] = [(200, {"state": "frozen"}), (200, {"done": True})], []   # not made: made now
    assert binding.settle("unblock_services", params).ok
    assert [(method, path) for method, path, _ in _Server.seen] == [("GET", "/state"), ("POST", "/unfreeze")]
    binding.close()
