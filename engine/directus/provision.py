"""``cabinet directus provision``: make a Directus ready to design cabinets in, idempotently.

1. check the Directus version and the admin's credentials;
2. apply the committed snapshot of the data model;
3. a read-only policy for the cabinet's collections and a narrow write policy for what the engine
   submits (applications, support requests), a role with both, and the engine's user with a static
   token — kept with the hooks' shared secret in an env file that later runs reuse;
4. the preview addresses of the collections and of the Visual Editor (the engine's preview pages,
   which get a signed token from the extension for signed-in operators);
5. the extension bundle, copied into the Directus extensions folder when one is given;
6. the demo cabinet imported, when the Directus cabinet has no screens yet.
"""
from __future__ import annotations

import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import snapshot
from .client import DirectusClient, DirectusError
from .model import PREFIX, SUBMITTED
from .transfer import COLLECTIONS, import_cabinet

SUPPORTED_MAJOR = "12."
TESTED_VERSION = "12.4.0"
ENGINE_EMAIL = "cabinet-engine@example.org"   # a reserved domain: no mail goes anywhere
READ_POLICY = "Cabinet engine: read the cabinet"
WRITE_POLICY = "Cabinet engine: submit applications and support requests"
ROLE = "Cabinet engine"
EXTENSION_NAME = "cabinet-engine"                    # its folder in Directus' extensions folder
EXTENSION_PACKAGE = "directus-extension-cabinet-engine"       # its package.json name
EXTENSION_SOURCE = Path(__file__).resolve().parent.parent.parent / "directus_extensions" / EXTENSION_NAME
PREVIEWED = ("screens", "sections", "fields", "navigation", "news")


class ProvisionError(Exception):
    pass


@dataclass
class Provisioned:
    changed: list[str]                  # what this run changed (empty: nothing to do)
    env: dict[str, str]                 # the engine's CABINET_DIRECTUS_* settings


def read_env_file(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line and not line.startswith("#"))
    return {k.strip(): v.strip() for k, v in pairs}


