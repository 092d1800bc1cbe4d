"""Serve the billing simulator: ``SIMULATOR_API_KEY=... python -m engine.billing.simulator --port 8091
--database sqlite:////tmp/simulator.sqlite``. The API key comes only from the environment (never the
command line, where ``ps`` shows it). It listens on 127.0.0.1 unless told otherwise."""
from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import date
from pathlib import Path

from .app import create_simulator_app
from .server import serve

API_KEY_VARIABLE = "SIMULATOR_API_KEY"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m engine.billing.simulator",
        description=f"A REST billing simulator on the demo billing's data and rules. "
                    f"The API key is read from {API_KEY_VARIABLE}.")
    parser.add_argument("--port", type=int, default=8091)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--database", required=True,
                        help="database URL (sqlite:///path.sqlite, postgresql://...) or a SQLite file path")
    parser.add_argument("--threads", type=int, default=16,
                        help="worker threads (a request held by a 'hang' fault occupies one)")
    parser.add_argument("--latency-ms", type=int, default=0, help="delay every billing call by this much")
    parser.add_argument("--today", type=date.fromisoformat, help="pin the billing's date (YYYY-MM-DD)")
    args = parser.parse_args(argv)
    api_key = os.environ.get(API_KEY_VARIABLE, "")
    if not api_key:
        parser.error(f"set the API key in the {API_KEY_VARIABLE} environment variable")

    database_url = args.database if "://" in args.database else f"sqlite:///{Path(args.database).resolve()}"
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_simulator_app(database_url, api_key, latency_ms=args.latency_ms, today=args.today,
                               public_url=f"http://{args.host}:{args.port}")
    print(f"Billing simulator at http://{args.host}:{args.port} (OpenAPI: /openapi.yaml)",
          file=sys.stderr, flush=True)
    serve(app, host=args.host, port=args.port, threads=args.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
