"""docker-compose.yml checked without Docker: every variable a service is given is one its program
reads (taken from the programs themselves: the engine's settings, Directus' own list, the extension's
source, the Keycloak realm, the postgres init scripts), every host path it mounts or builds from
exists, every ${VAR} it needs is documented in its header and stops `up` when unset, and Directus
and the engine are wired to each other."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from engine.config import PREFIX, SettingsSchema
from engine.directus.local import LocalDirectusError, install
from engine.directus.provision import TESTED_VERSION

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
EXTENSION_SOURCE = ROOT / "directus_extensions" / "cabinet-engine" / "src"
# The official postgres image's own settings (docker-entrypoint.sh of postgres:15); the four it
# reads through file_env also take a _FILE variant.
POSTGRES_IMAGE_VARIABLES = {"POSTGRES_PASSWORD", "POSTGRES_USER", "POSTGRES_DB", "POSTGRES_INITDB_ARGS",
                            "POSTGRES_INITDB_WALDIR", "POSTGRES_HOST_AUTH_METHOD", "PGDATA"}
POSTGRES_FILE_VARIABLES = {"POSTGRES_PASSWORD", "POSTGRES_USER", "POSTGRES_DB", "POSTGRES_INITDB_ARGS"}
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|_KEY$")
# Compose interpolation: $$ is a literal dollar; ${NAME...} and $NAME are variables.
INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)([^}]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def load_compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def services() -> dict[str, dict]:
    return load_compose()["services"]


def environment(service: dict) -> dict[str, str]:
    """A service's environment, whichever of compose's two forms it is written in."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def bind_mounts(service: dict) -> list[tuple[str, str]]:
    """(host path, container path) of each bind mount (named volumes left out)."""
    mounts = []
    for volume in service.get("volumes") or []:
        if isinstance(volume, dict):
            if volume.get("type") == "bind":
                mounts.append((volume["source"], volume["target"]))
        else:
            source, _, rest = volume.partition(":")
            if source.startswith((".", "/", "~")):
                mounts.append((source, rest.split(":")[0]))
    return mounts


def host_path(path: str) -> Path:
    return (ROOT / path).resolve()


def builds_engine_image(service: dict) -> bool:
    build = service.get("build")
    context = build if isinstance(build, str) else (build or {}).get("context")
    dockerfile = "Dockerfile" if isinstance(build, str) else (build or {}).get("dockerfile", "Dockerfile")
    return context is not None and host_path(context) == ROOT and dockerfile == "Dockerfile"


def interpolations(value) -> list[tuple[str, str]]:
    """(variable, modifier such as ':?message') for each variable used in the loaded compose values."""
    if isinstance(value, dict):
        return [found for item in value.values() for found in interpolations(item)]
    if isinstance(value, list):
        return [found for item in value for found in interpolations(item)]
    if not isinstance(value, str):
        return []
    return [(m.group(1) or m.group(3), m.group(2) or "") for m in INTERPOLATION.finditer(value.replace("$$", ""))]


def header_variables() -> set[str]:
    """The variables listed in the compose file's header comment (lines '#   NAME  what it is')."""
    names = set()
    for line in COMPOSE.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        match = re.match(r"#\s{2,}([A-Z][A-Z0-9_]*)\s", line)
        if match:
            names.add(match.group(1))
    return names


# --- what each program reads -------------------------------------------------------------------------
def engine_settings() -> set[str]:
    return {PREFIX + name.upper() for name in SettingsSchema().fields}


def engine_reads(name: str) -> bool:
    """A non-CABINET variable the engine's code reads by name (os.environ, getenv, a click envvar)."""
    pattern = re.compile(r"""(?:environ\.get\(\s*|environ\[\s*|getenv\(\s*|envvar\s*=\s*)["']"""
                         + re.escape(name) + "[\"']")
    return any(pattern.search(path.read_text(encoding="utf-8")) for path in (ROOT / "engine").rglob("*.py"))