def write_env_file(path: Path, values: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text("# Written by `cabinet directus provision`: the engine's Directus settings. Keep it secret.\n"
                         + "".join(f"{k}={v}\n" for k, v in values.items()), encoding="utf-8")
    temporary.chmod(0o600)
    temporary.replace(path)


def ensure_secret(env_file: Path) -> str:
    """The hooks' shared secret (made once): Directus needs it in its environment before it starts."""
    values = read_env_file(env_file)
    if not values.get("CABINET_DIRECTUS_SECRET"):
        values["CABINET_DIRECTUS_SECRET"] = secrets.token_urlsafe(32)
        write_env_file(env_file, values)
    return values["CABINET_DIRECTUS_SECRET"]


def provision(url: str, admin_email: str, admin_password: str, env_file: Path, engine_url: str,
              import_path: Path | None, extensions_dir: Path | None = None, public_url: str | None = None,
              progress: Callable[[str], None] = print, engine_public_url: str | None = None) -> Provisioned:
    client = DirectusClient(url)
    changed: list[str] = []
    try:
        try:
            client.login(admin_email, admin_password)
        except DirectusError as exc:
            if exc.status in (401, 400) or exc.code == "INVALID_CREDENTIALS":
                raise ProvisionError(f"Directus at {url} refused {admin_email}: wrong e-mail or password") from None
            raise
        version = client.server_version()
        if not version.startswith(SUPPORTED_MAJOR):
            raise ProvisionError(f"Directus at {url} is version {version or 'unknown'}; the cabinet's model is made "
                                 f"for Directus {TESTED_VERSION} (12.x)")
        progress(f"directus {version} at {url}: signed in as {admin_email}")

        directus_public = (public_url or url).rstrip("/")
        engine_public = (engine_public_url or engine_url).rstrip("/")
        if snapshot.apply(client, with_preview_urls(snapshot.read(), engine_public)):
            changed.append("data model")
            progress("data model: applied the snapshot (with the preview addresses of "
                     f"{', '.join(PREVIEWED)})")
        else:
            progress("data model: up to date")

        _visual_editor(client, engine_public, changed)
        progress("visual editor: opens the engine's preview of the home screen")

        read_policy = _policy(client, READ_POLICY, changed)
        write_policy = _policy(client, WRITE_POLICY, changed)
        _permissions(client, read_policy, [PREFIX + c for c in COLLECTIONS] + ["directus_files"], "read", changed)
        _permissions(client, write_policy, list(SUBMITTED), "create", changed)
        role = _role(client, [read_policy, write_policy], changed)
        env = read_env_file(env_file)
        token = _engine_user(client, role, env.get("CABINET_DIRECTUS_TOKEN"), changed)
        progress(f"engine access: role {ROLE!r}, user {ENGINE_EMAIL}, policies for reading the cabinet and "
                 f"submitting applications and support requests")

        if extensions_dir is not None and install_extension(extensions_dir):
            changed.append("extension")
            progress(f"extension: installed into {extensions_dir} (restart Directus to load it)")
        elif extension_loaded(client):
            progress("extension: loaded by Directus")
        elif extensions_dir is not None:
            progress(f"extension: up to date in {extensions_dir}, not loaded by Directus yet (restart it)")
        else:
            progress(f"extension: not loaded by Directus yet; put {EXTENSION_SOURCE} (built with "
                     f"scripts/build-extension.sh) into its extensions folder and restart it")

        if import_path is not None:
            if client.get(f"/items/{PREFIX}screens", {"limit": 1, "fields": "id"}):
                progress("cabinet: has screens already, nothing imported")
            else:
                import_cabinet(client, import_path, lambda line: progress(f"import: {line}"))
                changed.append("cabinet")
                progress(f"cabinet: imported {import_path}")

        values = {"CABINET_DIRECTUS_URL": url.rstrip("/"), "CABINET_DIRECTUS_TOKEN": token,
                  "CABINET_DIRECTUS_SECRET": env.get("CABINET_DIRECTUS_SECRET") or secrets.token_urlsafe(32),
                  "CABINET_DIRECTUS_PUBLIC_URL": directus_public}
        if values != env:
            write_env_file(env_file, values)
            changed.append("env file")
        progress(f"settings for the engine: {env_file}" + (" (unchanged)" if values == env else ""))
        return Provisioned(changed, values)
    finally:
        client.close()


def _policy(client: DirectusClient, name: str, changed: list[str]) -> str:
    found = client.get("/policies", {"filter[name][_eq]": name, "fields": "id"})
    if found:
        return found[0]["id"]
    changed.append(f"policy {name}")
    return client.post("/policies", {"name": name, "icon": "smart_toy", "admin_access": False, "app_access": False,
                                     "description": "Used by Cabinet Engine; made by cabinet directus provision"})["id"]


def _permissions(client: DirectusClient, policy: str, collections: list[str], action: str, changed: list[str]) -> None:
    have = {p["collection"] for p in client.get("/permissions", {"filter[policy][_eq]": policy,
                                                                 "filter[action][_eq]": action,
                                                                 "fields": "collection", "limit": -1})}
    missing = [c for c in collections if c not in have]
    if missing:
        # no row rules: the Core plan has none; the engine filters drafts itself
        client.post("/permissions", [{"policy": policy, "collection": c, "action": action, "fields": ["*"],
                                      "permissions": {}, "validation": {}} for c in missing])
        changed.append(f"{action} permissions")


def _role(client: DirectusClient, policies: list[str], changed: list[str]) -> str:
    found = client.get("/roles", {"filter[name][_eq]": ROLE, "fields": "id"})
    if found:
        role = found[0]["id"]
    else:
        role = client.post("/roles", {"name": ROLE, "icon": "smart_toy",
                                      "description": "Cabinet Engine's service user"})["id"]
        changed.append("role")
    attached = {a["policy"] for a in client.get("/access", {"filter[role][_eq]": role, "fields": "policy"})}
    for policy in policies:
        if policy not in attached:
            client.post("/access", {"role": role, "policy": policy})
            changed.append("role policies")
    return role


def _engine_user(client: DirectusClient, role: str, known_token: str | None, changed: list[str]) -> str:
    """The engine's user; its token is set when it has none we know (a token can't be read back)."""
    found = client.get("/users", {"filter[email][_eq]": ENGINE_EMAIL, "fields": "id,role,token"})
    if found:
        user = found[0]
        if user.get("role") != role:
            client.patch(f"/users/{user['id']}", {"role": role})
            changed.append("engine user role")
        if known_token and user.get("token"):
            probe = DirectusClient(client.url, known_token)
            try:
                probe.get("/users/me", {"fields": "id"})
                return known_token
            except DirectusError:
                pass
            finally:
                probe.close()
        token = secrets.token_urlsafe(32)
        client.patch(f"/users/{user['id']}", {"token": token})
        changed.append("engine token")
        return token
    token = secrets.token_urlsafe(32)
    client.post("/users", {"email": ENGINE_EMAIL, "first_name": "Cabinet", "last_name": "Engine", "role": role,
                           "token": token, "status": "active",
                           "password": secrets.token_urlsafe(24)})      # never used: it signs in by token
    changed.append("engine user")
    return token


def with_preview_urls(model: dict, engine_public: str) -> dict:
    """The snapshot with the preview address of each previewed collection: the engine's preview
    page, which fetches a signed token from the extension for the signed-in operator."""
    for collection in model["collections"]:
        suffix = collection["collection"][len(PREFIX):]
        if suffix in PREVIEWED:
            collection["meta"]["preview_url"] = f"{engine_public}/preview/{collection['collection']}/{{{{id}}}}"
    return model


def _visual_editor(client: DirectusClient, engine_public: str, changed: list[str]) -> None:
    """Directus' Visual Editor opens the engine's preview of the home screen; addresses the
    operator added stay."""
    wanted = f"{engine_public}/preview/{PREFIX}screens/home"
    urls = client.get("/settings", {"fields": "visual_editor_urls"}).get("visual_editor_urls") or []
    if not any(isinstance(u, dict) and u.get("url") == wanted for u in urls):
        client.patch("/settings", {"visual_editor_urls": [*urls, {"url": wanted}]})
        changed.append("visual editor address")


def extension_loaded(client: DirectusClient) -> bool:
    """Whether Directus runs the bundle. Directus 12 lists an extension with ``meta.folder`` and, from
    the files it loaded, ``schema`` (``name``: the package's); there is no top-level name."""
    for extension in client.get("/extensions") or []:
        meta, schema = extension.get("meta") or {}, extension.get("schema") or {}
        ours = schema.get("name") == EXTENSION_PACKAGE or meta.get("folder") == EXTENSION_NAME
        if ours and schema and meta.get("enabled", True):
            return True
    return False


def install_extension(extensions_dir: Path) -> bool:
    """Copy the built bundle (package.json and dist/) into the extensions folder; False if unchanged."""
    built = EXTENSION_SOURCE / "dist"
    if not built.is_dir():
        raise ProvisionError(f"the extension is not built: run scripts/build-extension.sh first ({built} is missing)")
    target = extensions_dir / EXTENSION_NAME
    files = [EXTENSION_SOURCE / "package.json", *sorted(p for p in built.rglob("*") if p.is_file())]
    same = target.is_dir() and all((target / f.relative_to(EXTENSION_SOURCE)).is_file() and
                                   (target / f.relative_to(EXTENSION_SOURCE)).read_bytes() == f.read_bytes()
                                   for f in files)
    if same:
        return False
    if target.exists():
        shutil.rmtree(target)
    for f in files:
        destination = target / f.relative_to(EXTENSION_SOURCE)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, destination)
    return True
