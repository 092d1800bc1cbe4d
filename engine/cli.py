"""The ``cabinet`` command."""
from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from . import __version__
from .config import ConfigError
from .schema import SchemaInvalid


def _settings_or_exit():
    """The CABINET_* settings, or every problem with them and exit code 2."""
    from .config import load_settings

    try:
        return load_settings()
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)


def _print_issues(exc: SchemaInvalid) -> None:
    for issue in exc.issues:
        click.echo(str(issue), err=True)
    click.echo(f"{len(exc.issues)} problem{'s' if len(exc.issues) != 1 else ''} found.", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cabinet")
def main() -> None:
    """Cabinet Engine: subscriber self-service cabinets from declarative schemas."""
    # bindings named by import path may live in the current folder, as with other app servers
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())


@main.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--binding", default="demo", show_default=True,
              help="Check the operations against this billing binding's capabilities "
                   "(a registered name or an import path module:Class).")
@click.option("--spec", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The declarative REST binding's file: its operations are the binding's capabilities.")
def validate(path: Path, binding: str, spec: Path | None) -> None:
    """Validate the cabinet schema at PATH (a folder with cabinet.yaml, or one YAML file).

    Prints every problem as file:line: path: message and exits 1, or a summary and exits 0.
    """
    from .billing import binding_registry, resolve_binding
    from .billing.contract import capabilities_of, operations_of
    from .billing.rest import RestBinding
    from .billing.rest.spec import SpecError, spec_operations
    from .kinds import field_kind_registry, section_kind_registry
    from .schema import YamlSource, load_cabinet
    from .web.handlers import handler_operations, handler_registry

    try:
        binding_cls = resolve_binding(binding_registry(), binding)
    except LookupError as exc:
        raise click.BadParameter(str(exc), param_hint="--binding") from None
    capabilities, provider = capabilities_of(binding_cls), f"the billing binding {binding!r}"
    operations = operations_of(binding_cls)
    if issubclass(binding_cls, RestBinding):
        if spec is None:
            raise click.UsageError(f"the {binding!r} binding's operations are in its file: give it with --spec FILE")
        try:
            capabilities, declared = spec_operations(spec)
        except SpecError as exc:
            click.echo(f"The binding file {exc}", err=True)
            sys.exit(1)
        operations = {**operations, **declared}
        provider = f"the binding file {spec}"
    elif spec is not None:
        raise click.BadParameter(f"the {binding!r} binding takes no file (--spec is for the declarative REST "
                                 f"binding)", param_hint="--spec")
    try:
        cabinet = load_cabinet(YamlSource(path), field_kind_registry(), section_kind_registry(),
                               capabilities, provider, handler_operations(handler_registry()), operations=operations)
    except SchemaInvalid as exc:
        _print_issues(exc)
        sys.exit(1)
    click.echo(f"{path}: valid. {len(cabinet.screens)} screens, {len(cabinet.actions)} actions, "
               f"locales {', '.join(cabinet.operator.locales)}; billing operations used: "
               f"{', '.join(sorted(cabinet.operations_used))}.")
    if cabinet.hidden_note:
        click.echo(f"Note: {cabinet.hidden_note}.")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--schemas", type=click.Path(exists=True, path_type=Path),
              help="Cabinet schema folder (default: CABINET_SCHEMAS or cabinet_schemas/demo).")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256), help="waitress worker threads.")
def serve(host: str, port: int, schemas: Path | None, threads: int) -> None:
    """Serve the cabinet with waitress."""
    from .web import create_app
    from .web.serving import serve as serve_app

    overrides: dict[str, Any] = {"schemas": schemas} if schemas else {}   # load_settings' overrides
    if not os.environ.get("CABINET_PUBLIC_URL"):
        # where payers come back from the bank and letters point: here, unless told otherwise
        overrides["public_url"] = f"http://{host}:{port}"
    try:
        app = create_app(**overrides)
    except SchemaInvalid as exc:
        click.echo("The cabinet schema is not valid; not starting.", err=True)
        _print_issues(exc)
        sys.exit(1)
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    click.echo(f"Serving {app.extensions['cabinet'].cabinet.source_label} at http://{host}:{port}/")
    serve_app(app, host=host, port=port, threads=threads, ident="cabinet")


