"""``cabinet users``: the people who sign in, and which subscriber or dealer of the billing each
one is. Local users live in the engine's database; with Keycloak the link is the user's
``subscriber_id`` / ``dealer_id`` attribute, which the realm puts in the token (the claims named
by CABINET_KEYCLOAK_SUBSCRIBER_CLAIM / _DEALER_CLAIM). Passwords come from the environment or a
prompt, never the command line (``ps`` shows it)."""
from __future__ import annotations

import os
import sys

import click

ROLES = ("subscriber", "dealer", "operator")
PASSWORD_VARIABLE = "CABINET_USER_PASSWORD"


def _store():
    from .cli import _settings_or_exit
    from .state import Database
    from .state.users import UserStore

    settings = _settings_or_exit()
    db = Database(settings.database_url)
    db.migrate()
    return UserStore(db)


@click.group("users")
def users() -> None:
    """People who sign in, and the subscriber or dealer of the billing each one is."""


@users.command("add")
@click.argument("login")
@click.option("--name", default="", help="The name the cabinet greets the person by.")
@click.option("--role", "roles", multiple=True, type=click.Choice(ROLES), default=("subscriber",), show_default=True,
              help="Repeat for several roles.")
@click.option("--subscriber-id", help="The billing's subscriber this person is.")
@click.option("--dealer-id", help="The billing's dealer this person is.")
def users_add(login: str, name: str, roles: tuple[str, ...], subscriber_id: str | None,
              dealer_id: str | None) -> None:
    """Add a local user (the password from CABINET_USER_PASSWORD, or asked for)."""
    from sqlalchemy.exc import IntegrityError

    password = os.environ.get(PASSWORD_VARIABLE) or click.prompt("Password", hide_input=True,
                                                                 confirmation_prompt=True)
    if len(password) < 8:
        click.echo("the password must have at least 8 characters", err=True)
        sys.exit(2)
    if "subscriber" in roles and not subscriber_id:
        click.echo("a subscriber needs --subscriber-id: which subscriber of the billing this person is", err=True)
        sys.exit(2)
    if "dealer" in roles and not dealer_id:
        click.echo("a dealer needs --dealer-id: which dealer of the billing this person is", err=True)
        sys.exit(2)
    try:
        _store().add(login, password, name, roles, subscriber_id, dealer_id)
    except IntegrityError:
        click.echo(f"there is a user {login!r} already: link it with `cabinet users link`", err=True)
        sys.exit(1)
    click.echo(f"added {login} ({', '.join(sorted(roles))})")


@users.command("link")
@click.argument("login")
@click.option("--subscriber-id", help="The billing's subscriber (\"\" unlinks).")
@click.option("--dealer-id", help="The billing's dealer (\"\" unlinks).")
@click.option("--keycloak", "in_keycloak", is_flag=True,
              help="The user is Keycloak's: set its attributes there (admin from CABINET_KEYCLOAK_ADMIN_USER and "
                   "CABINET_KEYCLOAK_ADMIN_PASSWORD, a user of the master realm).")
def users_link(login: str, subscriber_id: str | None, dealer_id: str | None, in_keycloak: bool) -> None:
    """Link LOGIN to a subscriber and/or dealer of the billing."""
    if subscriber_id is None and dealer_id is None:
        click.echo("give --subscriber-id and/or --dealer-id", err=True)
        sys.exit(2)
    if in_keycloak:
        _link_in_keycloak(login, subscriber_id, dealer_id)
    else:
        try:
            _store().link(login, subscriber_id, dealer_id)
        except KeyError:
            click.echo(f"no local user {login!r} (add one with `cabinet users add`, or give --keycloak)", err=True)
            sys.exit(1)
    click.echo(f"linked {login}: " + ", ".join(f"{name} {value or '(none)'}" for name, value in
                                                (("subscriber", subscriber_id), ("dealer", dealer_id))
                                                if value is not None))


@users.command("list")
def users_list() -> None:
    """The local users with their roles and links."""
    for user in _store().all():
        click.echo(f"{user.login:20} {user.roles:25} subscriber={user.subscriber_id or '-'} "
                   f"dealer={user.dealer_id or '-'}  {user.name}")


def _link_in_keycloak(login: str, subscriber_id: str | None, dealer_id: str | None) -> None:
    from keycloak import KeycloakAdmin
    from keycloak.exceptions import KeycloakError

    from .cli import _settings_or_exit

    settings = _settings_or_exit()
    admin_user, admin_password = (os.environ.get("CABINET_KEYCLOAK_ADMIN_USER"),
                                  os.environ.get("CABINET_KEYCLOAK_ADMIN_PASSWORD"))
    if not settings.keycloak_url or not admin_user or not admin_password:
        click.echo("set CABINET_KEYCLOAK_URL, CABINET_KEYCLOAK_REALM, CABINET_KEYCLOAK_ADMIN_USER and "
                   "CABINET_KEYCLOAK_ADMIN_PASSWORD", err=True)
        sys.exit(2)
    try:
        admin = KeycloakAdmin(server_url=settings.keycloak_url, username=admin_user, password=admin_password,
                              realm_name=settings.keycloak_realm, user_realm_name="master", timeout=20)
        user_id = admin.get_user_id(login)
        if user_id is None:
            click.echo(f"Keycloak's realm {settings.keycloak_realm!r} has no user {login!r}", err=True)
            sys.exit(1)
        user = admin.get_user(user_id)
        attributes = dict(user.get("attributes") or {})
        for attribute, value in ((settings.keycloak_subscriber_claim, subscriber_id),
                                 (settings.keycloak_dealer_claim, dealer_id)):
            if value == "":
                attributes.pop(attribute, None)
            elif value is not None:
                attributes[attribute] = [value]
        # the whole representation back: Keycloak's user profile drops what a partial update leaves out
        admin.update_user(user_id, {**user, "attributes": attributes})
    except (KeycloakError, OSError) as exc:
        click.echo(f"Keycloak refused the change: {exc}", err=True)
        sys.exit(1)
