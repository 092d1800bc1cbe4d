"""A helper service (the sandbox acquirer, the billing simulator) as its own Python process for the
tests: started on a free 127.0.0.1 port, waited for on /healthz, its log checked for its secret."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def python_service(name: str, module: str, args: list[str], folder: Path, secret_env: dict[str, str],
                   port: int | None = None) -> Iterator[str]:
    """Run ``python -m module --port P *args``; yields its base URL. ``secret_env`` goes in the
    environment (never the command line, where ps shows it) and must never reach its log."""
    port = port or free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = folder / f"{module.rsplit('.', 1)[-1]}.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen([sys.executable, "-m", module, "--port", str(port), *args], cwd=ROOT,
                                   env={**os.environ, **secret_env}, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while True:
        try:
            answer = requests.get(base + "/healthz", timeout=1)
            # {"status": "ok"}, or a plain "ok" from a simulator that copies an API without JSON health
            if answer.status_code == 200 and (answer.text.strip() == "ok" or answer.json() == {"status": "ok"}):
                break
        except (requests.RequestException, ValueError):
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait(timeout=10)
            pytest.fail(f"{name} did not start on {base}; its output:\n{log_path.read_text()}")
        time.sleep(0.1)
    try:
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    text = log_path.read_text()
    assert not any(secret in text for secret in secret_env.values()), f"{name} logged its secret"