def dockerfile_env() -> dict[str, str]:
    """ENV of the image's final stage."""
    stages = DOCKERFILE.read_text(encoding="utf-8").split("\nFROM ")
    return dict(re.findall(r"^ENV\s+([A-Za-z_][A-Za-z0-9_]*)=(\S*)", stages[-1], re.MULTILINE))


def directus_installation() -> Path:
    try:
        installation = install()
    except LocalDirectusError as exc:
        pytest.fail(f"Directus {TESTED_VERSION} is needed to know which variables it reads; install it with "
                    f"scripts/install-directus.sh ({exc})")
    return installation.directus_home / "node_modules"


def directus_variables(image_version: str) -> list[re.Pattern]:
    """What Directus reads: the patterns of @directus/env (its DIRECTUS_VARIABLES, the names it has
    defaults and types for), from the installed Directus of the image's version."""
    modules = directus_installation()
    installed = json.loads((modules / "directus" / "package.json").read_text(encoding="utf-8"))["version"]
    if installed != image_version:
        pytest.fail(f"docker-compose.yml runs Directus {image_version} but {installed} is installed: the "
                    f"variables must be checked against the same version (scripts/install-directus.sh)")
    source = modules / "@directus" / "env" / "dist" / "index.js"
    if not source.is_file():
        pytest.fail(f"{source} is missing: reinstall Directus with scripts/install-directus.sh")
    text = source.read_text(encoding="utf-8")
    patterns = []
    for constant in ("DIRECTUS_VARIABLES", "DEFAULTS", "TYPE_MAP"):
        block = re.search(r"^const " + constant + r" = [\[{](.*?)^[\]}];", text, re.MULTILINE | re.DOTALL)
        if block is None:
            pytest.fail(f"{source} has no {constant} any more: see how this Directus lists its variables")
        if constant == "DIRECTUS_VARIABLES":
            names = re.findall(r'^\s*"([^"]+)",?$', block.group(1), re.MULTILINE)
        else:
            names = re.findall(r'^\t"?([A-Z][^":]*)"?:', block.group(1), re.MULTILINE)
        if not names:
            pytest.fail(f"no names read from {constant} in {source}")
        patterns += [re.compile(f"^{name}$") for name in names]
    return patterns


def extension_reads() -> set[str]:
    """The variables the extension bundle reads from Directus' env (its source, tests left out)."""
    pattern = re.compile(r"""(?:env\??\.?\[\s*['"]|process\.env\.)([A-Z][A-Z0-9_]*)""")
    names = {name for path in EXTENSION_SOURCE.rglob("*.ts") if not path.name.endswith(".test.ts")
             for name in pattern.findall(path.read_text(encoding="utf-8"))}
    assert names, f"found no variables read in {EXTENSION_SOURCE}: has the way it reads env changed?"
    return names


def placeholders(paths: list[Path]) -> set[str]:
    """${NAME} / ${env.NAME} / ${NAME:default} placeholders Keycloak resolves from the environment."""
    pattern = re.compile(r"\$\{(?:env\.)?([A-Z][A-Z0-9_]*)(?::[^}]*)?\}")
    return {name for path in paths for name in pattern.findall(path.read_text(encoding="utf-8"))}


def script_reads(paths: list[Path]) -> set[str]:
    pattern = re.compile(r"\$\{?([A-Z_][A-Z0-9_]*)|\\getenv\s+\w+\s+([A-Z_][A-Z0-9_]*)")
    return {a or b for path in paths for a, b in pattern.findall(path.read_text(encoding="utf-8"))}


def mounted_files(service: dict, container_dir: str) -> list[Path]:
    """The repository files a service mounts at or under container_dir."""
    files = []
    for source, target in bind_mounts(service):
        if target.rstrip("/") == container_dir or target.startswith(container_dir + "/"):
            path = host_path(source)      # a missing one is the host path test's to report
            files += sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else \
                [path] if path.is_file() else []
    return files


KEYCLOAK_IMAGE = "quay.io/keycloak/keycloak"


