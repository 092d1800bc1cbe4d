"""Lists and tables show a page at a time: the pager and its links, search before paging, paging
in memory or by the billing (when the screen's plan allows it), the JSON API's pager, and an item's
button checked against the page it was on."""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest

from engine.assembly.paging import Listing, page_of, requested_page
from engine.billing import Page
from engine.billing.contract import OPERATIONS, BillingBinding, paging_of
from engine.billing.demo import DemoBilling
from engine.billing.demo.models import MOSCOW
from engine.billing.demo.seed import DEALER_SUBSCRIBERS
from engine.billing.records import HistoryEntry, OperationKind
from engine.billing.rest import RestBinding
from engine.schema import SchemaInvalid
from tests.conftest import DEMO_SCHEMAS, action_forms, csrf_token, demo_copy, page_text, sign_in
from tests.support.bindings import RecordingBilling
from tests.test_schema_pipeline import MINIMAL, load, write_cabinet

HERE = "tests.test_paging"
ROWS = 10_000


class ManyHistoryBilling(RecordingBilling):
    """10,000 operations in every period, answered as one plain list: a binding written before
    paging (its history takes no limit), which the engine pages in memory."""

    def history(self, account_id, date_from, date_to):
        noon = datetime.combine(date_to, time(12), MOSCOW)
        return [HistoryEntry(f"op-{n}", noon - timedelta(minutes=n),
                             OperationKind.PAYMENT if n % 2 else OperationKind.CHARGE,
                             Decimal("100.00") if n % 2 else Decimal("-1.00"), f"Операция №{n}")
                for n in range(ROWS)]


class WholeListBilling(RecordingBilling):
    """Takes the paging parameters and ignores them: a plain list is every subscriber."""

    def dealer_subscribers(self, dealer_id, limit=None, offset=0, search=None):
        return list(DemoBilling.dealer_subscribers(self, dealer_id))


class NoTotalBilling(RecordingBilling):
    """Pages, but does not say how many there are (a billing that pages by cursor)."""

    def dealer_subscribers(self, dealer_id, limit=None, offset=0, search=None):
        page = DemoBilling.dealer_subscribers(self, dealer_id, limit, offset, search)
        return Page(page)


# --- the arithmetic ---------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, page", [(None, 1), ("", 1), ("abc", 1), ("0", 1), ("-3", 1), ("2.5", 1),
                                        ("2", 2), (" 3 ", 3), ("+4", 4), ("12345678901", 1)])
def test_a_missing_or_odd_page_number_is_page_one(raw, page):
    assert requested_page(raw) == page


def test_pages_in_memory_search_first_and_a_page_past_the_end_is_empty():
    listing = Listing(page_size=2, page_param="page", search_keys=("name",), search_param="q")
    items = [{"name": name} for name in ("Anna", "Boris", "Anton", "Vera", "Antonina")]
    first = page_of(listing, items, 1, "an")
    assert [i["name"] for i in first.items] == ["Anna", "Anton"]          # searched, then cut
    assert (first.total, first.page_count, first.has_previous, first.has_next) == (3, 2, False, True)
    last = page_of(listing, items, 2, "an")
    assert [i["name"] for i in last.items] == ["Antonina"] and not last.has_next and last.has_previous
    beyond = page_of(listing, items, 7, "an")
    assert beyond.items == [] and beyond.past_end and beyond.page_count == 2
    assert page_of(listing, [], 1, "").page_count == 1 and not page_of(listing, [], 1, "").past_end


def test_a_billings_page_is_taken_as_it_is():
    listing = Listing(page_size=4, page_param="page")
    rows = [{"n": n} for n in range(4)]
    shown = page_of(listing, rows, 2, "", Page(rows, total=11))
    assert (shown.items, shown.page_count, shown.has_next) == (rows, 3, True)
    unknown = page_of(listing, rows, 2, "", Page(rows))                      # a full page: maybe more
    assert unknown.page_count is None and unknown.has_next
    assert not page_of(listing, rows, 2, "", Page(rows, has_more=False)).has_next
    assert page_of(listing, [], 5, "", Page([], total=11)).past_end


