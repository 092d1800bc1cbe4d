"""`cabinet bindings list | diagnose | check`: what an implementer runs."""
from __future__ import annotations

from click.testing import CliRunner

from engine.cli import main

BROKEN = "tests.support.bindings:BrokenBilling"


def _on_own_billing(command: str, binding: str, tmp_path):
    """``cabinet bindings COMMAND BINDING`` with a billing database of its own."""
    return CliRunner().invoke(main, ["bindings", command, binding, "--options",
                                     f"{{\"database_url\": \"sqlite:///{tmp_path / 'b.sqlite'}\"}}"])


def _failed(output: str) -> dict[str, str]:
    """The kit's failed checks in ``cabinet bindings check`` output: name -> why."""
    lines = output.splitlines()
    return {line.split()[-1]: lines[i + 1] for i, line in enumerate(lines) if line.startswith("FAIL")}


def test_list_names_the_installed_bindings():
    result = CliRunner().invoke(main, ["bindings", "list"])
    assert result.exit_code == 0
    assert "demo" in result.output and "31 of 31 operations" in result.output and "rest" in result.output


def test_diagnose_shows_the_capabilities_and_a_live_check(tmp_path):
    result = _on_own_billing("diagnose", "tests.support.bindings:NoBonusesBilling", tmp_path)
    assert result.exit_code == 0, result.output
    assert "30 of 31 operations" in result.output and " -   bonuses" in result.output
    assert "ok    accounts" in result.output and " ms " in result.output


def test_check_passes_the_demo_billing():
    result = CliRunner().invoke(main, ["bindings", "check", "demo"])
    assert result.exit_code == 0, result.output
    assert "0 failed" in result.output and "FAIL" not in result.output


def test_check_names_each_failing_operation_and_why(tmp_path):
    result = _on_own_billing("check", BROKEN, tmp_path)
    assert result.exit_code == 1
    failed = _failed(result.output)
    assert set(failed) == {"test_one_account_and_an_unknown_one", "test_a_payment_registered_twice_credits_once",
                           "test_tariffs_name_the_current_one"}, result.output
    assert "an unknown id must raise BillingNotFound" in failed["test_one_account_and_an_unknown_one"]
    assert "exactly one offer is the current tariff" in failed["test_tariffs_name_the_current_one"]
    assert "the same payment twice gave two references" in failed["test_a_payment_registered_twice_credits_once"]
    assert "3 failed" in result.output


def test_a_binding_without_the_core_fails_the_kit():
    result = CliRunner().invoke(main, ["bindings", "check", "tests.support.bindings:EmptyBilling"])
    assert result.exit_code == 1, result.output
    failed = _failed(result.output)
    assert set(failed) == {"test_the_core_is_provided"}, result.output
    assert "must provide accounts, account, services" in failed["test_the_core_is_provided"]
    assert "lacks accounts, account, services" in failed["test_the_core_is_provided"]


def test_a_binding_that_answers_every_subscriber_alike_fails_the_kit(tmp_path):
    result = _on_own_billing("check", "tests.support.bindings:OneLoginBilling", tmp_path)
    assert result.exit_code == 1
    failed = _failed(result.output)
    assert "test_answers_depend_on_the_subscriber" in failed, result.output
    assert "answers for somebody else" in failed["test_answers_depend_on_the_subscriber"]


def test_times_without_their_zone_fail_the_kit(tmp_path):
    result = _on_own_billing("check", "tests.support.bindings:NaiveTimesBilling", tmp_path)
    assert result.exit_code == 1
    failed = _failed(result.output)
    assert set(failed) == {"test_moments_carry_their_time_zone"}, result.output
    why = failed["test_moments_carry_their_time_zone"]
    assert why.split(": ", 1)[1].startswith("history[0].at, history[1].at") and "a time without its zone" in why


def test_check_runs_where_pytest_is_not_installed(tmp_path):
    """A plain install has no pytest: the kit runs without it (here pytest is made unimportable)."""
    import subprocess
    import sys

    from tests.conftest import ROOT
    code = ("import sys; sys.modules['pytest'] = None; sys.modules['_pytest'] = None\n"
            "from engine.cli import main; main()")
    done = subprocess.run([sys.executable, "-c", code, "bindings", "check", "demo"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 failed" in done.stdout and "pass  accounts" in done.stdout


def test_the_bindings_guide_lists_every_operation_of_the_contract():
    from engine.billing.contract import OPERATIONS
    from tests.conftest import ROOT
    guide = (ROOT / "docs" / "bindings.md").read_text(encoding="utf-8")
    missing = [name for name in OPERATIONS if f"| `{name}` |" not in guide]
    assert not missing, f"docs/bindings.md does not describe: {', '.join(missing)}"


def test_validate_reads_the_rest_bindings_file(tmp_path):
    from tests.conftest import ROOT
    demo, reference = ROOT / "cabinet_schemas" / "demo", ROOT / "bindings" / "reference.yaml"
    # its operations are the binding's capabilities; its address and key need no environment here
    result = CliRunner().invoke(main, ["validate", str(demo), "--binding", "rest", "--spec", str(reference)],
                                env={"BILLING_URL": None, "BILLING_API_KEY": None})
    assert result.exit_code == 0, result.output
    assert "valid. 25 screens" in result.output

    smaller = tmp_path / "smaller.yaml"
    text = reference.read_text(encoding="utf-8")
    smaller.write_text(text.replace("\n  bonuses:", "\n  bonuses_gone:"), encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(demo), "--binding", "rest", "--spec", str(smaller)])
    assert result.exit_code == 1
    assert "operations.bonuses_gone: 'bonuses_gone' is not an operation of the contract" in result.output

    without = tmp_path / "without.yaml"
    start = text.index("\n  bonuses:")
    end = text.index("\n  ", text.index("result:", start))
    without.write_text(text[:start] + text[end:], encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(demo), "--binding", "rest", "--spec", str(without)])
    assert result.exit_code == 0, result.output          # what needs bonuses is hidden, and said so
    assert f"Note: hidden because the binding file {without} does not provide bonuses: sections " \
           f"account_details.bonuses" in result.output

    result = CliRunner().invoke(main, ["validate", str(demo), "--binding", "rest"])
    assert result.exit_code == 2 and "give it with --spec FILE" in result.output
