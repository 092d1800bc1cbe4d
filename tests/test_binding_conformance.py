"""The demo billing passes the whole conformance kit (the reference REST binding does too, in
test_rest_binding.py)."""
from __future__ import annotations

import dataclasses
import uuid

import pytest

from engine.billing import BillingRejected
from engine.billing.demo import DemoBilling
from engine.billing.records import ActionResult
from engine.testing.binding_suite import BindingSuite, Scenario


class TestDemoBilling(BindingSuite):
    @pytest.fixture
    def binding(self, tmp_path):
        binding = DemoBilling(f"sqlite:///{tmp_path / 'billing.sqlite'}")
        yield binding
        binding.close()

    @pytest.fixture
    def scenario(self):
        return Scenario(subscriber_id="sub-1001", other_subscriber_id="sub-1002", dealer_id="dealer-2001",
                        main_service_id="108842-internet")


class PagesOverlap(DemoBilling):
    """Answers a Page but ignores the offset: every page is the first one."""

    def history(self, account_id, date_from, date_to, limit=None, offset=0):
        return super().history(account_id, date_from, date_to, limit=limit, offset=0)


class WrongTotal(DemoBilling):
    def dealer_subscribers(self, dealer_id, limit=None, offset=0, search=None):
        page = super().dealer_subscribers(dealer_id, limit=limit, offset=offset, search=search)
        if limit is not None:
            page.total = 999
        return page


class UsageOldestFirst(DemoBilling):
    def usage(self, account_id, date_from, date_to):
        usage = super().usage(account_id, date_from, date_to)
        return dataclasses.replace(usage, records=usage.records[::-1])


class PackageOverdrawn(DemoBilling):
    """Says more is left of a package than it gives."""

    def usage(self, account_id, date_from, date_to):
        usage = super().usage(account_id, date_from, date_to)
        return dataclasses.replace(usage, packages=tuple(dataclasses.replace(p, left=p.total + 1)
                                                         for p in usage.packages))


class EndsTheMainService(DemoBilling):
    def disconnect_service(self, service_id, request_id):
        if service_id == "108842-internet":
            return ActionResult(ok=True, reference="DS-MAIN")
        return super().disconnect_service(service_id, request_id)


class DisconnectsAnew(DemoBilling):
    """Answers a repeated request as a new one (another reference)."""

    def disconnect_service(self, service_id, request_id):
        return dataclasses.replace(super().disconnect_service(service_id, request_id), reference=uuid.uuid4().hex)


class BlocksAtOnce(DemoBilling):
    """Takes a scheduled period for a block from today."""

    def schedule_block(self, account_id, date_from, date_to, request_id):
        return self.block_services(account_id, (date_to - date_from).days + 1, request_id)


class SchedulesAnew(DemoBilling):
    """Answers a repeated request to schedule a block as a new one (another reference)."""

    def schedule_block(self, account_id, date_from, date_to, request_id):
        result = super().schedule_block(account_id, date_from, date_to, request_id)
        return dataclasses.replace(result, reference=uuid.uuid4().hex)


class InEveryProgramme(DemoBilling):
    def bonus_programmes(self, account_id):
        return [dataclasses.replace(p, joined=True) for p in super().bonus_programmes(account_id)]


class JoinsAlongside(DemoBilling):
    """Joins a programme without leaving the one the account is in."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kept: set[tuple[str, str]] = set()

    def join_bonus_programme(self, account_id, programme_id, request_id):
        self.kept |= {(account_id, p.id) for p in super().bonus_programmes(account_id) if p.joined}
        return super().join_bonus_programme(account_id, programme_id, request_id)

    def bonus_programmes(self, account_id):
        return [dataclasses.replace(p, joined=p.joined or (account_id, p.id) in self.kept)
                for p in super().bonus_programmes(account_id)]


class SpendsOnCredit(DemoBilling):
    """Lets points go below zero: a reward beyond them is granted."""

    def spend_bonus_points(self, account_id, reward_id, request_id):
        try:
            return super().spend_bonus_points(account_id, reward_id, request_id)
        except BillingRejected:
            return ActionResult(ok=True, reference=uuid.uuid4().hex)


class SpendsTwice(DemoBilling):
    """Takes the points again for a repeated request."""

    def spend_bonus_points(self, account_id, reward_id, request_id):
        return super().spend_bonus_points(account_id, reward_id, uuid.uuid4().hex)


class TopsUpOnCredit(DemoBilling):
    """Lets the account go below zero: a top-up beyond its balance is made."""

    def top_up_service(self, account_id, service_id, amount, request_id):
        try:
            return super().top_up_service(account_id, service_id, amount, request_id)
        except BillingRejected:
            return ActionResult(ok=True, reference=uuid.uuid4().hex)


class TopsUpTwice(DemoBilling):
    """Moves the money again for a repeated request."""

    def top_up_service(self, account_id, service_id, amount, request_id):
        return super().top_up_service(account_id, service_id, amount, uuid.uuid4().hex)


@pytest.mark.parametrize("billing, test, message", [
    (PagesOverlap, "test_history_in_pages_is_the_whole_history", "the pages, read one after another"),
    (WrongTotal, "test_a_dealers_subscribers_in_pages_and_searched", "total 999"),
    (UsageOldestFirst, "test_usage_keeps_to_the_period_newest_first", "records must be newest first"),
    (PackageOverdrawn, "test_usage_keeps_to_the_period_newest_first", "left of 100"),
    (EndsTheMainService, "test_a_service_is_disconnected_once_per_request", "main service must be refused"),
    (DisconnectsAnew, "test_a_service_is_disconnected_once_per_request", "the same request twice answered"),
    (BlocksAtOnce, "test_a_block_is_scheduled_once_and_cancelled", "blocked before the block starts"),
    (SchedulesAnew, "test_a_block_is_scheduled_once_and_cancelled", "the same request twice answered"),
    (InEveryProgramme, "test_bonus_programmes_are_records_with_rewards", "at once"),
    (JoinsAlongside, "test_a_bonus_programme_is_joined_once_leaving_the_current_one", "the account is in"),
    (SpendsOnCredit, "test_bonus_points_buy_a_reward_once_and_never_beyond_them", "must be refused"),
    (SpendsTwice, "test_bonus_points_buy_a_reward_once_and_never_beyond_them", "the same request twice"),
    (TopsUpOnCredit, "test_a_service_balance_is_topped_up_once_and_never_beyond_the_account", "must be refused"),
    (TopsUpTwice, "test_a_service_balance_is_topped_up_once_and_never_beyond_the_account",
     "the same request twice"),
])
def test_the_kit_fails_a_binding_that_breaks_the_contract(tmp_path, billing, test, message):
    binding = billing(f"sqlite:///{tmp_path / 'billing.sqlite'}")
    try:
        with pytest.raises(AssertionError, match=message):
            getattr(BindingSuite(), test)(binding, Scenario(subscriber_id="sub-1001", dealer_id="dealer-2001",
                                                            main_service_id="108842-internet"))
    finally:
        binding.close()