def test_pageable_operations_and_which_bindings_page_them():
    assert {name for name, op in OPERATIONS.items() if op.pageable} == {"history", "dealer_subscribers"}
    assert OPERATIONS["history"].paging_params == {"limit", "offset"}
    assert OPERATIONS["dealer_subscribers"].paging_params == {"limit", "offset", "search"}
    # the engine fills them: a schema never names them
    assert all(p.name not in ("limit", "offset", "search") for op in OPERATIONS.values() for p in op.schema_params)
    assert paging_of(DemoBilling, "dealer_subscribers") == {"limit", "offset", "search"}
    assert paging_of(DemoBilling, "history") == {"limit", "offset"}
    assert paging_of(ManyHistoryBilling, "history") == frozenset()           # its own method takes none
    assert paging_of(DemoBilling, "services") == frozenset()
    assert paging_of(RestBinding, "history") == frozenset()                  # whole lists, as before
    assert paging_of(BillingBinding, "history") == frozenset()


# --- the demo billing pages in SQL --------------------------------------------------------------------

@pytest.fixture
def billing(tmp_path):
    billing = DemoBilling(f"sqlite:///{tmp_path / 'billing.sqlite'}")
    yield billing
    billing.close()


def test_the_demo_billing_pages_and_searches_in_sql(billing):
    everyone = billing.dealer_subscribers("dealer-2001")
    assert type(everyone) is list and len(everyone) == len(DEALER_SUBSCRIBERS)       # no paging asked: all
    first, second, last = (billing.dealer_subscribers("dealer-2001", limit=4, offset=offset) for offset in (0, 4, 8))
    assert isinstance(first, Page) and [first.total, second.total, last.total] == [11, 11, 11]
    assert [s.id for s in [*first, *second, *last]] == [s.id for s in everyone]
    assert len(billing.dealer_subscribers("dealer-2001", limit=4, offset=40)) == 0
    assert billing.dealer_subscribers("dealer-2001", limit=4, offset=40).total == 11
    found = billing.dealer_subscribers("dealer-2001", limit=4, offset=0, search="ПЕТРОВ")     # any case, Cyrillic
    assert [s.name for s in found] == ["Петров Алексей"] and found.total == 1
    assert [s.contract for s in billing.dealer_subscribers("dealer-2001", limit=4, search="6875432")] == ["6875432"]
    assert [s.name for s in billing.dealer_subscribers("dealer-2001", limit=4, search="(765)")] == ["Зайцев Владимир"]
    assert billing.dealer_subscribers("dealer-2001", limit=4, search="100%").total == 0   # % is a character


def test_the_demo_history_pages_in_sql(billing):
    today = billing._today()
    start = today - timedelta(days=400)
    everything = billing.history("108842", start, today)
    assert len(everything) > 5
    page = billing.history("108842", start, today, limit=5, offset=5)
    assert isinstance(page, Page) and page.total == len(everything)
    assert [e.id for e in page] == [e.id for e in everything[5:10]]


# --- pages on the demo's screens ----------------------------------------------------------------------

def _cabinet(tmp_path):
    """The demo cabinet with short pages, a dealer screen with a button on each subscriber, and one
    that reads the subscribers beside its list."""
    folder = demo_copy(tmp_path / "cabinet", {
        "screens/dealer_subscribers.yaml": ("    search_in: [name, contract, phone]\n",
                                            "    search_in: [name, contract, phone]\n    page_size: 4\n"),
        "screens/tariffs.yaml": ("    items: tariffs\n", "    items: tariffs\n    page_size: 1\n")})
    screens = folder / "screens"
    (screens / "dealer_ask.yaml").write_text("""\
id: dealer_ask
route: /dealer/ask
title: {ru: Вопросы, en: Questions}
roles: [dealer]
data:
  subscribers: {op: dealer_subscribers}
sections:
  - type: list
    id: people
    items: subscribers
    page_size: 4
    search_in: [name, contract, phone]
    fields:
      - {type: text, key: name, value: name}
      - {type: text, key: contract, value: contract}
    item_actions:
      - {action: ask_about, params: {contract: contract}}
""", encoding="utf-8")
    (screens / "dealer_overview.yaml").write_text("""\
id: dealer_overview
route: /dealer/overview
title: {ru: Обзор, en: Overview}
roles: [dealer]
data:
  subscribers: {op: dealer_subscribers}
sections:
  - type: key_value
    id: count
    fields:
      - {type: number, key: count, label: {ru: Всего, en: Total}, value: "length(subscribers)"}
  - type: table
    id: everyone
    items: subscribers
    page_size: 4
    fields:
      - {type: text, key: name, label: {ru: Имя, en: Name}, value: name}
""", encoding="utf-8")
    cabinet = folder / "cabinet.yaml"
    cabinet.write_text(cabinet.read_text(encoding="utf-8").replace(
        "  - $include: screens/dealer_subscriber.yaml\n",
        "  - $include: screens/dealer_subscriber.yaml\n  - $include: screens/dealer_ask.yaml\n"
        "  - $include: screens/dealer_overview.yaml\n"), encoding="utf-8")
    actions = folder / "actions.yaml"
    actions.write_text(actions.read_text(encoding="utf-8") + """
- id: ask_about
  title: {ru: Спросить, en: Ask}
  handler: support_request
  params: {message: "join(' ', ['Вопрос по контракту', form.contract])", email: "'dealer@example.org'"}
  success: {ru: "Вопрос по контракту {{ form.contract }} отправлен", en: "Asked about {{ form.contract }}"}
""", encoding="utf-8")
    return folder


