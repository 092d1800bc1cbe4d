"""Accessibility checks in the browser tests: axe-core (npm, tests/support/browser, installed by
`make node-parts`) runs inside the page and reports WCAG violations by impact."""
from __future__ import annotations

from pathlib import Path

import pytest

AXE_SCRIPT = Path(__file__).resolve().parent / "browser" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")

# Run every rule axe has for WCAG 2.x A and AA and its best practices.
RUN_AXE = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]},
    resultTypes: ["violations"],
  });
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(" ") + " :: " + (n.failureSummary || "").replace(/\\s+/g, " ")),
  }));
}"""


def axe_script_path() -> str:
    if not AXE_SCRIPT.is_file():
        pytest.fail(f"axe-core is required for the browser tests at {AXE_SCRIPT}: run `make node-parts` "
                    f"(scripts/build-browser-checks.sh installs it with npm)")
    return str(AXE_SCRIPT)


def violations(page, impacts=BLOCKING) -> list[dict]:
    """The page's axe violations of the given impacts. axe is injected into every page of a context
    made by the ``browser_page`` fixture as an init script: before the page's own scripts, and
    whatever the page's Content-Security-Policy says."""
    # a click returns once the next page has started loading: judge it with its stylesheet applied
    page.wait_for_load_state("load")
    assert page.evaluate("typeof window.axe === 'object'"), "axe is not in this page: open it with browser_page"
    return [v for v in page.evaluate(RUN_AXE) if v["impact"] in impacts]


def assert_accessible(page, where: str = "") -> None:
    found = violations(page)
    assert not found, f"axe: serious or critical violations on {where or page.url}:\n" + "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"][:5]) for v in found)
