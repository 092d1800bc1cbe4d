"""A local Keycloak (the server distribution from Maven Central, installed once into a cache outside
git by ``scripts/install-keycloak.sh``) for the tests and ``cabinet stack``. Each instance has a
folder of its own: a hard-linked copy of the distribution with its own H2 database, the realm
``keycloak/realm-cabinet.json`` in ``data/import`` and the login theme in ``themes/cabinet``, just
as docker-compose mounts them."""
from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

from ..installer import run_installer

ROOT = Path(__file__).resolve().parent.parent.parent
INSTALLER = ROOT / "scripts" / "install-keycloak.sh"
REALM_FILE = ROOT / "keycloak" / "realm-cabinet.json"
THEME_DIR = ROOT / "keycloak" / "themes" / "cabinet"
REALM = "cabinet"


class LocalKeycloakError(RuntimeError):
    pass


@dataclass(frozen=True)
class Installation:
    home: Path
    java_home: Path


def install() -> Installation:
    """Keycloak and a Java for it from the cache (fetching and building them the first time)."""
    paths = run_installer(INSTALLER, "Keycloak", LocalKeycloakError)
    return Installation(Path(paths["KEYCLOAK_HOME"]), Path(paths["JAVA_HOME"]))


@dataclass
class LocalKeycloak:
    folder: Path
    port: int
    management_port: int
    public_url: str                 # the engine's address: the realm's redirect and logout URIs
    client_secret: str
    admin_user: str = "admin"
    admin_password: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def server_url(self) -> str:
        """What python-keycloak's ``server_url`` and the engine's CABINET_KEYCLOAK_URL take."""
        return self.url + "/"

    @property
    def issuer(self) -> str:
        return f"{self.url}/realms/{REALM}"

    @property
    def home(self) -> Path:
        return self.folder / "keycloak"

    @property
    def log_path(self) -> Path:
        return self.folder / "keycloak.log"

    def log_tail(self, characters: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-characters:] if self.log_path.exists() else ""


def prepare(folder: Path, installation: Installation, port: int, management_port: int, public_url: str,
            client_secret: str | None = None, realm_file: Path = REALM_FILE,
            theme_dir: Path = THEME_DIR, keep_data: bool = False) -> LocalKeycloak:
    """The instance folder: the distribution linked in (no copy of its 200 MB), the realm to import
    and the operator's theme; an empty database, or with ``keep_data`` the one of the last run (the
    realm is then imported only if it is not there yet: what an operator changed stays)."""
    folder.mkdir(parents=True, exist_ok=True)
    instance = LocalKeycloak(folder, port, management_port, public_url.rstrip("/"),
                             client_secret or secrets.token_urlsafe(24))
    kept = folder / "database"
    if keep_data and (instance.home / "data" / "h2").is_dir() and not kept.exists():
        (instance.home / "data" / "h2").rename(kept)
    elif not keep_data and kept.exists():
        shutil.rmtree(kept)
    if instance.home.exists():
        shutil.rmtree(instance.home)
    linked = subprocess.run(["cp", "-al", str(installation.home), str(instance.home)], capture_output=True,
                            check=False)
    if linked.returncode != 0:                   # another file system: copy instead
        shutil.rmtree(instance.home, ignore_errors=True)
        shutil.copytree(installation.home, instance.home, symlinks=True)
    # the data folder is the instance's own; unlink it rather than write through shared links
    shutil.rmtree(instance.home / "data", ignore_errors=True)
    (instance.home / "data" / "import").mkdir(parents=True)
    if kept.exists():
        kept.rename(instance.home / "data" / "h2")
    shutil.copyfile(realm_file, instance.home / "data" / "import" / realm_file.name)
    shutil.copytree(theme_dir, instance.home / "themes" / theme_dir.name)
    return instance


def start(instance: LocalKeycloak, installation: Installation, wait: float = 240,
          env: Mapping[str, str] | None = None) -> LocalKeycloak:
    """Start and import the realm; returns when Keycloak reports itself ready."""
    environment = {
        **os.environ, "JAVA_HOME": str(installation.java_home),
        "KC_BOOTSTRAP_ADMIN_USERNAME": instance.admin_user, "KC_BOOTSTRAP_ADMIN_PASSWORD": instance.admin_password,
        # the realm's ${...} placeholders, resolved at import
        "CABINET_PUBLIC_URL": instance.public_url, "CABINET_KEYCLOAK_CLIENT_SECRET": instance.client_secret,
        **(env or {}),
    }
    command = [str(instance.home / "bin" / "kc.sh"), "start", "--optimized", "--http-enabled=true",
               "--http-host=127.0.0.1", f"--http-port={instance.port}",
               f"--http-management-port={instance.management_port}", "--hostname-strict=false", "--import-realm"]
    with open(instance.log_path, "a") as log:
        instance.process = subprocess.Popen(command, cwd=instance.folder, env=environment, stdout=log,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True)
    ready = f"http://127.0.0.1:{instance.management_port}/health/ready"
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if instance.process.poll() is not None:
            raise LocalKeycloakError(f"Keycloak stopped while starting on {instance.url}:\n{instance.log_tail()}")
        try:
            if requests.get(ready, timeout=2).status_code == 200:
                return instance
        except requests.RequestException:
            pass
        time.sleep(0.25)
    stop(instance)
    raise LocalKeycloakError(f"Keycloak was not ready on {instance.url} within {wait:.0f} s:\n{instance.log_tail()}")


def stop(instance: LocalKeycloak) -> None:
    """kc.sh runs Java as its child: the whole process group is ended."""
    process = instance.process
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, 15)
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)
        process.wait()
    except ProcessLookupError:
        pass


@contextmanager
def running(folder: Path, port: int, management_port: int, public_url: str,
            client_secret: str | None = None) -> Iterator[LocalKeycloak]:
    installation = install()
    instance = start(prepare(folder, installation, port, management_port, public_url, client_secret), installation)
    try:
        yield instance
    finally:
        stop(instance)