@pytest.fixture
def paged(tmp_path, make_app):
    """(make a signed-in client on a binding, the binding) on the cabinet of short pages."""
    folder = _cabinet(tmp_path)

    def start(binding="tests.support.bindings:RecordingBilling", login="demo2"):
        # the dealer's button is a public form (a support request): its hourly allowance is not under test
        app = make_app(schemas=folder, binding=binding, public_form_rate="1000 per minute")
        client = app.test_client()
        sign_in(client, login, login)
        return client, app.extensions["cabinet"].binding
    return start


def _rows(html: str) -> list[str]:
    """The first cell of every body row of the page's tables."""
    body = "".join(re.findall(r"<tbody[^>]*>(.*?)</tbody>", html, re.S))
    return [re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r'<tr role="row"[^>]*>\s*<td[^>]*>(.*?)</td>', body, re.S)]


def _pager_links(html: str) -> dict[str, str]:
    """rel -> href of the pager's links (unescaped)."""
    nav = re.search(r'<nav class="pager".*?</nav>', html, re.S)
    if nav is None:
        return {}
    return {rel: href.replace("&amp;", "&") for href, rel in re.findall(r'href="([^"]+)" rel="(prev|next)"', nav.group(0))}


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def _calls(binding, operation: str) -> list[dict]:
    return [params for op, params in binding.calls if op == operation]


def _names(subscribers) -> list[str]:
    return [s.name for s in subscribers]


def test_page_one_two_and_the_last_from_the_billing(paged):
    client, binding = paged()
    everyone = _names(DemoBilling.dealer_subscribers(binding, "dealer-2001"))
    first = client.get("/dealer/subscribers").get_data(as_text=True)
    assert _rows(first) == everyone[:4]
    links = _pager_links(first)
    assert set(links) == {"next"} and _query(links["next"]) == {"page": "2"}
    assert 'aria-label="' in first.split('<nav class="pager"', 1)[1].split(">", 1)[0]
    second = client.get(links["next"]).get_data(as_text=True)
    assert _rows(second) == everyone[4:8]
    assert _query(_pager_links(second)["prev"]) == {} and _query(_pager_links(second)["next"]) == {"page": "3"}
    last = client.get("/dealer/subscribers?page=3").get_data(as_text=True)
    assert _rows(last) == everyone[8:] and set(_pager_links(last)) == {"prev"}
    # each page is one call with its window, the demo billing counting the total
    assert [(c["limit"], c["offset"]) for c in _calls(binding, "dealer_subscribers")] == [(4, 0), (4, 4), (4, 8)]
    for odd in ("abc", "0", "-2"):
        assert _rows(client.get(f"/dealer/subscribers?page={odd}").get_data(as_text=True)) == everyone[:4]


def test_a_page_past_the_end_is_empty_with_a_link_to_the_last(paged):
    client, binding = paged()
    html = client.get("/dealer/subscribers?page=9").get_data(as_text=True)
    assert _rows(html) == [] and not _pager_links(html)
    back = re.search(r'class="pager__back" href="([^"]+)"', html)
    assert back and _query(back.group(1).replace("&amp;", "&")) == {"page": "3"}
    assert "Никого не нашли" not in page_text(client.get("/dealer/subscribers?page=9"))   # not "nobody found"


