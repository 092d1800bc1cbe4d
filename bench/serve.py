"""Serve one app of the benchmark with waitress: `serve.py engine|baseline PORT` (settings from env)."""
from __future__ import annotations

import os
import sys

import waitress

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

WAITRESS = dict(host="127.0.0.1", threads=8, ident="bench", connection_limit=200, channel_timeout=30)


def main() -> None:
    which, port = sys.argv[1], int(sys.argv[2])
    if which == "engine":
        from engine.web import create_app
        app = create_app()
    else:
        from baseline import create_baseline
        app = create_baseline(os.environ["CABINET_SECRET_KEY"],
                              os.environ["BENCH_BILLING_URL"])
    waitress.serve(app, port=port, **WAITRESS)


if __name__ == "__main__":
    main()
