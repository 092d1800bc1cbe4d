"""Serve one app of the benchmark with waitress: `serve.py engine|baseline|minimal PORT` (settings from env).

engine: the engine (create_app), served as ``cabinet serve`` serves it (engine/web/serving.py);
baseline: the hand-written views of the same screens (bench/baseline.py); minimal: a minimal Flask
app with the same static folder and /healthz. All three are served with the same waitress
settings."""
from __future__ import annotations

import os
import sys

import waitress

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

WAITRESS = dict(host="127.0.0.1", threads=8, ident="bench", connection_limit=200, channel_timeout=30)


def make_app(which: str):
    if which == "engine":
        from engine.web import create_app
        return create_app()
    if which == "baseline":
        from baseline import create_baseline
        return create_baseline(os.environ["CABINET_SECRET_KEY"], os.environ["BENCH_BILLING_URL"])
    if which == "minimal":
        from baseline import create_minimal
        return create_minimal()
    raise SystemExit(f"unknown app {which!r}: engine, baseline or minimal")


def main() -> None:
    which, port = sys.argv[1], int(sys.argv[2])
    app = make_app(which)
    if os.environ.get("BENCH_PROFILE"):
        # cProfile of every request in one waitress thread: `bench/bench.py --profile` reads the dump
        from profile_requests import profiled_wsgi
        app = profiled_wsgi(app, os.environ["BENCH_PROFILE"])
    if which == "engine":
        from engine.web.serving import serve
        serve(app, port=port, **WAITRESS)
    else:
        waitress.serve(app, port=port, **WAITRESS)


if __name__ == "__main__":
    main()