def unread_variables(name: str, service: dict) -> tuple[list[str], str]:
    """The variables this service is given that its program does not read, and what the program is."""
    env = environment(service)
    image = str(service.get("image", ""))
    if builds_engine_image(service):
        env.update(dockerfile_env())
        settings = engine_settings()
        return [v for v in env if not (v in settings if v.startswith(PREFIX) else engine_reads(v))], \
            "the engine (CABINET_* from engine/config.py's SettingsSchema, others read by name in engine/)"
    if image.startswith("directus/directus:"):
        patterns = directus_variables(image.split(":", 1)[1])
        extension = extension_reads()

        def directus_reads(variable: str) -> bool:
            base = variable.removesuffix("_FILE")
            return variable in extension or any(p.match(base) for p in patterns)

        return [v for v in env if not directus_reads(v)], \
            "Directus (@directus/env of the installed version) and the extension bundle's source"
    if image.startswith(KEYCLOAK_IMAGE + ":"):
        realms = mounted_files(service, "/opt/keycloak/data/import")
        assert realms, f"{name}: no realm is mounted into /opt/keycloak/data/import"
        resolved = placeholders(realms)
        return [v for v in env if not (v.startswith("KC_") or v in resolved)], \
            f"Keycloak (KC_* and the placeholders of {', '.join(p.name for p in realms)})"
    if image.startswith("postgres:"):
        init = mounted_files(service, "/docker-entrypoint-initdb.d")
        known = POSTGRES_IMAGE_VARIABLES | {v + "_FILE" for v in POSTGRES_FILE_VARIABLES} | script_reads(init)
        return [v for v in env if v not in known], "the postgres image (its POSTGRES_* and the init scripts)"
    if image.startswith("redis:"):
        return list(env), "redis (reads no environment here)"
    pytest.fail(f"service {name!r} ({image or 'built'}): this test does not know what its program reads; "
                f"add a rule for it in {Path(__file__).name}")


# --- the checks -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(services()))
def test_each_variable_a_service_is_given_is_one_its_program_reads(name):
    unread, program = unread_variables(name, services()[name])
    assert not unread, f"docker-compose.yml: service {name!r} sets {', '.join(sorted(unread))}, not read by " \
                       f"{program}: a misspelling, or a setting that no longer exists"


def test_compose_runs_the_keycloak_the_tests_run():
    """The realm and the login theme are tested on the Keycloak scripts/install-keycloak.sh installs."""
    installer = (ROOT / "scripts" / "install-keycloak.sh").read_text(encoding="utf-8")
    tested = re.search(r"CABINET_KEYCLOAK_VERSION:-([0-9.]+)", installer).group(1)
    assert services()["keycloak"]["image"] == f"{KEYCLOAK_IMAGE}:{tested}"


def test_the_engine_image_services_are_checked_against_its_settings():
    built = [name for name, service in services().items() if builds_engine_image(service)]
    assert {"engine", "provision"} <= set(built), built
    assert {"CABINET_DIRECTUS_URL", "CABINET_DIRECTUS_TOKEN", "CABINET_DIRECTUS_SECRET"} <= engine_settings()


def test_every_host_path_compose_mounts_or_builds_from_exists():
    compose = load_compose()
    missing = []
    for name, service in compose["services"].items():
        build = service.get("build")
        if build is not None:
            context = build if isinstance(build, str) else build.get("context", ".")
            dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
            if not host_path(context).is_dir():
                missing.append(f"{name}: build context {context}")
            elif not (host_path(context) / dockerfile).is_file():
                missing.append(f"{name}: {dockerfile} in {context}")
        for source, target in bind_mounts(service):
            if not host_path(source).exists():
                missing.append(f"{name}: {source} (mounted at {target})")
        for volume in service.get("volumes") or []:
            named = volume.get("source") if isinstance(volume, dict) and volume.get("type") == "volume" else \
                volume.partition(":")[0] if isinstance(volume, str) else None
            if named and not named.startswith((".", "/", "~")) and named not in (compose.get("volumes") or {}):
                missing.append(f"{name}: named volume {named} is not declared under volumes:")
    assert not missing, "docker-compose.yml uses paths that do not exist:\n  " + "\n  ".join(missing)