@main.command("payment-link")
@click.argument("account_id")
def payment_link_command(account_id: str) -> None:
    """Print a signed link that lets anyone holding it pay into ACCOUNT_ID without signing in
    (for suspension letters). It expires after CABINET_PAYMENT_LINK_DAYS days."""
    from .web.payment_links import payment_link

    settings = _settings_or_exit()
    if not settings.public_url:
        click.echo("CABINET_PUBLIC_URL: set it to the address subscribers open the cabinet at", err=True)
        sys.exit(2)
    click.echo(payment_link(settings.secret_key, settings.public_url, account_id))


@main.group()
def bindings() -> None:
    """Billing bindings: what is installed, what one provides, does it keep the contract."""


def _binding_factory(name: str, options: str | None):
    """A function that makes the binding NAME with OPTIONS (JSON; default CABINET_BINDING_OPTIONS,
    and for the demo billing a database of its own, so a check never changes the demo's data)."""
    import json
    import tempfile

    from .billing import binding_registry, resolve_binding
    from .web.runtime import binding_options

    try:
        binding_cls = resolve_binding(binding_registry(), name)
    except LookupError as exc:
        raise click.BadParameter(str(exc), param_hint="NAME") from None
    raw = options if options is not None else os.environ.get("CABINET_BINDING_OPTIONS", "{}")
    try:
        values = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc.msg}", param_hint="--options") from None
    from .billing.demo import DemoBilling
    if issubclass(binding_cls, DemoBilling) and "database_url" not in values:
        values["database_url"] = f"sqlite:///{tempfile.mkdtemp(prefix='cabinet-check-')}/billing.sqlite"
    try:
        checked = binding_options(binding_cls, dict(values))
    except Exception as exc:                    # marshmallow's message names each bad option
        raise click.BadParameter(f"not valid for {name}: {exc}", param_hint="--options") from None

    def make():
        return binding_cls(**checked)
    return make


@bindings.command("list")
def bindings_list() -> None:
    """The installed bindings and where each comes from."""
    from .billing import binding_registry
    from .billing.contract import OPERATIONS, capabilities_of

    registry = binding_registry()
    for name, binding_cls in registry.items():
        provided = capabilities_of(binding_cls)
        what = f"{len(provided)} of {len(OPERATIONS)} operations" if provided else "operations from its file"
        click.echo(f"{name:12} {binding_cls.__module__}.{binding_cls.__qualname__}  ({what})")


_SCENARIO_OPTIONS = [
    click.option("--options", help="The binding's options as JSON (default: CABINET_BINDING_OPTIONS)."),
    click.option("--subscriber-id", default="sub-1001", show_default=True,
                 help="A test subscriber with accounts (two for the transfer test)."),
    click.option("--other-subscriber-id", default="sub-1002", show_default=True,
                 help="Another test subscriber with accounts of their own (none may reach the first)."),
    click.option("--dealer-id", default="dealer-2001", show_default=True, help="A test dealer."),
    click.option("--login", help="The test subscriber's billing login, when the billing signs subscribers in "
                                 "(the password from CABINET_CHECK_PASSWORD)."),
    click.option("--other-login", help="The other test subscriber's billing login (the password from "
                                       "CABINET_CHECK_OTHER_PASSWORD)."),
    click.option("--main-service-id", help="A service the subscriber may not end themselves (disconnect_service "
                                           "must refuse it)."),
]


def _scenario(subscriber_id: str, other_subscriber_id: str, dealer_id: str, login: str | None,
              other_login: str | None, main_service_id: str | None = None):
    """The kit's test data; passwords only from the environment (never the command line, which
    ``ps`` shows)."""
    from .testing.binding_suite import Scenario

    return Scenario(subscriber_id, dealer_id, other_subscriber_id=other_subscriber_id, login=login,
                    password=os.environ.get("CABINET_CHECK_PASSWORD"), other_login=other_login,
                    other_password=os.environ.get("CABINET_CHECK_OTHER_PASSWORD"), main_service_id=main_service_id)


def _scenario_options(command):
    for option in reversed(_SCENARIO_OPTIONS):
        command = option(command)
    return command


