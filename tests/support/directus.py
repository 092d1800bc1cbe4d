"""A real Directus 12.4.0 for tests, provisioned like an operator's, with the engine reachable
by its hooks: the engine's port is chosen first, so Directus starts knowing where to call."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from engine.directus import local
from engine.directus.provision import EXTENSION_SOURCE, ensure_secret, provision, read_env_file
from tests.support.sandbox import free_port


@dataclass
class Studio:
    directus: local.LocalDirectus
    engine_port: int
    env_file: Path
    provision_lines: list[str]

    @property
    def engine_url(self) -> str:
        return f"http://127.0.0.1:{self.engine_port}"

    @property
    def settings(self) -> dict[str, str]:
        """The engine's Directus settings, as make_app keyword arguments."""
        env = read_env_file(self.env_file)
        return {"directus_url": env["CABINET_DIRECTUS_URL"], "directus_token": env["CABINET_DIRECTUS_TOKEN"],
                "directus_secret": env["CABINET_DIRECTUS_SECRET"],
                "directus_public_url": env["CABINET_DIRECTUS_PUBLIC_URL"]}

    def provision(self, lines: list[str] | None = None):
        return provision(self.directus.url, self.directus.admin_email, self.directus.admin_password,
                         self.env_file, self.engine_url, Path("cabinet_schemas/demo"),
                         self.directus.folder / "extensions", progress=(lines if lines is not None else []).append)


@contextmanager
def studio(folder: Path) -> Iterator[Studio]:
    """Directus with the extension, provisioned with the demo cabinet; the engine is the test's."""
    if not (EXTENSION_SOURCE / "dist").is_dir():
        pytest.fail(f"the Directus extension is not built ({EXTENSION_SOURCE / 'dist'} is missing): "
                    f"run scripts/build-extension.sh (make test does)")
    engine_port = free_port()
    env_file = folder / "engine.env"
    secret = ensure_secret(env_file)
    try:
        installation = local.install()
    except local.LocalDirectusError as exc:
        pytest.fail(f"Directus 12.4.0 could not be installed for the tests: {exc}")
    instance = local.prepare(folder / "directus", free_port(), {
        "CABINET_ENGINE_URL": f"http://127.0.0.1:{engine_port}", "CABINET_ENGINE_SECRET": secret,
        "CONTENT_SECURITY_POLICY_DIRECTIVES__FRAME_SRC": f"'self' http://127.0.0.1:{engine_port}",
        # a throw-away test instance has no owner to name: its app must not cover the page with that question
        "PROJECT_OWNER_ENABLED": "false"})
    try:
        local.start(instance, installation)
        lines: list[str] = []
        # provisioning copies the extension in; Directus loads it at its next start, so the import
        # of the demo cabinet does not wait for an engine that cannot start before it
        provision(instance.url, instance.admin_email, instance.admin_password, env_file,
                  f"http://127.0.0.1:{engine_port}", Path("cabinet_schemas/demo"), instance.folder / "extensions",
                  progress=lines.append)
        local.stop(instance)
        local.start(instance, installation)
    except local.LocalDirectusError as exc:
        local.stop(instance)
        pytest.fail(f"Directus did not start: {exc}")
    try:
        yield Studio(instance, engine_port, env_file, lines)
    finally:
        local.stop(instance)
