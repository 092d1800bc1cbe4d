"""The conformance kit: does a billing binding keep the contract? Import it into your own pytest:

```python
import pytest
from engine.testing.binding_suite import BindingSuite, Scenario

class TestMyBilling(BindingSuite):
    @pytest.fixture
    def binding(self):
        binding = MyBilling(url="http://127.0.0.1:9000", key="...")
        yield binding
        binding.close()

    @pytest.fixture
    def scenario(self):
        # test data in your billing: a subscriber with accounts (two, for transfers), another
        # subscriber with accounts of their own, a dealer
        return Scenario(subscriber_id="sub-1001", other_subscriber_id="sub-1002", dealer_id="dealer-2001")
```

or run it as ``cabinet bindings check NAME`` (no pytest needed: ``engine.testing.check`` runs it).
Each test names the operations it needs (``@needs(...)``); for an operation the binding does not
provide the test is reported as not applicable, never as passed — but every binding must provide
the core a cabinet cannot do without (``CORE``), and its answers must depend on the subscriber
they are for. Tests that change data (payments, tariffs, blocks, orders, transfers) change the
scenario's accounts: run the kit against test data, never against real subscribers.
"""
from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import wraps
from typing import Any

from ..billing.credential import Credential
from ..billing.errors import BillingNotFound, BillingRejected
from ..billing.records import (
    Account, ActionResult, BlockTerms, BonusBalance, BonusProgramme, BonusReward, CatalogItem, DealerOrderStats, DealerSubscriber,
    HistoryEntry, Order, PackageBalance, Page, PaymentPage, PaymentReceipt, PromisedPaymentTerms, Requisites, Service,
    ServiceStatus, SignedIn, TariffOffer, Usage, UsageRecord,
)

UNKNOWN = "no-such-id-0000"
#: what every binding provides: a cabinet without them has nothing to show a subscriber
CORE = ("accounts", "account", "services")

try:    # under pytest a test that does not apply is reported as skipped; the kit runs without it too
    import pytest
    _Skip: type[BaseException] = pytest.skip.Exception
except ImportError:                     # a plain install: cabinet bindings check needs no pytest
    _Skip = Exception


