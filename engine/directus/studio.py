"""``cabinet directus studio``: the operator's whole loop on one machine, without Docker — a local
Directus (SQLite, in ``instance/studio``) with the extension, provisioned with the demo cabinet,
and the engine serving it with the live preview. `make studio` builds the Node parts first.
``designer()`` is the Directus half, which ``cabinet stack`` runs too."""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from . import local
from .provision import ensure_secret, provision, read_env_file

ROOT = Path(__file__).resolve().parent.parent.parent


@contextmanager
def designer(folder: Path, directus_port: int, engine_url: str, say: Callable[[str], None]) -> Iterator[dict]:
    """A local Directus provisioned with the demo cabinet for the engine at ``engine_url``; yields
    the engine's Directus settings (create_app keywords) and stops Directus when the block ends."""
    env_file = folder / "engine.env"
    secret = ensure_secret(env_file)
    say("installing Directus 12.4.0 (the first time takes a few minutes) …")
    installation = local.install()
    instance = local.prepare(folder / "directus", directus_port, {
        "CABINET_ENGINE_URL": engine_url, "CABINET_ENGINE_SECRET": secret,
        "CONTENT_SECURITY_POLICY_DIRECTIVES__FRAME_SRC": f"'self' {engine_url}"})
    say(f"starting Directus at {instance.url} …")
    local.start(instance, installation)
    try:
        result = provision(instance.url, instance.admin_email, instance.admin_password, env_file, engine_url,
                           ROOT / "cabinet_schemas" / "demo", instance.folder / "extensions", progress=say)
        if "extension" in result.changed:
            # Directus loads extensions when it starts; the import above ran before its hooks did,
            # since the engine they call cannot start before Directus holds a cabinet
            say("restarting Directus to load the extension …")
            local.stop(instance)
            local.start(instance, installation)
        env = read_env_file(env_file)
        yield {"directus_url": env["CABINET_DIRECTUS_URL"], "directus_token": env["CABINET_DIRECTUS_TOKEN"],
               "directus_secret": env["CABINET_DIRECTUS_SECRET"],
               "directus_public_url": env["CABINET_DIRECTUS_PUBLIC_URL"],
               "directus_admin": (instance.admin_email, instance.admin_password, instance.folder / ".env")}
    finally:
        local.stop(instance)


def run(folder: Path, directus_port: int, engine_host: str, engine_port: int, say: Callable[[str], None]) -> None:
    import waitress

    from ..web import create_app

    engine_url = f"http://{engine_host}:{engine_port}"
    with designer(folder, directus_port, engine_url, say) as directus:
        email, password, kept_in = directus.pop("directus_admin")
        app = create_app(instance_dir=folder / "engine", public_url=engine_url,
                         cookie_secure=engine_url.startswith("https://"), **directus)
        say("")
        say(f"Directus (design the cabinet):  {directus['directus_public_url']}/admin")
        say(f"    sign in as {email} / {password}")
        say(f"    (kept in {kept_in})")
        say(f"The cabinet (as subscribers see it): {engine_url}   demo1 / demo1")
        say("Open a screen in Directus and press the preview button to see it live. Ctrl-C stops both.")
        waitress.serve(app, host=engine_host, port=engine_port, threads=8, ident="cabinet")


def default_folder() -> Path:
    return Path(os.environ.get("CABINET_INSTANCE_DIR", ROOT / "instance")) / "studio"