@bindings.command("diagnose")
@click.argument("name")
@_scenario_options
def bindings_diagnose(name: str, options: str | None, subscriber_id: str, other_subscriber_id: str,
                      dealer_id: str, login: str | None, other_login: str | None,
                      main_service_id: str | None) -> None:
    """What NAME provides (the capability matrix) and a live check of its health with latency."""
    from .testing.check import diagnose

    binding = _binding_factory(name, options)()
    try:
        matrix, probes = diagnose(binding, _scenario(subscriber_id, other_subscriber_id, dealer_id, login,
                                                     other_login))
    finally:
        binding.close()
    click.echo(f"{name}: {sum(matrix.values())} of {len(matrix)} operations")
    for operation, provided in matrix.items():
        click.echo(f"  {'yes' if provided else ' - '}  {operation}")
    click.echo("live check:")
    for probe in probes:
        click.echo(f"  {'ok  ' if probe.ok else 'FAIL'}  {probe.operation:15} {probe.milliseconds:8.1f} ms  {probe.detail}")
    if not all(p.ok for p in probes):
        sys.exit(1)


@bindings.command("check")
@click.argument("name")
@_scenario_options
def bindings_check(name: str, options: str | None, subscriber_id: str, other_subscriber_id: str,
                   dealer_id: str, login: str | None, other_login: str | None, main_service_id: str | None) -> None:
    """Run the conformance kit against NAME (on test data: it makes payments, orders, blocks)."""
    from .testing.check import run_suite

    results = run_suite(_binding_factory(name, options),
                        _scenario(subscriber_id, other_subscriber_id, dealer_id, login, other_login, main_service_id))
    click.echo("")
    for result in results:
        label = {"passed": "pass", "failed": "FAIL", "not applicable": "n/a "}[result.outcome]
        line = f"{label}  {', '.join(result.operations):45} {result.test}"
        click.echo(line + (f"\n      why: {result.reason}" if result.reason else ""))
    failed = [r for r in results if r.outcome == "failed"]
    click.echo(f"{len(results) - len(failed)} of {len(results)} checks passed or were not applicable; "
               f"{len(failed)} failed")
    sys.exit(1 if failed or not results else 0)


@main.group()
def directus() -> None:
    """Directus as the operator's designer: provisioning, the data model snapshot."""


@directus.command("provision")
@click.option("--url", required=True, help="Directus address, e.g. http://127.0.0.1:8055")
@click.option("--admin-email", required=True)
@click.option("--admin-password", required=True, envvar="DIRECTUS_ADMIN_PASSWORD",
              help="Or the environment variable DIRECTUS_ADMIN_PASSWORD.")
@click.option("--engine-url", default="http://127.0.0.1:8000", show_default=True,
              help="Where Directus' hooks reach the engine.")
@click.option("--env-file", type=click.Path(path_type=Path), default=Path("instance/directus.env"), show_default=True,
              help="Where the engine's CABINET_DIRECTUS_* settings are written (and read by later runs).")
@click.option("--import", "import_path", type=click.Path(exists=True, path_type=Path),
              default=Path("cabinet_schemas/demo"), show_default=True,
              help="The YAML cabinet to start from when Directus has none.")
@click.option("--no-import", is_flag=True, help="Do not import a cabinet.")
@click.option("--extensions-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Directus' EXTENSIONS_PATH, to install the built extension bundle into.")
@click.option("--public-url", help="The address operators open Directus at (default: --url).")
@click.option("--engine-public-url", help="The address operators' browsers open the engine at, for the "
                                          "preview (default: --engine-url).")
def directus_provision(url, admin_email, admin_password, engine_url, env_file, import_path, no_import,
                       extensions_dir, public_url, engine_public_url) -> None:
    """Make a Directus ready to design cabinets in: data model, access for the engine, preview,
    the extension and the demo cabinet. Running it again changes nothing."""
    from .directus.client import DirectusError
    from .directus.provision import ProvisionError, provision
    from .directus.transfer import ImportRefused

    try:
        result = provision(url, admin_email, admin_password, env_file, engine_url,
                           None if no_import else import_path, extensions_dir, public_url, click.echo,
                           engine_public_url)
    except (ProvisionError, ImportRefused, DirectusError) as exc:
        click.echo(f"provision failed: {exc}", err=True)
        sys.exit(1)
    click.echo("changed: " + (", ".join(result.changed) if result.changed else "nothing"))


@directus.command("studio")
@click.option("--directus-port", default=8055, show_default=True, type=click.IntRange(1, 65535))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address the engine listens on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="The engine's port.")
def directus_studio(directus_port: int, host: str, port: int) -> None:
    """Run a local Directus (provisioned with the demo cabinet) and the engine serving it, with the
    live preview: the operator's whole loop without Docker (`make studio`)."""
    from .directus import studio
    from .directus.client import DirectusError
    from .directus.local import LocalDirectusError
    from .directus.provision import ProvisionError

    with _local_run("studio", LocalDirectusError, ProvisionError, DirectusError):
        studio.run(studio.default_folder(), directus_port, host, port, click.echo)