def test_the_pager_keeps_the_search_and_the_search_comes_before_paging(paged):
    client, binding = paged()
    term = "ов"
    matching = [s.name for s in DemoBilling.dealer_subscribers(binding, "dealer-2001")
                if any(term in value.casefold() for value in (s.name, s.contract, s.phone))]
    assert len(matching) > 4                        # more than one page of them
    first = client.get(f"/dealer/subscribers?q={term}").get_data(as_text=True)
    assert _rows(first) == matching[:4]              # the first four that match, not the matches among four
    following = _pager_links(first)["next"]
    assert _query(following) == {"q": term, "page": "2"}
    assert _rows(client.get(following).get_data(as_text=True)) == matching[4:8]
    assert _calls(binding, "dealer_subscribers")[-1] == {"dealer_id": "dealer-2001", "limit": 4, "offset": 4,
                                                         "search": term}


def test_a_plain_list_is_paged_in_memory(paged):
    client, binding = paged(f"{HERE}:WholeListBilling")
    everyone = _names(DemoBilling.dealer_subscribers(binding, "dealer-2001"))
    assert _rows(client.get("/dealer/subscribers?page=2").get_data(as_text=True)) == everyone[4:8]
    found = client.get("/dealer/subscribers?q=ов&page=2").get_data(as_text=True)      # searched here, then paged
    matching = [name for name in everyone if "ов" in name.casefold()]
    assert _rows(found) == matching[4:8]
    assert _calls(binding, "dealer_subscribers")[0]["limit"] == 4         # it was asked for a page all the same


def test_a_billing_that_does_not_count_gets_a_pager_without_a_count(paged):
    client, binding = paged(f"{HERE}:NoTotalBilling")
    screen = client.get("/api/v1/screens/dealer_subscribers?page=2").get_json()
    [table] = [s for s in screen["sections"] if s["id"] == "all"]
    assert table["pager"]["page_count"] is None and table["pager"]["total"] is None and table["pager"]["next_url"]
    last = client.get("/api/v1/screens/dealer_subscribers?page=3").get_json()
    [table] = [s for s in last["sections"] if s["id"] == "all"]
    assert len(table["items"]) == 3 and table["pager"]["next_url"] is None      # a short page is the last
    beyond = client.get("/api/v1/screens/dealer_subscribers?page=6").get_json()
    [table] = [s for s in beyond["sections"] if s["id"] == "all"]
    assert table["pager"]["past_end"] and _query(table["pager"]["back_url"]) == {}   # back to the first page


def test_screens_that_read_the_list_elsewhere_get_every_item(paged):
    client, binding = paged()
    overview = client.get("/dealer/overview?page=2").get_data(as_text=True)
    everyone = _names(DemoBilling.dealer_subscribers(binding, "dealer-2001"))
    assert _rows(overview) == everyone[4:8]                     # paged here, in memory
    assert "11" in page_text(client.get("/dealer/overview"))    # the count needs them all
    client.get("/dealer")                                       # the demo's home: count, balance, latest
    client.get(f"/dealer/subscribers/ds-{DEALER_SUBSCRIBERS[-1][1]}")    # one subscriber, found in the list
    assert _calls(binding, "dealer_subscribers")
    assert all("limit" not in call and "offset" not in call for call in _calls(binding, "dealer_subscribers"))


def test_the_demo_cabinets_plan(tmp_path):
    from engine.billing import binding_registry
    from engine.billing.contract import capabilities_of
    cabinet = load(DEMO_SCHEMAS, capabilities_of(binding_registry().get("demo")))
    plans = {screen_id: set(screen.paged) for screen_id, screen in cabinet.screens.items()}
    # the history screen sums its operations beside the table, the dealer's home counts the subscribers
    # and the subscriber's screen finds one among them: only the list of subscribers is paged by the billing
    assert {screen_id: names for screen_id, names in plans.items() if names} == {"dealer_subscribers": {"subscribers"}}
    # worked out once, when the screen is compiled: the listing of the table that alone reads it
    assert cabinet.screens["dealer_subscribers"].paged["subscribers"].page_size == 50


def test_the_demo_looks_as_before(make_app):
    app = make_app(binding="tests.support.bindings:RecordingBilling")
    client = app.test_client()
    sign_in(client, "demo2", "demo2")
    html = client.get("/dealer/subscribers").get_data(as_text=True)
    assert len(_rows(html)) == len(DEALER_SUBSCRIBERS) and 'class="pager"' not in html
    assert _calls(app.extensions["cabinet"].binding, "dealer_subscribers") == [
        {"dealer_id": "dealer-2001", "limit": 50, "offset": 0}]


