"""A real OpenID Connect provider that looks like Keycloak, for tests: oidc-provider (OpenID
Certified) run by Node 22 from tests/support/oidc_peer, under ``/realms/<realm>`` with Keycloak's
``/protocol/openid-connect/*`` routes, so python-keycloak's ``KeycloakOpenID(server_url=peer.server_url,
realm_name=peer.realm, ...)`` talks to it as to Keycloak."""
from __future__ import annotations

import fcntl
import json
import os
import secrets
import subprocess
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

import pytest
import requests

from tests.support.sandbox import free_port

ROOT = Path(__file__).resolve().parent.parent.parent
PEER = ROOT / "tests" / "support" / "oidc_peer"
BUILD = ROOT / "scripts" / "build-oidc-peer.sh"

# a redirect URI where nothing listens: a test reads the code from the Location header
DEFAULT_REDIRECT_URIS = ("http://127.0.0.1:1/oidc/callback",)
DEMO_USERS = (
    {"username": "demo1", "password": "demo1", "email": "ivan@example.ru", "name": "Иван Иванов",
     "roles": ["subscriber"], "claims": {"subscriber_id": "sub-1001"}},
    {"username": "demo2", "password": "demo2", "email": "dealer@example.ru", "name": "Пётр Петров",
     "roles": ["dealer"], "claims": {"dealer_id": "dealer-2001"}},
)

_node_home: Path | None = None


def user_sub(realm: str, username: str) -> str:
    """The subject the peer gives a user without its own ``sub``: a UUID, as Keycloak's are."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{realm}:{username.lower()}"))


def node_home() -> Path:
    """Node 22, with the peer's node_modules installed (scripts/build-oidc-peer.sh, once a process;
    a lock keeps parallel test workers from installing at once)."""
    global _node_home
    if _node_home is None:
        with open(Path(tempfile.gettempdir()) / "cabinet-engine-oidc-peer-build.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            result = subprocess.run(["bash", str(BUILD)], capture_output=True, text=True, cwd=ROOT)
        lines = [line for line in result.stdout.splitlines() if line.startswith("NODE_HOME=")]
        if result.returncode != 0 or not lines:
            pytest.fail(f"the OIDC peer could not be built ({BUILD}, exit {result.returncode}):\n"
                        f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        _node_home = Path(lines[-1].split("=", 1)[1])
    return _node_home


@dataclass
class OidcPeer:
    port: int
    realm: str
    client_id: str
    client_secret: str
    redirect_uris: list[str]
    users: list[dict]
    log_path: Path
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def server_url(self) -> str:
        """What python-keycloak's KeycloakOpenID(server_url=...) takes."""
        return f"http://127.0.0.1:{self.port}/"

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}/realms/{self.realm}"

    @property
    def well_known_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def user(self, username: str) -> dict:
        return next(user for user in self.users if user["username"] == username)

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@contextmanager
def oidc_peer(folder: Path, port: int | None = None, realm: str = "cabinet",
              client_id: str = "cabinet-engine", client_secret: str | None = None,
              redirect_uris: Sequence[str] = DEFAULT_REDIRECT_URIS,
              post_logout_redirect_uris: Sequence[str] = (), users: Sequence[dict] = DEMO_USERS,
              access_token_ttl: int = 300, refresh_token_ttl: int = 1800) -> Iterator[OidcPeer]:
    """Run the peer on 127.0.0.1 (a free port unless given) until the block ends. Users are dicts with
    username, password, email, name, roles and claims (extra token claims); each gets a ``sub``."""
    node = node_home() / "bin" / "node"
    port = port or free_port()
    client_secret = client_secret or secrets.token_urlsafe(24)
    users = [{**user, "sub": user.get("sub") or user_sub(realm, user["username"])} for user in users]
    folder.mkdir(parents=True, exist_ok=True)
    log_path = folder / f"oidc-peer-{port}.log"
    peer = OidcPeer(port, realm, client_id, client_secret, list(redirect_uris), users, log_path)
    env = {**os.environ,        # settings and secrets in the environment, never on the command line
           "OIDC_PEER_PORT": str(port), "OIDC_PEER_REALM": realm, "OIDC_PEER_CLIENT_ID": client_id,
           "OIDC_PEER_CLIENT_SECRET": client_secret,
           "OIDC_PEER_REDIRECT_URIS": json.dumps(list(redirect_uris)),
           "OIDC_PEER_POST_LOGOUT_REDIRECT_URIS": json.dumps(list(post_logout_redirect_uris)),
           "OIDC_PEER_USERS": json.dumps(users), "OIDC_PEER_ACCESS_TOKEN_TTL": str(access_token_ttl),
           "OIDC_PEER_REFRESH_TOKEN_TTL": str(refresh_token_ttl), "NODE_ENV": "test"}
    with open(log_path, "w") as log:
        peer.process = subprocess.Popen([str(node), "server.mjs"], cwd=PEER, env=env, stdout=log,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                break
        except requests.RequestException:
            pass
        if peer.process.poll() is not None or time.monotonic() > deadline:
            peer.process.kill()
            peer.process.wait()
            pytest.fail(f"the OIDC peer did not start on 127.0.0.1:{port}; its output:\n"
                        f"{peer.log_text()[-5000:]}")
        time.sleep(0.05)
    try:
        yield peer
    finally:
        peer.process.terminate()
        try:
            peer.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            peer.process.kill()
            peer.process.wait()
    text = peer.log_text()
    assert client_secret not in text, "the OIDC peer logged the client secret"
    for user in users:
        assert user["password"] not in text, f"the OIDC peer logged the password of {user['username']}"