@contextmanager
def _local_run(command: str, *failures: type[Exception]) -> Iterator[None]:
    """Components run on this machine: their known failures, or an invalid cabinet in Directus,
    end the command with exit 1 and what went wrong."""
    caught: tuple[type[Exception], ...] = (*failures, ConfigError)
    try:
        yield
    except caught as exc:
        click.echo(f"{command} failed: {exc}", err=True)
        sys.exit(1)
    except SchemaInvalid as exc:
        click.echo("The cabinet in Directus is not valid; not starting.", err=True)
        _print_issues(exc)
        sys.exit(1)


@main.command("stack")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address the engine listens on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="The engine's port.")
@click.option("--directus-port", default=8055, show_default=True, type=click.IntRange(1, 65535))
@click.option("--keycloak-port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option("--keycloak-management-port", default=9000, show_default=True, type=click.IntRange(1, 65535),
              help="Keycloak's health checks.")
@click.option("--database", default="cabinet_stack", show_default=True, help="The engine's PostgreSQL database.")
def stack(host: str, port: int, directus_port: int, keycloak_port: int, keycloak_management_port: int,
          database: str) -> None:
    """Run the whole product on this machine without Docker: PostgreSQL, Redis, Keycloak, Directus
    and the engine, and print their addresses (`make stack`)."""
    from . import stack as whole
    from .directus.client import DirectusError
    from .directus.local import LocalDirectusError
    from .directus.provision import ProvisionError
    from .keycloak_server.local import LocalKeycloakError

    ports = whole.Ports(port, directus_port, keycloak_port, keycloak_management_port)
    with _local_run("stack", whole.StackError, LocalKeycloakError, LocalDirectusError, ProvisionError, DirectusError):
        whole.run(whole.default_folder(), host, ports, click.echo, database)


@directus.command("snapshot")
@click.option("--url", required=True, help="An EMPTY scratch Directus to build the model in.")
@click.option("--admin-email", required=True)
@click.option("--admin-password", required=True, envvar="DIRECTUS_ADMIN_PASSWORD")
def directus_snapshot(url, admin_email, admin_password) -> None:
    """Rebuild directus_extensions/snapshot.json from engine/directus/model.py (after adding a kind,
    an operation or a handler: their dropdowns list the registries)."""
    from .directus import snapshot
    from .directus.client import DirectusClient, DirectusError
    from .directus.model import cabinet_model
    from .kinds import field_kind_registry, section_kind_registry
    from .web.handlers import handler_registry

    client = DirectusClient(url)
    try:
        client.login(admin_email, admin_password)
        model = cabinet_model(field_kind_registry().names(), section_kind_registry().names(),
                              handler_registry().names())
        snapshot.build(client, model, click.echo)
        snapshot.write(snapshot.take(client))
    except DirectusError as exc:
        click.echo(f"snapshot failed: {exc}", err=True)
        sys.exit(1)
    click.echo(f"wrote {snapshot.SNAPSHOT_FILE}")


@main.command("export")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--drafts", is_flag=True, help="Include draft screens as published.")
def export_command(folder: Path, drafts: bool) -> None:
    """Write the cabinet from Directus (CABINET_DIRECTUS_URL, CABINET_DIRECTUS_TOKEN) to FOLDER as
    YAML, with its media; `cabinet validate FOLDER` and CABINET_SCHEMAS=FOLDER take it back."""
    from .directus.client import DirectusClient, DirectusError
    from .directus.transfer import export_cabinet

    settings = _settings_or_exit()
    if not settings.directus_url:
        click.echo("CABINET_DIRECTUS_URL: set it (and CABINET_DIRECTUS_TOKEN) to export from Directus", err=True)
        sys.exit(2)
    client = DirectusClient(settings.directus_url, settings.directus_token)
    try:
        export_cabinet(client, folder, drafts, click.echo)
    except DirectusError as exc:
        click.echo(f"export failed: {exc}", err=True)
        sys.exit(1)
    finally:
        client.close()


def _register_users() -> None:
    from .users_cli import users     # its own module: one command group, one job

    main.add_command(users)


_register_users()

if __name__ == "__main__":
    main()
