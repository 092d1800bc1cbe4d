"""``cabinet users``: adding local users and linking people to the billing's subscribers."""
from __future__ import annotations

from click.testing import CliRunner

from engine.cli import main

from .conftest import page_text, sign_in


def run(args, database_url: str, instance, **env):
    environ = {"CABINET_DATABASE_URL": database_url, "CABINET_INSTANCE_DIR": str(instance), **env}
    return CliRunner().invoke(main, ["users", *args], env=environ)


def test_a_local_user_is_added_linked_and_signs_in_as_that_subscriber(make_app, fresh_postgres_url, tmp_path):
    instance = tmp_path / "cli"
    added = run(["add", "maria", "--name", "Мария", "--subscriber-id", "sub-1001"], fresh_postgres_url, instance,
                CABINET_USER_PASSWORD="maria-secret")
    assert added.exit_code == 0, added.output
    relinked = run(["link", "maria", "--subscriber-id", "sub-1002"], fresh_postgres_url, instance)
    assert relinked.exit_code == 0 and "subscriber sub-1002" in relinked.output
    listed = run(["list"], fresh_postgres_url, instance)
    assert "maria" in listed.output and "subscriber=sub-1002" in listed.output
    assert "maria-secret" not in listed.output + added.output

    client = make_app(database_url=fresh_postgres_url, demo_users=False).test_client()
    assert sign_in(client, "maria", "maria-secret").status_code == 302
    home = page_text(client.get("/"))
    assert "108900" in home and "108842" not in home


def test_users_are_refused_with_a_reason(fresh_postgres_url, tmp_path):
    instance = tmp_path / "cli"
    no_link = run(["add", "oleg"], fresh_postgres_url, instance, CABINET_USER_PASSWORD="oleg-secret")
    assert no_link.exit_code == 2 and "--subscriber-id" in no_link.output
    short = run(["add", "oleg", "--subscriber-id", "sub-1001"], fresh_postgres_url, instance,
                CABINET_USER_PASSWORD="short")
    assert short.exit_code == 2 and "8 characters" in short.output
    unknown = run(["link", "nobody", "--subscriber-id", "sub-1001"], fresh_postgres_url, instance)
    assert unknown.exit_code == 1 and "no local user 'nobody'" in unknown.output
    nothing = run(["link", "nobody"], fresh_postgres_url, instance)
    assert nothing.exit_code == 2
