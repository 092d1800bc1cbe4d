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
        return Scenario(subscriber_id="sub-1001", dealer_id="dealer-2001")
