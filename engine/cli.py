"""The ``cabinet`` command."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from . import __version__
from .config import ConfigError
from .schema import SchemaInvalid


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
def validate(path: Path, binding: str) -> None:
    """Validate the cabinet schema at PATH (a folder with cabinet.yaml, or one YAML file).

    Prints every problem as file:line: path: message and exits 1, or a summary and exits 0.
    """
    from .billing import binding_registry, resolve_binding
    from .billing.contract import capabilities_of
    from .kinds import field_kind_registry, section_kind_registry
    from .schema import YamlSource, load_cabinet
    from .web.handlers import handler_operations, handler_registry

    try:
        binding_cls = resolve_binding(binding_registry(), binding)
    except LookupError as exc:
        raise click.BadParameter(str(exc), param_hint="--binding") from None
    try:
        cabinet = load_cabinet(YamlSource(path), field_kind_registry(), section_kind_registry(),
                               capabilities_of(binding_cls), f"the billing binding {binding!r}",
                               handler_operations(handler_registry()))
    except SchemaInvalid as exc:
        _print_issues(exc)
        sys.exit(1)
    click.echo(f"{path}: valid. {len(cabinet.screens)} screens, {len(cabinet.actions)} actions, "
               f"locales {', '.join(cabinet.operator.locales)}; billing operations used: "
               f"{', '.join(sorted(cabinet.operations_used))}.")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--schemas", type=click.Path(exists=True, path_type=Path),
              help="Cabinet schema folder (default: CABINET_SCHEMAS or cabinet_schemas/demo).")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256), help="waitress worker threads.")
def serve(host: str, port: int, schemas: Path | None, threads: int) -> None:
    """Serve the cabinet with waitress."""
    import waitress

    from .web import create_app

    overrides = {"schemas": schemas} if schemas else {}
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
    waitress.serve(app, host=host, port=port, threads=threads, ident="cabinet")


@main.command("payment-link")
@click.argument("account_id")
def payment_link_command(account_id: str) -> None:
    """Print a signed link that lets anyone holding it pay into ACCOUNT_ID without signing in
    (for suspension letters). It expires after CABINET_PAYMENT_LINK_DAYS days."""
    from .config import load_settings
    from .web.payment_links import payment_link

    try:
        settings = load_settings()
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    if not settings.public_url:
        click.echo("CABINET_PUBLIC_URL: set it to the address subscribers open the cabinet at", err=True)
        sys.exit(2)
    click.echo(payment_link(settings.secret_key, settings.public_url, account_id))


if __name__ == "__main__":
    main()
