"""`cabinet bindings list | diagnose | check`: what an implementer runs."""
from __future__ import annotations

from click.testing import CliRunner

from engine.cli import main

BROKEN = "tests.support.bindings:BrokenBilling"


def test_list_names_the_installed_bindings():
    result = CliRunner().invoke(main, ["bindings", "list"])
    assert result.exit_code == 0
    assert "demo" in result.output and "23 of 23 operations" in result.output and "rest" in result.output


def test_diagnose_shows_the_capabilities_and_a_live_check(tmp_path):
    result = CliRunner().invoke(main, ["bindings", "diagnose", "tests.support.bindings:NoBonusesBilling",
                                       "--options", f"{{\"database_url\": \"sqlite:///{tmp_path / 'b.sqlite'}\"}}"])
    assert result.exit_code == 0, result.output
    assert "22 of 23 operations" in result.output and " -   bonuses" in result.output
    assert "ok    accounts" in result.output and " ms " in result.output


def test_check_passes_the_demo_billing():
    result = CliRunner().invoke(main, ["bindings", "check", "demo"])
    assert result.exit_code == 0, result.output
    assert "0 failed" in result.output and "FAIL" not in result.output


def test_check_names_each_failing_operation_and_why(tmp_path):
    result = CliRunner().invoke(main, ["bindings", "check", BROKEN, "--options",
                                       f"{{\"database_url\": \"sqlite:///{tmp_path / 'b.sqlite'}\"}}"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    failed = {line.split()[-1]: lines[i + 1] for i, line in enumerate(lines) if line.startswith("FAIL")}
    assert set(failed) == {"test_one_account_and_an_unknown_one", "test_a_payment_registered_twice_credits_once",
                           "test_tariffs_name_the_current_one"}, result.output
    assert "an unknown id must raise BillingNotFound" in failed["test_one_account_and_an_unknown_one"]
    assert "exactly one offer is the current tariff" in failed["test_tariffs_name_the_current_one"]
    assert "the same payment twice gave two references" in failed["test_a_payment_registered_twice_credits_once"]
    assert "3 failed" in result.output


def test_the_bindings_guide_lists_every_operation_of_the_contract():
    from engine.billing.contract import OPERATIONS
    from tests.conftest import ROOT
    guide = (ROOT / "docs" / "bindings.md").read_text(encoding="utf-8")
    missing = [name for name in OPERATIONS if f"| `{name}` |" not in guide]
    assert not missing, f"docs/bindings.md does not describe: {', '.join(missing)}"