def test_the_json_api_carries_the_pager(paged):
    client, _binding = paged()
    screen = client.get("/api/v1/screens/dealer_subscribers?page=2&q=").get_json()
    [table] = [s for s in screen["sections"] if s["id"] == "all"]
    pager = table["pager"]
    assert {k: pager[k] for k in ("page", "page_count", "total", "page_size", "param", "past_end")} == {
        "page": 2, "page_count": 3, "total": 11, "page_size": 4, "param": "page", "past_end": False}
    assert _query(pager["previous_url"]) == {} and _query(pager["next_url"]) == {"page": "3"}
    assert "2" in pager["label"] and "3" in pager["label"] and len(table["items"]) == 4
    [search] = [s for s in screen["sections"] if s["id"] == "search"]
    assert search["pager"] is None                              # only lists and tables page


# --- 10,000 rows ---------------------------------------------------------------------------------------

def test_ten_thousand_history_rows_render_one_page(make_app):
    app = make_app(binding=f"{HERE}:ManyHistoryBilling")
    client = app.test_client()
    sign_in(client)
    html = client.get("/history").get_data(as_text=True)
    assert len(_rows(html)) == 50                                      # the default page size
    assert html.count('<tr role="row"') == 51                          # with the header
    assert _query(_pager_links(html)["next"]) == {"page": "2"}
    binding = app.extensions["cabinet"].binding
    assert all("limit" not in call for call in _calls(binding, "history"))    # it takes no paging: all, here
    assert "Операция №0" in html and "Операция №50" not in html
    last = client.get("/history?page=200").get_data(as_text=True)
    assert "Операция №9999" in last and len(_rows(last)) == 50 and set(_pager_links(last)) == {"prev"}
    # the totals above the table still see every operation (5,000 payments of 100 ₽)
    assert "500\u00a0000,00" in page_text(client.get("/history"))
    payments = client.get("/history?kind=payment&page=2").get_data(as_text=True)   # searched, then paged
    assert "Операция №101" in payments and "Операция №100" not in payments
    assert _query(_pager_links(payments)["next"]) == {"kind": "payment", "page": "3"}
    beyond = client.get("/history?page=999").get_data(as_text=True)           # paged here: back to the last page
    back = re.search(r'class="pager__back" href="([^"]+)"', beyond)
    assert _rows(beyond) == [] and back and _query(back.group(1).replace("&amp;", "&")) == {"page": "200"}
    # an account named in the address stays named on the next page (the session may remember another)
    named = client.get("/history?account=108843").get_data(as_text=True)
    assert _query(_pager_links(named)["next"]) == {"account": "108843", "page": "2"}
    api = client.get("/api/v1/screens/history?page=3").get_json()
    [table] = [s for s in api["sections"] if s["id"] == "operations"]
    assert len(table["items"]) == 50 and table["pager"]["page_count"] == 200 and table["pager"]["total"] == ROWS


# --- an item's button on a page ---------------------------------------------------------------------------

def _ask_forms(client, address: str) -> list[dict]:
    html = client.get(address).get_data(as_text=True)
    return [{**form, "csrf_token": csrf_token(html)} for form in action_forms(html, "ask_about")]


def test_an_item_button_from_page_two_is_accepted_and_one_not_on_that_page_is_refused(paged):
    client, binding = paged()
    everyone = DemoBilling.dealer_subscribers(binding, "dealer-2001")
    forms = _ask_forms(client, "/dealer/ask?page=2")
    assert [f["contract"] for f in forms] == [s.contract for s in everyone[4:8]]
    assert all(f["_page"] == "2" and "_search" not in f for f in forms)
    binding.calls.clear()
    done = client.post("/actions/ask_about", data=forms[0])
    assert done.status_code == 302
    assert f"Вопрос по контракту {everyone[4].contract} отправлен" in page_text(client.get(done.headers["Location"]))
    # the screen read again at the page the button was on
    assert {(c["limit"], c["offset"]) for c in _calls(binding, "dealer_subscribers")} >= {(4, 4)}
    for forged in ({**forms[1], "contract": everyone[0].contract},              # on page 1, not 2
                   {**forms[1], "_page": "3"},                                   # page 3 does not hold it
                   {**{k: v for k, v in forms[1].items() if k != "_page"}},      # nor does page 1
                   {**forms[1], "contract": "0000000"}):                         # nobody's
        refused = client.post("/actions/ask_about", data=forged)
        assert refused.status_code == 302
        assert "Этот вариант больше не предлагается" in page_text(client.get(refused.headers["Location"])), forged