def test_every_file_the_image_copies_from_the_repository_exists():
    missing = []
    for line in DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ").splitlines():
        words = line.split()
        if words[:1] == ["COPY"] and not any(w.startswith("--from") for w in words):
            sources = [w for w in words[1:-1] if not w.startswith("--")]
            missing += [s for s in sources if not (ROOT / s).exists()]
    assert not missing, f"the Dockerfile copies what the repository lacks: {', '.join(missing)}"


def test_every_variable_compose_uses_is_documented_and_required():
    used = interpolations(load_compose())
    names = {name for name, _ in used}
    documented = header_variables()
    assert names, "found no ${VAR} in docker-compose.yml"
    assert not names - documented, f"docker-compose.yml uses {', '.join(sorted(names - documented))} but its " \
                                   f"header comment does not list them ('#   NAME  what it is')"
    assert not documented - names, f"docker-compose.yml's header lists {', '.join(sorted(documented - names))}, " \
                                   f"which it no longer uses"
    # one ${VAR:?message} is enough for `up` to stop with the message instead of using ""
    unguarded = sorted(n for n in names if not any(v == n and modifier.startswith(":?") for v, modifier in used))
    assert not unguarded, f"docker-compose.yml: write ${{NAME:?what to set}} at least once for " \
                          f"{', '.join(unguarded)}, so `up` stops when it is unset"


def test_secrets_come_from_the_environment_only():
    literal = [f"{name}: {variable}" for name, service in services().items()
               for variable, value in environment(service).items()
               if SECRET_NAME.search(variable) and "${" not in value]
    assert not literal, f"docker-compose.yml: secrets written into the file: {', '.join(literal)}"


def test_directus_and_the_engine_are_wired_to_each_other():
    all_services = services()
    engine, directus, provision = (environment(all_services[n]) for n in ("engine", "directus", "provision"))
    arguments = dict(a.split("=", 1) for a in all_services["provision"]["command"] if str(a).startswith("--"))
    assert all_services["directus"]["image"] == f"directus/directus:{TESTED_VERSION}"
    # the hooks' shared secret is one variable on both sides, and provision keeps it in its env file
    assert interpolations(directus["CABINET_ENGINE_SECRET"])[0][0] == \
        interpolations(engine["CABINET_DIRECTUS_SECRET"])[0][0] == \
        interpolations(provision["CABINET_DIRECTUS_SECRET"])[0][0]
    # the engine reads the Directus that provision set up, and Directus' hooks reach that engine
    assert engine["CABINET_DIRECTUS_URL"] == arguments["--url"]
    assert directus["CABINET_ENGINE_URL"] == arguments["--engine-url"]
    assert interpolations(directus["ADMIN_EMAIL"])[0][0] == interpolations(arguments["--admin-email"])[0][0]
    # operators' browsers: the engine's public address is the preview's and may be framed by Directus
    public = interpolations(engine["CABINET_PUBLIC_URL"])[0][0]
    assert public in {n for n, _ in interpolations(directus["CONTENT_SECURITY_POLICY_DIRECTIVES__FRAME_SRC"])}
    assert public == interpolations(arguments["--engine-public-url"])[0][0]
    directus_public = interpolations(engine["CABINET_DIRECTUS_PUBLIC_URL"])[0][0]
    assert directus_public == interpolations(directus["PUBLIC_URL"])[0][0] == \
        interpolations(arguments["--public-url"])[0][0]
    # the token provision writes is the one the engine's command reads
    env_file = arguments["--env-file"]
    assert env_file in " ".join(map(str, all_services["engine"]["command"]))
    # the bundle goes where Directus loads extensions from, on a volume both mount
    extensions = directus["EXTENSIONS_PATH"]
    assert f"--extensions-dir {extensions}" in " ".join(map(str, all_services["provision"]["command"]))
    shared = {v.split(":")[0] for v in all_services["directus"]["volumes"] if v.split(":")[1] == extensions}
    assert shared and shared == {v.split(":")[0] for v in all_services["provision"]["volumes"]
                                 if v.split(":")[1] == extensions}
    assert all_services["engine"]["depends_on"]["provision"]["condition"] == "service_completed_successfully"
