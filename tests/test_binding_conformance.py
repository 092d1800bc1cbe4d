"""The demo billing passes the whole conformance kit (the reference REST binding does too, in
test_rest_binding.py)."""
from __future__ import annotations

import pytest

from engine.billing.demo import DemoBilling
from engine.testing.binding_suite import BindingSuite, Scenario


class TestDemoBilling(BindingSuite):
    @pytest.fixture
    def binding(self, tmp_path):
        binding = DemoBilling(f"sqlite:///{tmp_path / 'billing.sqlite'}")
        yield binding
        binding.close()

    @pytest.fixture
    def scenario(self):
        return Scenario(subscriber_id="sub-1001", other_subscriber_id="sub-1002", dealer_id="dealer-2001")


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


@pytest.mark.parametrize("billing, test, message", [
    (PagesOverlap, "test_history_in_pages_is_the_whole_history", "the pages, read one after another"),
    (WrongTotal, "test_a_dealers_subscribers_in_pages_and_searched", "total 999"),
])
def test_the_kit_fails_a_binding_whose_pages_do_not_add_up(tmp_path, billing, test, message):
    binding = billing(f"sqlite:///{tmp_path / 'billing.sqlite'}")
    try:
        with pytest.raises(AssertionError, match=message):
            getattr(BindingSuite(), test)(binding, Scenario(subscriber_id="sub-1001", dealer_id="dealer-2001"))
    finally:
        binding.close()