class NotApplicable(_Skip):             # type: ignore[misc,valid-type]
    """The test needs an operation the binding does not provide (reported, never passed)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Scenario:
    subscriber_id: str                  # has at least one account (two for the transfer test)
    dealer_id: str | None = None        # for the dealer operations
    unknown_id: str = UNKNOWN           # an id the billing does not have
    #: another subscriber with accounts of their own: none of them may reach the first one
    other_subscriber_id: str | None = None
    #: the two subscribers' billing logins, for a binding whose billing signs them in (``sign_in``)
    login: str | None = None
    password: str | None = None
    other_login: str | None = None
    other_password: str | None = None
    #: a service of the subscriber's they may not end themselves (an account's main one):
    #: disconnect_service must refuse it
    main_service_id: str | None = None


class AsSubscriber:
    """A per-subscriber binding acting for one signed-in subscriber: every call that takes the
    subscriber's credential is given theirs, as the engine does."""

    def __init__(self, binding, credential: Credential):
        self.inner = binding
        self.credential = credential

    def call(self, operation: str, params: dict) -> Any:
        if self.inner.takes_credential(operation):
            params = {**params, "credential": self.credential}
        return self.inner.call(operation, params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def acting(binding, scenario: Scenario, other: bool = False):
    """The binding as the scenario's subscriber (or the other one) would reach it: signed in
    through the billing when its calls act with each subscriber's own credential."""
    inner = getattr(binding, "inner", binding)
    if not inner.per_subscriber:
        return inner
    login, password = (scenario.other_login, scenario.other_password) if other else (scenario.login,
                                                                                       scenario.password)
    assert login and password, ("the binding acts with each subscriber's own credential: give the scenario "
                                "login and password (and other_login, other_password) of test subscribers")
    return AsSubscriber(inner, Credential(inner.sign_in(login, password).credential))


def needs(*operations: str):
    """Mark a test with the operations it needs; without them it is not applicable."""
    def mark(test):
        @wraps(test)
        def run(self, binding, scenario, *args, **kwargs):
            missing = [op for op in operations if op not in binding.capabilities]
            if missing:
                raise NotApplicable(f"not applicable: the binding does not provide {', '.join(missing)}")
            return test(self, acting(binding, scenario), scenario, *args, **kwargs)
        run.operations = operations
        return run
    return mark


def _naive_moments(value: Any, where: str) -> list[str]:
    """Where in a record (or list of them) a datetime has no time zone."""
    if isinstance(value, datetime):
        return [where] if value.tzinfo is None or value.utcoffset() is None else []
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [found for f in dataclasses.fields(value)
                for found in _naive_moments(getattr(value, f.name), f"{where}.{f.name}")]
    if isinstance(value, (list, tuple)):
        return [found for i, item in enumerate(value) for found in _naive_moments(item, f"{where}[{i}]")]
    return []


def _key() -> str:
    return uuid.uuid4().hex


def _not_found(binding, operation: str, params: dict) -> None:
    try:
        answer = binding.call(operation, params)
    except BillingNotFound:
        return
    raise AssertionError(f"{operation}: an unknown id must raise BillingNotFound; it answered {answer!r:.120}")


def _refused(binding, operation: str, params: dict, what: str) -> None:
    try:
        answer = binding.call(operation, params)
    except BillingRejected as exc:
        assert exc.reason, f"{operation}: the refusal of {what} must say why"
        return
    raise AssertionError(f"{operation}: {what} must be refused with BillingRejected; it answered {answer!r:.120}")


def _closing(service: Service) -> bool:
    """Whether the service is planned to close."""
    return any(change.kind == "close" for change in service.planned_changes)


def _planned_block(service: Service, start: date) -> bool:
    """Whether the service lists a block planned from ``start``."""
    return any(change.kind == "block" and change.effective_date == start for change in service.planned_changes)


def _check_usage_records(year: tuple, month: tuple, today: date) -> None:
    """A year's and this month's usage records: typed, in the period, newest first, each once."""
    assert all(isinstance(r, UsageRecord) for r in year), "usage: records must be UsageRecord"
    naive = _naive_moments(list(year), "usage.records")
    assert not naive, f"{', '.join(naive[:3])}: a time without its zone"
    assert all(today.replace(day=1) <= r.at.date() <= today for r in month), "usage: a record outside the period"
    assert {r.id for r in month} <= {r.id for r in year}, "usage: a longer period must hold the shorter one"
    assert len({r.id for r in year}) == len(year), "usage: a record twice"
    assert [r.at for r in year] == sorted((r.at for r in year), reverse=True), "usage: records must be newest first"
    negative = [r.id for r in year if r.quantity < 0 or r.amount < 0]
    assert not negative, f"usage: records {', '.join(negative[:3])} have a negative quantity or amount"


def _check_packages(packages: tuple) -> None:
    for package in packages:
        assert isinstance(package, PackageBalance) and package.name, f"usage: {package!r:.120} names no package"
        assert 0 <= package.left <= package.total, \
            f"usage: package {package.name!r} has {package.left} left of {package.total}"


def _listed(binding, operation: str, params: dict) -> list:
    """What a list operation answers; nothing when the billing says the id is not found."""
    try:
        return list(binding.call(operation, params))
    except BillingNotFound:
        return []


class BindingSuite:
    """Subclass it in a test module and give the ``binding`` and ``scenario`` fixtures."""

    # --- helpers ---------------------------------------------------------------------------------
    @staticmethod
    def accounts_of(binding, scenario) -> list[Account]:
        accounts = list(binding.call("accounts", {"subscriber_id": scenario.subscriber_id}))
        assert accounts, f"the scenario's subscriber {scenario.subscriber_id} has no accounts"
        return accounts

    def first_service(self, binding, scenario) -> Service:
        for account in self.accounts_of(binding, scenario):
            services = binding.call("services", {"account_id": account.id})
            if services:
                return services[0]
        raise AssertionError("no account of the scenario's subscriber has a service")

    # --- what every binding owes -----------------------------------------------------------------
    def test_the_core_is_provided(self, binding, scenario):
        missing = [name for name in CORE if name not in binding.capabilities]
        assert not missing, (f"a binding must provide {', '.join(CORE)} (what every cabinet reads); "
                             f"this one lacks {', '.join(missing)}")

    test_the_core_is_provided.operations = CORE       # type: ignore[attr-defined]

    def test_subscribers_sign_in(self, binding, scenario):
        """The sign-in path: a billing that checks its subscribers' passwords signs the scenario's
        two in as themselves and refuses a wrong password; a binding whose calls need each
        subscriber's credential must have that sign-in."""
        if not binding.signs_in:
            # subscribers sign in with Keycloak or local users linked to their ids (cabinet users link),
            # and the binding reaches the billing with one credential of its own for all of them
            assert not binding.per_subscriber, (
                "the binding acts with each subscriber's own credential but cannot sign one in (sign_in)")
            return
        assert scenario.login and scenario.password and scenario.other_login and scenario.other_password, (
            "the billing signs subscribers in: give the scenario login, password, other_login and other_password")
        first = binding.sign_in(scenario.login, scenario.password)
        assert isinstance(first, SignedIn), f"sign_in must return a SignedIn record, not {first!r:.80}"
        assert first.subscriber_id == scenario.subscriber_id, (
            f"{scenario.login} signed in as {first.subscriber_id!r}, not as {scenario.subscriber_id!r}")
        assert first.credential and all(isinstance(v, str) for v in first.credential.values()), \
            "sign_in must give the credential the subscriber's calls need, as text values"
        second = binding.sign_in(scenario.other_login, scenario.other_password)
        assert second.subscriber_id == scenario.other_subscriber_id, (
            f"{scenario.other_login} signed in as {second.subscriber_id!r}, not {scenario.other_subscriber_id!r}")
        assert Credential(second.credential) != Credential(first.credential), \
            "two subscribers were given the same credential"
        try:
            binding.sign_in(scenario.login, scenario.password + "-wrong")
        except BillingRejected:
            pass
        else:
            raise AssertionError("a wrong password must be refused with BillingRejected")

    test_subscribers_sign_in.operations = ("sign_in",)     # type: ignore[attr-defined]

    @needs("accounts")
    def test_answers_depend_on_the_subscriber(self, binding, scenario):
        strangers = _listed(binding, "accounts", {"subscriber_id": scenario.unknown_id})
        assert not strangers, (
            f"accounts of a subscriber the billing does not have ({scenario.unknown_id!r}) answered "
            f"{', '.join(a.id for a in strangers)}: the binding answers for somebody else (one shared "
            f"login?), so every subscriber would see those accounts")
        assert scenario.other_subscriber_id, "give the scenario other_subscriber_id: a second test subscriber"
        own = {a.id for a in self.accounts_of(binding, scenario)}
        as_other = acting(binding, scenario, other=True)
        other = {a.id for a in as_other.call("accounts", {"subscriber_id": scenario.other_subscriber_id})}
        assert other, f"the scenario's other subscriber {scenario.other_subscriber_id} has no accounts"
        shared = own & other
        assert not shared, (f"subscribers {scenario.subscriber_id} and {scenario.other_subscriber_id} were both "
                            f"given accounts {', '.join(sorted(shared))}")
        if scenario.dealer_id and "dealer_subscribers" in binding.capabilities:
            listed = _listed(binding, "dealer_subscribers", {"dealer_id": scenario.unknown_id})
            assert not listed, f"a dealer the billing does not have ({scenario.unknown_id!r}) was given subscribers"

    @needs("accounts", "history")
    def test_moments_carry_their_time_zone(self, binding, scenario):
        today = date.today()
        for account in self.accounts_of(binding, scenario):
            entries = binding.call("history", {"account_id": account.id, "date_from": today - timedelta(days=366),
                                               "date_to": today})
            naive = _naive_moments(list(entries), "history")
            assert not naive, (f"{', '.join(naive[:3])}: a time without its zone is read differently by "
                               f"each reader; give it the billing's zone")
        if "orders" in binding.capabilities:
            account = self.accounts_of(binding, scenario)[0]
            naive = _naive_moments(list(binding.call("orders", {"account_id": account.id})), "orders")
            assert not naive, f"{', '.join(naive[:3])}: a time without its zone"

    # --- reading ---------------------------------------------------------------------------------
    @needs("accounts")
    def test_accounts_of_a_subscriber(self, binding, scenario):
        accounts = self.accounts_of(binding, scenario)
        assert all(isinstance(a, Account) for a in accounts)
        assert len({a.id for a in accounts}) == len(accounts), "account ids must be unique"
        for account in accounts:
            assert isinstance(account.balance, Decimal) and len(account.currency) == 3

    @needs("accounts", "account")
    def test_one_account_and_an_unknown_one(self, binding, scenario):
        for listed in self.accounts_of(binding, scenario):
            account = binding.call("account", {"account_id": listed.id})
            assert isinstance(account, Account) and account.id == listed.id, \
                f"account({listed.id!r}) answered {getattr(account, 'id', account)!r}"
            assert account.balance == listed.balance, f"account {listed.id}: the balance differs from accounts()"
            if account.recommended_payment is not None:
                assert account.recommended_payment.amount >= 0
        _not_found(binding, "account", {"account_id": scenario.unknown_id})

    @needs("accounts", "services", "service")
    def test_services_belong_to_their_account(self, binding, scenario):
        seen = 0
        for account in self.accounts_of(binding, scenario):
            for service in binding.call("services", {"account_id": account.id}):
                assert isinstance(service, Service) and service.account_id == account.id
                one = binding.call("service", {"service_id": service.id})
                assert one.id == service.id and one.status == service.status
                if service.suspension is not None:
                    assert service.suspension.reason_code, "a suspension needs a reason code"
                seen += 1
        assert seen, "the scenario's accounts have no services"
        _not_found(binding, "service", {"service_id": scenario.unknown_id})

    @needs("accounts", "services", "tariffs")
    def test_tariffs_name_the_current_one(self, binding, scenario):
        service = self.first_service(binding, scenario)
        offers = binding.call("tariffs", {"service_id": service.id})
        assert offers and all(isinstance(o, TariffOffer) for o in offers)
        assert sum(1 for o in offers if o.current) == 1, "exactly one offer is the current tariff"
        assert all(o.change_fee >= 0 for o in offers)

    @needs("accounts", "history")
    def test_history_keeps_to_the_period_and_reads_every_page(self, binding, scenario):
        account = self.accounts_of(binding, scenario)[0]
        today = date.today()
        year = binding.call("history", {"account_id": account.id, "date_from": today - timedelta(days=366),
                                        "date_to": today})
        month = binding.call("history", {"account_id": account.id, "date_from": today.replace(day=1),
                                         "date_to": today})
        assert all(isinstance(e, HistoryEntry) for e in year)
        assert all(today.replace(day=1) <= e.at.date() <= today for e in month), "an entry outside the period"
        assert {e.id for e in month} <= {e.id for e in year}, "a longer period must hold the shorter one"
        assert len({e.id for e in year}) == len(year), "an entry twice (pages overlapping?)"

    @needs("accounts", "usage")
    def test_usage_keeps_to_the_period_newest_first(self, binding, scenario):
        """Records of the period, newest first, with their time zone; packages with 0 <= left <= total;
        both of the account's own services."""
        today = date.today()
        for account in self.accounts_of(binding, scenario):
            year = binding.call("usage", {"account_id": account.id, "date_from": today - timedelta(days=366),
                                          "date_to": today})
            month = binding.call("usage", {"account_id": account.id, "date_from": today.replace(day=1),
                                           "date_to": today})
            assert isinstance(year, Usage) and isinstance(month, Usage), f"usage returned {type(year).__name__}"
            _check_usage_records(year.records, month.records, today)
            _check_packages(year.packages)
            if "services" in binding.capabilities:
                own = {s.id for s in binding.call("services", {"account_id": account.id})}
                strange = {r.service_id for r in year.records} | {p.service_id for p in year.packages}
                assert strange <= own, f"usage of account {account.id} names services of no such account: " \
                                       f"{', '.join(sorted(strange - own))}"
        _not_found(binding, "usage", {"account_id": scenario.unknown_id, "date_from": today, "date_to": today})

    @needs("accounts", "block_terms")
    def test_block_terms(self, binding, scenario):
        terms = binding.call("block_terms", {"account_id": self.accounts_of(binding, scenario)[0].id})
        assert isinstance(terms, BlockTerms) and 0 < terms.min_days <= terms.max_days and terms.fee_per_day >= 0

    @needs("accounts", "promised_payment_terms")
    def test_promised_payment_terms_explain_ineligibility(self, binding, scenario):
        for account in self.accounts_of(binding, scenario):
            terms = binding.call("promised_payment_terms", {"account_id": account.id})
            assert isinstance(terms, PromisedPaymentTerms) and terms.repay_days > 0 and terms.interval_days > 0
            if not terms.eligible:
                assert terms.ineligible_reason, "say why a promised payment is not available"

    @needs("catalog")
    def test_catalog(self, binding, scenario):
        items = binding.call("catalog", {})
        assert items and all(isinstance(i, CatalogItem) and i.price >= 0 for i in items)

    @needs("accounts", "payment_pages")
    def test_payment_pages_lead_to_the_web(self, binding, scenario):
        account = self.accounts_of(binding, scenario)[0]
        for page in binding.call("payment_pages", {"account_id": account.id}):
            assert isinstance(page, PaymentPage) and page.name, f"payment_pages: {page!r:.120} names no page"
            assert page.url.startswith(("https://", "http://")), \
                f"payment_pages: {page.url!r:.120} is not an absolute http(s) address the cabinet can link to"
        _not_found(binding, "payment_pages", {"account_id": scenario.unknown_id})

    @needs("accounts", "requisites")
    def test_requisites(self, binding, scenario):
        account = self.accounts_of(binding, scenario)[0]
        requisites = binding.call("requisites", {"account_id": account.id})
        assert isinstance(requisites, Requisites) and requisites.account_id == account.id

    @needs("accounts", "bonuses")
    def test_bonuses(self, binding, scenario):
        account = self.accounts_of(binding, scenario)[0]
        bonuses = binding.call("bonuses", {"account_id": account.id})
        assert isinstance(bonuses, BonusBalance) and bonuses.points >= 0

    # --- bonus programmes ---------------------------------------------------------------------------
    @staticmethod
    def programmes(binding, account_id: str) -> list[BonusProgramme]:
        return list(binding.call("bonus_programmes", {"account_id": account_id}))

    @staticmethod
    def joined(programmes: list[BonusProgramme]) -> list[BonusProgramme]:
        return [programme for programme in programmes if programme.joined]

    @needs("accounts", "bonus_programmes")
    def test_bonus_programmes_are_records_with_rewards(self, binding, scenario):
        """Each programme a BonusProgramme with its rewards; an account is in one programme at most."""
        for account in self.accounts_of(binding, scenario):
            programmes = self.programmes(binding, account.id)
            assert all(isinstance(p, BonusProgramme) for p in programmes), \
                "bonus_programmes: each programme must be a BonusProgramme"
            rewards = [reward for programme in programmes for reward in programme.rewards]
            assert all(isinstance(r, BonusReward) and r.cost_points >= 0 for r in rewards), \
                "bonus_programmes: each reward must be a BonusReward costing 0 points or more"
            assert all(p.points >= 0 for p in programmes), "bonus_programmes: points may not be negative"
            ids = [p.id for p in programmes]
            assert len(ids) == len(set(ids)), f"bonus_programmes: a programme listed twice in {ids}"
            joined = [p.id for p in self.joined(programmes)]
            assert len(joined) <= 1, f"bonus_programmes: account {account.id} is in {', '.join(joined)} at once"

    @needs("accounts", "bonus_programmes", "join_bonus_programme")
    def test_a_bonus_programme_is_joined_once_leaving_the_current_one(self, binding, scenario):
        """Joining another programme, once per request, leaves the account in exactly that one; joining
        the one it is in is refused, an unknown one not found. The account then goes back."""
        account = self.accounts_of(binding, scenario)[0]
        programmes = self.programmes(binding, account.id)
        others = [p for p in programmes if not p.joined]
        if not others:
            raise NotApplicable("the scenario's account is offered no programme it is not in")
        before, target = self.joined(programmes), others[0]
        request = {"account_id": account.id, "programme_id": target.id, "request_id": _key()}
        first = binding.call("join_bonus_programme", request)
        assert isinstance(first, ActionResult) and first.ok, f"join_bonus_programme answered {first!r:.120}"
        assert first == binding.call("join_bonus_programme", request), \
            "join_bonus_programme: the same request twice answered differently"
        now = [p.id for p in self.joined(self.programmes(binding, account.id))]
        assert now == [target.id], f"join_bonus_programme: after joining {target.id} the account is in {now}"
        _refused(binding, "join_bonus_programme", {**request, "request_id": _key()},
                 f"joining {target.id}, which the account is in already")
        _not_found(binding, "join_bonus_programme", {**request, "programme_id": scenario.unknown_id,
                                                     "request_id": _key()})
        for programme in before:          # leave the scenario's account as it was
            binding.call("join_bonus_programme", {**request, "programme_id": programme.id, "request_id": _key()})

    @needs("accounts", "bonus_programmes", "spend_bonus_points")
    def test_bonus_points_buy_a_reward_once_and_never_beyond_them(self, binding, scenario):
        """The cheapest reward the points cover lowers them by its cost, once per request; a reward
        costing more than the points left is refused and lowers nothing."""
        for account in self.accounts_of(binding, scenario):
            current = next(iter(self.joined(self.programmes(binding, account.id))), None)
            if current is None:
                continue
            affordable = sorted((r for r in current.rewards if 0 < r.cost_points <= current.points),
                                key=lambda r: r.cost_points)
            if not affordable:
                continue
            reward = affordable[0]
            request = {"account_id": account.id, "reward_id": reward.id, "request_id": _key()}
            first = binding.call("spend_bonus_points", request)
            assert isinstance(first, ActionResult) and first.ok, f"spend_bonus_points answered {first!r:.120}"
            assert first == binding.call("spend_bonus_points", request), \
                "spend_bonus_points: the same request twice answered differently"
            left = self._points_in(binding, account.id, current.id)
            assert left == current.points - reward.cost_points, (
                f"spend_bonus_points: {current.points} points less {reward.cost_points} for {reward.id} "
                f"left {left}")
            beyond = [r for r in current.rewards if r.cost_points > left]
            assert beyond, (f"give the scenario's account {account.id} a reward of {current.id} that costs more "
                            f"than its points, to check it is refused")
            _refused(binding, "spend_bonus_points", {**request, "reward_id": beyond[0].id, "request_id": _key()},
                     f"a reward of {beyond[0].cost_points} points with {left} left")
            assert self._points_in(binding, account.id, current.id) == left, \
                "spend_bonus_points: a refused reward still took points"
            return
        raise AssertionError("no account of the scenario has a programme with a reward its points cover")

    def _points_in(self, binding, account_id: str, programme_id: str) -> Decimal:
        return next(p.points for p in self.programmes(binding, account_id) if p.id == programme_id)

    @needs("dealer_subscribers", "dealer_orders")
    def test_a_dealers_subscribers_and_orders(self, binding, scenario):
        assert scenario.dealer_id, "give the scenario a dealer_id"
        subscribers = binding.call("dealer_subscribers", {"dealer_id": scenario.dealer_id})
        assert all(isinstance(s, DealerSubscriber) for s in subscribers)
        stats = binding.call("dealer_orders", {"dealer_id": scenario.dealer_id})
        assert isinstance(stats, DealerOrderStats) and stats.processed + stats.in_progress <= stats.total

    # --- pages of long lists -------------------------------------------------------------------------
    @staticmethod
    def read_in_pages(binding, operation: str, params: dict, whole: list, size: int = 2) -> list:
        """Every item of ``operation`` read ``size`` at a time, checking each page against ``whole``."""
        if not {"limit", "offset"} <= binding.paging(operation):
            raise NotApplicable(f"not applicable: the binding answers {operation} whole (the engine pages it)")
        read: list = []
        for offset in range(0, len(whole) + size, size):
            page = binding.call(operation, {**params, "limit": size, "offset": offset})
            if not isinstance(page, Page):       # a plain list is everything, whatever was asked
                assert [i.id for i in page] == [i.id for i in whole], \
                    f"{operation}: a plain list must be the whole list; answer a Page for one window"
                return list(page)
            assert len(page) <= size, f"{operation}: asked for {size} items from {offset}, got {len(page)}"
            if page.total is not None:
                assert page.total == len(whole), f"{operation}: total {page.total}, but the list has {len(whole)}"
            read.extend(page)
            if offset + size >= len(whole):
                break
        assert [i.id for i in read] == [i.id for i in whole], \
            f"{operation}: the pages, read one after another, must be the whole list in its order, once each"
        after = binding.call(operation, {**params, "limit": size, "offset": len(whole) + size})
        assert len(after) == 0 or not isinstance(after, Page), f"{operation}: a page after the end must be empty"
        return read

    @needs("accounts", "history")
    def test_history_in_pages_is_the_whole_history(self, binding, scenario):
        account = self.accounts_of(binding, scenario)[0]
        today = date.today()
        params = {"account_id": account.id, "date_from": today - timedelta(days=366), "date_to": today}
        self.read_in_pages(binding, "history", params, list(binding.call("history", params)))

    @needs("dealer_subscribers")
    def test_a_dealers_subscribers_in_pages_and_searched(self, binding, scenario):
        assert scenario.dealer_id, "give the scenario a dealer_id"
        params = {"dealer_id": scenario.dealer_id}
        whole = list(binding.call("dealer_subscribers", params))
        self.read_in_pages(binding, "dealer_subscribers", params, whole)
        if "search" not in binding.paging("dealer_subscribers") or not whole:
            return
        term = whole[0].name.split()[0][:4]
        found = binding.call("dealer_subscribers", {**params, "limit": 50, "offset": 0, "search": term})
        ids = {s.id for s in whole}
        assert whole[0].id in {s.id for s in found}, f"dealer_subscribers: searching {term!r} must find {whole[0].name!r}"
        assert all(s.id in ids for s in found), "dealer_subscribers: a search found another dealer's subscriber"
        if isinstance(found, Page) and found.total is not None:
            assert found.total <= len(whole), "dealer_subscribers: a search cannot find more than there are"

    # --- changing ----------------------------------------------------------------------------------
    @needs("accounts", "account", "register_payment")
    def test_a_payment_registered_twice_credits_once(self, binding, scenario):
        account = self.accounts_of(binding, scenario)[0]
        before = binding.call("account", {"account_id": account.id}).balance
        payment = {"account_id": account.id, "amount": Decimal("123.45"), "payment_id": f"conformance-{_key()}"}
        first = binding.call("register_payment", payment)
        second = binding.call("register_payment", payment)
        assert isinstance(first, PaymentReceipt), f"register_payment returned {type(first).__name__}"
        assert first.billing_reference == second.billing_reference, "register_payment: the same payment twice " \
            f"gave two references ({first.billing_reference!r}, {second.billing_reference!r})"
        after = binding.call("account", {"account_id": account.id}).balance
        assert after == before + Decimal("123.45"), f"register_payment: one payment of 123.45 registered twice " \
            f"changed the balance by {after - before}"

    @needs("accounts", "services", "tariffs", "change_tariff")
    def test_a_tariff_change_is_done_once_per_request(self, binding, scenario):
        for account in self.accounts_of(binding, scenario):
            for service in binding.call("services", {"account_id": account.id}):
                if not service.tariff_change_allowed:
                    continue
                others = [o for o in binding.call("tariffs", {"service_id": service.id}) if not o.current]
                if not others:
                    continue
                change = {"service_id": service.id, "tariff_id": others[0].tariff.id, "request_id": _key()}
                first, second = binding.call("change_tariff", change), binding.call("change_tariff", change)
                assert isinstance(first, ActionResult) and first == second, \
                    f"change_tariff: the same request twice answered {first!r} and {second!r}"
                return
        raise AssertionError("no service of the scenario allows a tariff change to another tariff")

    @needs("accounts", "services", "service", "disconnect_service")
    def test_a_service_is_disconnected_once_per_request(self, binding, scenario):
        if scenario.main_service_id:
            _refused(binding, "disconnect_service", {"service_id": scenario.main_service_id, "request_id": _key()},
                     "the scenario's main service")
        for account in self.accounts_of(binding, scenario):
            for service in binding.call("services", {"account_id": account.id}):
                request = {"service_id": service.id, "request_id": _key()}
                if service.status is ServiceStatus.CLOSED:
                    _refused(binding, "disconnect_service", request, f"the closed service {service.id}")
                    continue
                if service.id == scenario.main_service_id or _closing(service):
                    continue
                try:
                    first = binding.call("disconnect_service", request)
                except BillingRejected as exc:
                    assert exc.reason, "disconnect_service: a refusal must say why"
                    continue                               # this one may not be ended: try another
                assert isinstance(first, ActionResult) and first.ok, f"disconnect_service answered {first!r:.120}"
                assert service.disconnect_date in (None, first.effective_date), (
                    f"disconnect_service: service {service.id} said it would end on {service.disconnect_date} "
                    f"(disconnect_date), the disconnection says {first.effective_date}")
                assert first == binding.call("disconnect_service", request), \
                    "disconnect_service: the same request twice answered differently"
                after = binding.call("service", {"service_id": service.id})
                assert after.status is ServiceStatus.CLOSED or _closing(after), (
                    f"disconnect_service: service {service.id} is neither closed nor planned to close after it")
                return
        raise AssertionError("no service of the scenario could be disconnected")

    @needs("accounts", "block_terms", "block_services", "unblock_services")
    def test_block_and_unblock_once_per_request(self, binding, scenario):
        for account in self.accounts_of(binding, scenario):
            terms = binding.call("block_terms", {"account_id": account.id})
            if terms.blocked:
                continue
            block = {"account_id": account.id, "days": terms.min_days, "request_id": _key()}
            try:
                first = binding.call("block_services", block)
            except BillingRejected:
                continue                                   # this account may not be blocked now: try another
            assert first == binding.call("block_services", block)
            assert binding.call("block_terms", {"account_id": account.id}).blocked
            unblock = {"account_id": account.id, "request_id": _key()}
            assert binding.call("unblock_services", unblock) == binding.call("unblock_services", unblock)
            assert not binding.call("block_terms", {"account_id": account.id}).blocked
            return
        raise AssertionError("no account of the scenario could be blocked")

    @needs("accounts", "block_terms", "schedule_block", "unblock_services")
    def test_a_block_is_scheduled_once_and_cancelled(self, binding, scenario):
        """A period the terms allow is scheduled once per request; until it starts nothing is blocked
        and the services list the planned block; unblocking cancels it; a period over max_days is refused."""
        for account in self.accounts_of(binding, scenario):
            terms = binding.call("block_terms", {"account_id": account.id})
            if terms.blocked or terms.scheduled_from is not None:
                continue
            start = terms.earliest_start or date.today() + timedelta(days=1)
            too_long = {"account_id": account.id, "date_from": start,
                        "date_to": start + timedelta(days=terms.max_days), "request_id": _key()}
            _refused(binding, "schedule_block", too_long, f"a block of {terms.max_days + 1} days (max_days "
                                                          f"{terms.max_days})")
            end = start + timedelta(days=terms.min_days - 1)
            request = {"account_id": account.id, "date_from": start, "date_to": end, "request_id": _key()}
            try:
                first = binding.call("schedule_block", request)
            except BillingRejected as exc:
                assert exc.reason, "schedule_block: a refusal must say why"
                continue                                   # this account may not be blocked now: try another
            assert isinstance(first, ActionResult) and first.ok, f"schedule_block answered {first!r:.120}"
            assert first == binding.call("schedule_block", request), \
                "schedule_block: the same request twice answered differently"
            self._check_block_is_planned(binding, account.id, start, end)
            assert first.effective_date == start, \
                f"schedule_block: effective_date {first.effective_date}, not the block's first day {start}"
            binding.call("unblock_services", {"account_id": account.id, "request_id": _key()})
            after = binding.call("block_terms", {"account_id": account.id})
            assert after.scheduled_from is None and not after.blocked, \
                "unblock_services must cancel a block scheduled that has not started"
            still = [s.id for s in binding.call("services", {"account_id": account.id}) if _planned_block(s, start)]
            assert not still, f"services {', '.join(still)} still list the cancelled block"
            return
        raise AssertionError("no account of the scenario could schedule a block")

    @staticmethod
    def _check_block_is_planned(binding, account_id: str, start: date, end: date) -> None:
        """A scheduled block before its first day: nothing blocked, the period in the terms, and the
        services it will block listing it."""
        terms = binding.call("block_terms", {"account_id": account_id})
        services = binding.call("services", {"account_id": account_id})
        blocked = [s.id for s in services if s.status is ServiceStatus.BLOCKED]
        assert not terms.blocked and not blocked, (
            f"schedule_block: the account's services are blocked before the block starts on {start} "
            f"({', '.join(blocked) or 'block_terms says blocked'}): until then it is a planned change")
        assert (terms.scheduled_from, terms.scheduled_until) == (start, end), (
            f"block_terms: scheduled {terms.scheduled_from}..{terms.scheduled_until}, not the block of {start}..{end}")
        assert any(_planned_block(s, start) for s in services), \
            f"schedule_block: no service lists the planned block from {start} (a PlannedChange of kind block)"

    @needs("accounts", "catalog", "order", "orders", "cancel_order")
    def test_an_order_is_placed_once_and_cancelled(self, binding, scenario):
        account = self.accounts_of(binding, scenario)[0]
        item = binding.call("catalog", {})[0]
        request = {"account_id": account.id, "item_id": item.id, "request_id": _key()}
        order = binding.call("order", request)
        assert isinstance(order, Order) and order == binding.call("order", request), \
            "order: the same request twice placed two orders"
        assert [o.id for o in binding.call("orders", {"account_id": account.id})].count(order.id) == 1, \
            "orders: the new order is not listed once"
        cancelled = binding.call("cancel_order", {"account_id": account.id, "order_id": order.id, "request_id": _key()})
        assert cancelled.status.value == "cancelled"
        _not_found(binding, "cancel_order", {"account_id": account.id, "order_id": scenario.unknown_id,
                                             "request_id": _key()})

    @needs("accounts", "account", "transfer")
    def test_a_transfer_moves_money_once(self, binding, scenario):
        accounts = self.accounts_of(binding, scenario)
        assert len(accounts) >= 2, "the transfer test needs a subscriber with two accounts"
        source, target = accounts[0], accounts[1]
        before = [binding.call("account", {"account_id": a.id}).balance for a in (source, target)]
        transfer = {"from_account_id": source.id, "to_account_id": target.id, "amount": Decimal("10.00"),
                    "request_id": _key()}
        try:
            first = binding.call("transfer", transfer)
        except BillingRejected as exc:       # e.g. not enough money: a refusal with a reason is the contract too
            assert exc.reason
            return
        assert first == binding.call("transfer", transfer), "transfer: the same request twice answered differently"
        after = [binding.call("account", {"account_id": a.id}).balance for a in (source, target)]
        assert after == [before[0] - Decimal("10.00"), before[1] + Decimal("10.00")], \
            f"transfer of 10.00 (sent twice with one key) moved {before[0] - after[0]} out and {after[1] - before[1]} in"

    @needs("accounts", "account", "services", "top_up_service")
    def test_a_service_balance_is_topped_up_once_and_never_beyond_the_account(self, binding, scenario):
        """A service with a balance of its own takes money from its account once per request, by an
        amount the account has; more than the account has, and a service without a balance, are refused."""
        for account in self.accounts_of(binding, scenario):
            services = list(binding.call("services", {"account_id": account.id}))
            funded = binding.call("account", {"account_id": account.id}).balance
            wallet = next((s for s in services if s.balance is not None), None)
            if wallet is None or funded < Decimal("10.00"):
                continue
            without = next((s for s in services if s.balance is None), None)
            request = {"account_id": account.id, "service_id": wallet.id, "amount": Decimal("10.00"),
                       "request_id": _key()}
            first = binding.call("top_up_service", request)
            assert isinstance(first, ActionResult) and first.ok, f"top_up_service answered {first!r:.120}"
            assert first == binding.call("top_up_service", request), \
                "top_up_service: the same request twice answered differently"
            left = binding.call("account", {"account_id": account.id}).balance
            topped = binding.call("service", {"service_id": wallet.id}).balance
            assert (left, topped) == (funded - Decimal("10.00"), wallet.balance + Decimal("10.00")), (
                f"top_up_service of 10.00 (sent twice with one key) took {funded - left} from the account "
                f"and gave the service {(topped or 0) - wallet.balance}")
            _refused(binding, "top_up_service", {**request, "amount": left + Decimal("0.01"), "request_id": _key()},
                     f"a top-up of {left + Decimal('0.01')} with {left} on the account")
            if without is not None:
                _refused(binding, "top_up_service", {**request, "service_id": without.id, "request_id": _key()},
                         f"a top-up of {without.id}, which has no balance of its own")
            assert binding.call("account", {"account_id": account.id}).balance == left, \
                "top_up_service: a refused top-up still took money"
            return
        raise AssertionError("no account of the scenario has a service with a balance of its own and 10.00 "
                             "on the account to top it up with")

    @needs("accounts", "requisites", "update_requisites")
    def test_requisites_are_updated(self, binding, scenario):
        account = self.accounts_of(binding, scenario)[0]
        current = binding.call("requisites", {"account_id": account.id})
        change = {"account_id": account.id, "payer_name": current.payer_name, "email": "conformance@example.org",
                  "phone": current.phone, "postal_address": current.postal_address, "request_id": _key()}
        updated = binding.call("update_requisites", change)
        assert isinstance(updated, Requisites) and updated.email == "conformance@example.org"
        assert binding.call("requisites", {"account_id": account.id}).email == "conformance@example.org"
