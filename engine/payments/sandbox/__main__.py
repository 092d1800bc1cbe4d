"""Serve the sandbox acquirer: ``python -m engine.payments.sandbox --port 8090 --database
/tmp/sandbox.sqlite --secret S --public-url http://127.0.0.1:8090``. It listens on 127.0.0.1 only."""
from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from waitress import serve

from .acquirer import PAYMENT_TTL_SECONDS
from .app import create_sandbox_app

HOST = "127.0.0.1"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m engine.payments.sandbox",
                                     description="The sandbox payment acquirer (test cards, no real money).")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--database", required=True,
                        help="SQLite file of the sandbox's state (or a database URL)")
    parser.add_argument("--secret", default=os.environ.get("SANDBOX_SECRET"),
                        help="merchant secret for the API and notification signatures (or SANDBOX_SECRET)")
    parser.add_argument("--public-url", help="where browsers reach the sandbox (default http://127.0.0.1:PORT)")
    parser.add_argument("--payment-ttl", type=float, default=PAYMENT_TTL_SECONDS,
                        help="seconds a payment waits for the payer before it expires")
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args(argv)
    if not args.secret:
        parser.error("give the merchant secret with --secret or SANDBOX_SECRET")

    database_url = args.database if "://" in args.database else f"sqlite:///{Path(args.database).resolve()}"
    public_url = args.public_url or f"http://{HOST}:{args.port}"
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_sandbox_app(database_url, args.secret, public_url, payment_ttl=args.payment_ttl)
    print(f"Sandbox acquirer at {public_url} (listening on {HOST}:{args.port})", file=sys.stderr, flush=True)
    serve(app, host=HOST, port=args.port, threads=args.threads, ident="sandbox-acquirer")
    return 0


if __name__ == "__main__":
    sys.exit(main())
