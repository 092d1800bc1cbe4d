"""``cabinet stack`` (``make stack``): the whole product on one machine, without Docker — PostgreSQL
and Redis (installed and started by scripts/ensure-services.sh), Keycloak with the cabinet's realm
and login theme, Directus with the demo cabinet, and the engine serving it, signing people in
through Keycloak. Keycloak's and Directus' data stay in ``instance/stack`` between runs."""
from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .directus.provision import read_env_file, write_env_file
from .directus.studio import designer
from .keycloak_server import local as keycloak_local

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ROOT / "scripts" / "ensure-services.sh"
DATABASE = "cabinet_stack"
POSTGRES = "postgresql+psycopg2://postgres@127.0.0.1:5432/"
REDIS = "redis://127.0.0.1:6379/0"


class StackError(RuntimeError):
    pass


@dataclass(frozen=True)
class Ports:
    engine: int = 8000
    directus: int = 8055
    keycloak: int = 8080
    keycloak_management: int = 9000


def default_folder() -> Path:
    return Path(os.environ.get("CABINET_INSTANCE_DIR", ROOT / "instance")) / "stack"


def ensure_services() -> None:
    result = subprocess.run(["bash", str(SERVICES)], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise StackError(f"PostgreSQL and Redis are needed ({SERVICES}):\n{result.stderr.strip()}")


def ensure_database(name: str = DATABASE) -> str:
    """The engine's own database in the local PostgreSQL (made the first time)."""
    import sqlalchemy

    server = sqlalchemy.create_engine(POSTGRES + "postgres", isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            exists = connection.execute(sqlalchemy.text("select 1 from pg_database where datname = :name"),
                                        {"name": name}).scalar()
            if not exists:
                connection.execute(sqlalchemy.text(f'create database "{name}"'))
    finally:
        server.dispose()
    return POSTGRES + name


def keycloak_secrets(env_file: Path) -> dict[str, str]:
    """The client secret and Keycloak's admin password, made once: the realm and the admin exist
    from the first start on, and keep what they were given then."""
    values = read_env_file(env_file)
    for name in ("CABINET_KEYCLOAK_CLIENT_SECRET", "KEYCLOAK_ADMIN_PASSWORD"):
        values.setdefault(name, secrets.token_urlsafe(24))
    write_env_file(env_file, values)
    return values


def run(folder: Path, host: str, ports: Ports, say: Callable[[str], None], database: str = DATABASE) -> None:
    from .web import create_app
    from .web.serving import serve

    engine_url = f"http://{host}:{ports.engine}"
    # a service manager's stop (SIGTERM) unwinds like Ctrl-C: Keycloak and Directus stop with the engine
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    say("PostgreSQL and Redis …")
    ensure_services()
    database_url = ensure_database(database)
    kept = keycloak_secrets(folder / "keycloak.env")
    say("installing Keycloak (the first time takes about a minute) …")
    installation = keycloak_local.install()
    keycloak = keycloak_local.prepare(folder / "keycloak", installation, ports.keycloak, ports.keycloak_management,
                                      engine_url, kept["CABINET_KEYCLOAK_CLIENT_SECRET"], keep_data=True)
    keycloak.admin_password = kept["KEYCLOAK_ADMIN_PASSWORD"]
    say(f"starting Keycloak at {keycloak.url} (20–60 s) …")
    keycloak_local.start(keycloak, installation)
    try:
        with designer(folder / "studio", ports.directus, engine_url, say) as directus:
            email, password, _ = directus.pop("directus_admin")
            app = create_app(instance_dir=folder / "engine", public_url=engine_url, database_url=database_url,
                             ratelimit_storage=REDIS, cookie_secure=engine_url.startswith("https://"),
                             keycloak_url=keycloak.server_url, keycloak_realm=keycloak_local.REALM,
                             keycloak_client_secret=keycloak.client_secret, **directus)
            say("")
            say(f"The cabinet (subscribers and dealers):  {engine_url}   demo1 / demo1, demo2 / demo2")
            say(f"Directus (design the cabinet):          {directus['directus_public_url']}/admin   {email} / {password}")
            say(f"Keycloak (people and roles):            {keycloak.url}/admin/master/console/#/cabinet   "
                f"admin / {keycloak.admin_password}")
            say(f"PostgreSQL (the engine's state):        127.0.0.1:5432/{database}   Redis: 127.0.0.1:6379")
            say(f"Passwords are kept in {folder}. Ctrl-C stops everything.")
            serve(app, host=host, port=ports.engine, threads=8, ident="cabinet")
    finally:
        keycloak_local.stop(keycloak)
