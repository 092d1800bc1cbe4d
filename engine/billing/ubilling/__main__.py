"""Serve the Ubilling XMLAgent simulator: ``python -m engine.billing.ubilling --port 8093
[--today YYYY-MM-DD] [--prefix /billing/userstats]``. It listens on 127.0.0.1 unless told otherwise.
With ``UBILLING_FAULTS_API_KEY`` set in the environment it also serves the billing simulator's
``/__faults`` endpoint (the key is never taken from the command line, where ``ps`` shows it)."""
from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import date

from ..simulator.server import serve
from .app import create_ubilling_app

FAULTS_KEY_VARIABLE = "UBILLING_FAULTS_API_KEY"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m engine.billing.ubilling",
                                     description="A simulator of Ubilling's subscriber API (XMLAgent) on a demo "
                                                 "billing held in memory.")
    parser.add_argument("--port", type=int, default=8093)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--prefix", default="/billing/userstats", help="where userstats is installed")
    parser.add_argument("--today", type=date.fromisoformat, help="pin the billing's date (YYYY-MM-DD)")
    parser.add_argument("--threads", type=int, default=8, help="worker threads")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_ubilling_app(today=args.today, prefix=args.prefix,
                              faults_api_key=os.environ.get(FAULTS_KEY_VARIABLE) or None)
    base = "/" + args.prefix.strip("/") if args.prefix.strip("/") else ""
    print(f"Ubilling XMLAgent simulator at http://{args.host}:{args.port}{base}/?xmlagent=1",
          file=sys.stderr, flush=True)
    serve(app, host=args.host, port=args.port, threads=args.threads, ident="ubilling-simulator")
    return 0


if __name__ == "__main__":
    sys.exit(main())