def test_an_item_button_under_a_search_names_its_search(paged):
    client, binding = paged()
    [form] = _ask_forms(client, "/dealer/ask?q=петров")
    assert form["_search"] == "петров" and "_page" not in form
    binding.calls.clear()
    done = client.post("/actions/ask_about", data=form)
    # read again with the search of the page the button was on
    assert {"limit": 4, "offset": 0, "search": "петров"}.items() <= _calls(binding, "dealer_subscribers")[-1].items()
    assert "Вопрос по контракту" in page_text(client.get(done.headers["Location"]))
    other = client.post("/actions/ask_about", data={**form, "_search": "зайцев"})      # not among those found
    assert "Этот вариант больше не предлагается" in page_text(client.get(other.headers["Location"]))


def test_an_item_button_on_a_list_paged_in_memory(paged):
    client, binding = paged(login="demo1")
    offers = binding.tariffs("108842-internet")
    html = client.get("/services/108842-internet/tariffs?page=2").get_data(as_text=True)
    [form] = action_forms(html, "change_tariff")
    assert form["tariff_id"] == offers[1].tariff.id and form["_page"] == "2"
    form["csrf_token"] = csrf_token(html)
    confirm = client.post("/actions/change_tariff", data=form)
    assert confirm.status_code == 200 and offers[1].tariff.name in page_text(confirm)      # the confirmation step
    third = offers[2].tariff
    forged = client.post("/actions/change_tariff", data={**form, "tariff_id": third.id, "tariff_name": third.name,
                                                         "change_fee": str(offers[2].change_fee),
                                                         "effective_date": str(offers[2].effective_date)})
    assert forged.status_code == 302                              # offered, but on page 3
    assert "Этот вариант больше не предлагается" in page_text(client.get(forged.headers["Location"]))
    assert _calls(binding, "change_tariff") == []


def test_the_json_api_item_button_from_page_two(paged):
    client, binding = paged()
    everyone = DemoBilling.dealer_subscribers(binding, "dealer-2001")
    screen = client.get("/api/v1/screens/dealer_ask?page=2").get_json()
    [people] = screen["sections"]
    hidden = people["items"][1]["actions"][0]["hidden"]
    assert hidden["_page"] == "2" and hidden["contract"] == everyone[5].contract
    headers = {"X-CSRFToken": screen["csrf_token"]}
    done = client.post("/api/v1/actions/ask_about", json=hidden, headers=headers)
    assert done.status_code == 200 and done.get_json()["status"] == "done"
    refused = client.post("/api/v1/actions/ask_about", json={**hidden, "_page": "1"}, headers=headers)
    assert refused.status_code == 409


# --- what the compiler refuses ----------------------------------------------------------------------------

LIST = MINIMAL + """\
      - type: list
        items: "[account]"
        OPTIONS
        fields:
          - {type: text, key: number, value: number}
"""


@pytest.mark.parametrize("options, where", [("page_size: 0", "page_size"), ("page_size: 501", "page_size"),
                                            ("page_size: '10'", "page_size"), ("page_param: account", "page_param"),
                                            ("page_param: q", "page_param"), ("page_param: 'a b'", "page_param")])
def test_paging_options_are_checked(tmp_path, options, where):
    write_cabinet(tmp_path, LIST.replace("OPTIONS", options))
    with pytest.raises(SchemaInvalid) as caught:
        load(tmp_path)
    assert any(where in str(issue) for issue in caught.value.issues), caught.value


def test_paging_options_have_defaults(tmp_path):
    write_cabinet(tmp_path, LIST.replace("OPTIONS", "search_in: [number]"))
    section = load(tmp_path).screens["home"].sections[1]
    assert (section.options["page_size"], section.options["page_param"]) == (50, "page")
    write_cabinet(tmp_path, LIST.replace("OPTIONS", "page_size: 500\n        page_param: p"))
    section = load(tmp_path).screens["home"].sections[1]
    assert (section.options["page_size"], section.options["page_param"]) == (500, "p")
