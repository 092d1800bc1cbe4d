"""Shared fixtures. Tests use the real components: PostgreSQL for the engine's state, real
waitress for the served demo. A missing component fails the test with what to start, never skips."""
from __future__ import annotations

import re
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

from engine.web import create_app

ROOT = Path(__file__).resolve().parent.parent
DEMO_SCHEMAS = ROOT / "cabinet_schemas" / "demo"
POSTGRES_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"


def demo_copy(folder: Path, edits: dict[str, tuple[str, str]] | None = None) -> Path:
    """The demo cabinet copied to ``folder``, with each edit made in its file (a path inside the
    cabinet -> the text to replace, and its replacement; the text must be there, once)."""
    import shutil

    shutil.copytree(DEMO_SCHEMAS, folder)
    for name, (old, new) in (edits or {}).items():
        path = folder / name
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{name} holds {text.count(old)} times what this edit replaces: {old!r}"
        path.write_text(text.replace(old, new), encoding="utf-8")
    return folder


@contextmanager
def new_postgres_database(prefix: str):
    """Create a PostgreSQL database with a unique name; drop it on exit."""
    import psycopg2

    try:
        admin = psycopg2.connect(POSTGRES_ADMIN_DSN, connect_timeout=5)
    except psycopg2.OperationalError as exc:
        pytest.fail(f"PostgreSQL is required at 127.0.0.1:5432 (user postgres, trust auth); `make services` "
                    f"(scripts/ensure-services.sh) installs and starts it. Error: {exc}")
    admin.autocommit = True
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="session")
def postgres_url():
    """A PostgreSQL database for the engine's state, shared by this test session."""
    with new_postgres_database("cabinet_test") as url:
        yield url


@pytest.fixture
def fresh_postgres_url():
    """A PostgreSQL database of one test's own."""
    with new_postgres_database("cabinet_fresh") as url:
        yield url


@pytest.fixture
def make_app(tmp_path, postgres_url):
    """Build an app on the demo schemas with its own instance folder; keyword arguments override settings."""
    apps = []

    def factory(**overrides):
        settings = dict(
            instance_dir=tmp_path / f"instance{len(apps)}",
            schemas=DEMO_SCHEMAS,
            database_url=postgres_url,
            cookie_secure=False,
            demo_users=True,
            public_url="https://lk.demo-telecom.example",
            binding_options={"database_url": f"sqlite:///{tmp_path / 'demo-billing.sqlite'}"},
        )
        settings.update(overrides)
        app = create_app(**settings)
        app.config["TESTING"] = True
        apps.append(app)
        return app

    yield factory
    for app in apps:
        app.extensions["cabinet"].close()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no csrf_token in the page"
    return match.group(1)


def hidden_inputs(html: str) -> dict:
    """The hidden fields of an HTML fragment, as a form would post them."""
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))


def action_forms(html: str, action: str) -> list[dict]:
    """The hidden fields of every form on the page that posts to ``action``."""
    parts = html.split(f'action="/actions/{action}"')[1:]
    return [hidden_inputs(part.split("</form>", 1)[0]) for part in parts]


def sign_in(client, username="demo1", password="demo1"):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def page_text(response) -> str:
    """The visible text of an HTML response, whitespace collapsed (for assertions on wording)."""
    return html_text(response.get_data(as_text=True))


def html_text(html: str) -> str:
    """The visible text of an HTML page, whitespace collapsed (non-breaking spaces kept)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", html).replace("&nbsp;", "\u00a0")
    import html as html_lib
    return re.sub(r"[ \t\r\n]+", " ", html_lib.unescape(text))


@pytest.fixture
def signed_in(client):
    response = sign_in(client)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1 collecting what the engine sends."""
    from tests.support.smtp import Inbox, SmtpServer

    server = SmtpServer(Inbox()).start()
    yield server
    server.stop()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright (`make browser` installs it)."""
    import os

    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium is required at {CHROMIUM} for the browser tests: run `make browser` "
                    f"(apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


@pytest.fixture
def browser_page(chromium):
    """Open pages in new Chromium contexts: ``browser_page("phone", locale="ru-RU")``. Each context has
    axe-core injected (tests/support/axe.py), its own cookies, and is closed after the test."""
    from tests.support.axe import axe_script_path

    contexts = []

    def open_page(viewport: str = "phone", locale: str = "ru-RU", javascript: bool = True,
                  color_scheme: str = "light"):
        phone = viewport == "phone"
        context = chromium.new_context(viewport=VIEWPORTS[viewport], locale=locale, color_scheme=color_scheme,
                                       java_script_enabled=javascript, is_mobile=phone, has_touch=phone)
        context.set_default_timeout(15_000)
        if javascript:
            context.add_init_script(path=axe_script_path())
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def served_demo(fresh_postgres_url, make_app):
    """The demo cabinet served for real by waitress (with its in-process sandbox acquirer): (base URL, app)."""
    from tests.support.processes import free_port
    from tests.support.serving import ThreadedServer

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app = make_app(public_url=base, database_url=fresh_postgres_url)
    server = ThreadedServer(app, port, threads=6)
    yield base, app
    payments = app.extensions["cabinet"].payments
    if payments is not None:
        payments.gateway.close()     # its keep-alive connection to this very server would hold it open
    server.close()
