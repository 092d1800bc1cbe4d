"""A local Directus 12.4.0 on SQLite, for `make studio` and the tests: installed once into a cache
outside git by ``scripts/install-directus.sh``, one folder per instance (its ``.env`` wins over the
process environment, so instances never share settings)."""
from __future__ import annotations

import os
import secrets
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping

import requests

from ..installer import run_installer

ROOT = Path(__file__).resolve().parent.parent.parent
INSTALLER = ROOT / "scripts" / "install-directus.sh"
EXTENSION = ROOT / "directus_extensions" / "cabinet-engine"


class LocalDirectusError(RuntimeError):
    pass


@dataclass(frozen=True)
class Installation:
    node_home: Path
    directus_home: Path

    @property
    def node(self) -> Path:
        return self.node_home / "bin" / "node"

    @property
    def cli(self) -> Path:
        return self.directus_home / "node_modules" / "@directus" / "api" / "dist" / "cli" / "run.js"


def install() -> Installation:
    """Node 22 and Directus from the cache (installing them the first time: a few minutes)."""
    paths = run_installer(INSTALLER, "Directus", LocalDirectusError)
    return Installation(Path(paths["NODE_HOME"]), Path(paths["DIRECTUS_HOME"]))


@dataclass
class LocalDirectus:
    folder: Path
    port: int
    admin_email: str
    admin_password: str
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.folder / "directus.log"

    def log_tail(self, characters: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-characters:] if self.log_path.exists() else ""


def prepare(folder: Path, port: int, env: Mapping[str, str] | None = None,
            admin_email: str = "admin@example.com", admin_password: str | None = None) -> LocalDirectus:
    """Write the instance folder: its .env, a package.json (Directus looks for one), uploads and
    extensions; the extensions folder holds the engine's bundle when it has been built."""
    folder.mkdir(parents=True, exist_ok=True)
    admin_password = admin_password or secrets.token_urlsafe(12)
    settings = {
        "HOST": "127.0.0.1", "PORT": str(port), "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "DB_CLIENT": "sqlite3", "DB_FILENAME": str(folder / "directus.sqlite"),
        "SECRET": secrets.token_urlsafe(32), "ADMIN_EMAIL": admin_email, "ADMIN_PASSWORD": admin_password,
        "TELEMETRY": "false", "LOG_LEVEL": "warn", "LOG_STYLE": "raw",
        "EXTENSIONS_PATH": str(folder / "extensions"), "EXTENSIONS_AUTO_RELOAD": "false",
        "STORAGE_LOCATIONS": "local", "STORAGE_LOCAL_ROOT": str(folder / "uploads"),
        "CACHE_ENABLED": "false", "RATE_LIMITER_ENABLED": "false",
        # it serves a few operator admins on a machine it shares with the engine and its database:
        # answering 503 "Under pressure" whenever another process delays its event loop by half a
        # second (a busy 2-core machine) would only fail their saves and the engine's reads
        "PRESSURE_LIMITER_ENABLED": "false",
        # outbound calls to the engine on 127.0.0.1 are this instance's business
        "IMPORT_IP_DENY_LIST": "169.254.169.254",
        **(env or {}),
    }
    existing = _read_env(folder / ".env")
    for keep in ("SECRET", "ADMIN_PASSWORD", "ADMIN_EMAIL"):      # a second start keeps the first one's
        if keep in existing:
            settings[keep] = existing[keep]
    (folder / ".env").write_text("".join(f"{k}={_quote(v)}\n" for k, v in settings.items()), encoding="utf-8")
    os.chmod(folder / ".env", 0o600)
    (folder / "package.json").write_text('{"name": "cabinet-directus-instance", "private": true}\n')
    (folder / "uploads").mkdir(exist_ok=True)
    extensions = folder / "extensions"
    extensions.mkdir(exist_ok=True)
    return LocalDirectus(folder, port, settings["ADMIN_EMAIL"], settings["ADMIN_PASSWORD"])


def start(instance: LocalDirectus, installation: Installation, wait: float = 90) -> LocalDirectus:
    """Bootstrap (first time) and start; returns when it answers /server/ping."""
    env = {**os.environ, "PATH": f"{installation.node_home / 'bin'}:{os.environ.get('PATH', '')}"}
    with open(instance.log_path, "a") as log:
        bootstrap = subprocess.run([str(installation.node), str(installation.cli), "bootstrap"], cwd=instance.folder,
                                   env=env, stdout=log, stderr=subprocess.STDOUT)
        if bootstrap.returncode != 0:
            raise LocalDirectusError(f"directus bootstrap failed in {instance.folder}:\n{instance.log_tail()}")
        # `run.js start` directly: the npm wrapper's update check costs seconds at every start
        instance.process = subprocess.Popen([str(installation.node), str(installation.cli), "start"],
                                            cwd=instance.folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if instance.process.poll() is not None:
            raise LocalDirectusError(f"Directus stopped while starting on {instance.url}:\n{instance.log_tail()}")
        try:
            if requests.get(instance.url + "/server/ping", timeout=1).text.strip() == "pong":
                return instance
        except requests.RequestException:
            pass
        time.sleep(0.2)
    stop(instance)
    raise LocalDirectusError(f"Directus did not answer on {instance.url} within {wait:.0f} s:\n{instance.log_tail()}")


def stop(instance: LocalDirectus) -> None:
    if instance.process is not None and instance.process.poll() is None:
        instance.process.terminate()
        try:
            instance.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            instance.process.kill()
            instance.process.wait()


@contextmanager
def running(folder: Path, port: int, env: Mapping[str, str] | None = None) -> Iterator[LocalDirectus]:
    instance = start(prepare(folder, port, env), install())
    try:
        yield instance
    finally:
        stop(instance)


def _read_env(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {k: v.strip('"') for k, v in pairs}


def _quote(value: str) -> str:
    return f'"{value}"' if any(c in value for c in " #'\"") else value
