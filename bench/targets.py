"""The five targets of ``make bench``: what is asked, as whom, and which side it is compared with."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    name: str
    title: str
    path: str
    login: str | None          # signed in as (the demo's users), None: no session
    baseline: str              # the process it is compared with: "baseline" (hand-written views) or "minimal"
    ratio: float               # requests/s of the engine over the baseline's, at least
    cpu_no_higher: bool        # the engine's CPU per request may not be higher than the baseline's
    html: bool                 # a page whose HTML both sides must render the same
    # more addresses whose answers must be the same (not measured): other pages of a list, a search
    variants: tuple[str, ...] = ()


TARGETS = {t.name: t for t in [
    Target("home", "home (demo1)", "/", "demo1", "baseline", 1.0, True, True, ("/?page=2",)),
    Target("history", "history (demo1)", "/history", "demo1", "baseline", 1.0, True, True,
           ("/history?page=2", "/history?kind=charge", "/history?kind=payment&page=1",
            "/history?date_from=2020-01-01&kind=")),
    Target("dealer", "dealer subscribers (demo2)", "/dealer/subscribers", "demo2", "baseline", 1.0, True, True,
           ("/dealer/subscribers?page=2", "/dealer/subscribers?q=%D0%BF%D0%B5%D1%82%D1%80",
            "/dealer/subscribers?q=2412&page=3", "/dealer/subscribers?q=" + "x" * 201)),
    Target("static", "static /static/cabinet.css", "/static/cabinet.css", None, "minimal", 0.8, False, False),
    Target("healthz", "/healthz", "/healthz", None, "minimal", 0.8, False, False),
]}
