"""Directus 12.4.0 as the operator's designer, for real: provisioning, the cabinet read from it,
validation and change notification through the extension's hooks, drafts and the preview, and
the engine starting without Directus. One Directus for the module (it takes seconds to start)."""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import requests
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from engine.directus.client import DirectusClient, DirectusError
from engine.directus.transfer import export_cabinet
from engine.web import create_app
from engine.web.preview import make_token
from tests.conftest import html_text, new_postgres_database, page_text, sign_in
from tests.support.directus import studio
from tests.support.serving import ThreadedServer

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def designer(tmp_path_factory):
    with studio(tmp_path_factory.mktemp("studio")) as running:
        yield running


@pytest.fixture(scope="module")
def engine_database():
    """The engine's own database: its outbox holds letters no other test's app may deliver."""
    with new_postgres_database("cabinet_directus") as url:
        yield url


@pytest.fixture(scope="module")
def engine(designer, tmp_path_factory, engine_database):
    """The engine in Directus mode, served where Directus' hooks call it; polling is off, so a
    change shows only through the hooks' notification."""
    folder = tmp_path_factory.mktemp("engine")
    app = create_app(instance_dir=folder, database_url=engine_database, cookie_secure=False, demo_users=True,
                     public_url=designer.engine_url, directus_poll_seconds=3600,
                     binding_options={"database_url": f"sqlite:///{folder / 'billing.sqlite'}"}, **designer.settings)
    app.config["TESTING"] = True
    server = ThreadedServer(app, designer.engine_port, threads=4)
    yield app
    server.close()
    app.extensions["cabinet"].close()


@pytest.fixture(scope="module")
def admin(designer):
    client = DirectusClient(designer.directus.url)
    client.login(designer.directus.admin_email, designer.directus.admin_password)
    yield client
    client.close()


def subscriber(app):
    client = app.test_client()
    sign_in(client)
    return client


def test_provisioning_again_changes_nothing(designer):
    assert any("cabinet: imported" in line for line in designer.provision_lines)
    lines: list[str] = []
    result = designer.provision(lines)
    assert result.changed == [], lines
    assert "data model: up to date" in lines and "cabinet: has screens already, nothing imported" in lines


def test_the_engine_user_reads_the_cabinet_and_writes_only_submissions(designer, engine, admin):
    engine_user = DirectusClient(designer.directus.url, designer.settings["directus_token"])
    assert engine_user.get("/items/cabinet_screens", {"limit": 1})                  # it reads
    with pytest.raises(DirectusError) as refused:
        engine_user.patch("/items/cabinet_screens/home", {"route": "/x"})            # it never edits the design
    assert refused.value.status == 403
    engine_user.post("/items/cabinet_support_requests", {"email": "a@example.org", "message": "written by the engine"})
    assert admin.get("/items/cabinet_support_requests", {"filter[message][_eq]": "written by the engine"})
    with pytest.raises(DirectusError) as unread:
        engine_user.get("/items/cabinet_support_requests")                            # it cannot read them back
    assert unread.value.status == 403
    engine_user.close()


def test_every_screen_from_directus_is_the_yaml_cabinets_screen(engine, make_app):
    yaml_app = make_app()
    from_directus, from_yaml = subscriber(engine), subscriber(yaml_app)
    cabinet = engine.extensions["cabinet"].cabinet
    compared = 0
    for screen in cabinet.screens.values():
        if screen.route_params or "subscriber" not in screen.roles:
            continue
        ours = from_directus.get(f"/api/v1/screens/{screen.id}").get_json()
        theirs = from_yaml.get(f"/api/v1/screens/{screen.id}").get_json()
        assert _without_media(ours) == _without_media(theirs), screen.id
        compared += 1
    assert compared >= 12


def _without_media(value):
    """Media addresses differ (Directus files), and each form's one-time key and the session's CSRF token."""
    if isinstance(value, dict):
        return {k: ("…" if k in ("_key", "csrf_token") else _without_media(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_media(v) for v in value]
    return "/media/…" if isinstance(value, str) and value.startswith("/media/") else value


def eventually(get, ready, seconds: float = 30):
    """What ``get`` returns once ``ready`` says so (a change notification is on its way)."""
    deadline = time.monotonic() + seconds
    while True:
        result = get()
        if ready(result):
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"not ready after {seconds} s")
        time.sleep(0.05)


def _balance_label(admin) -> dict:
    [section] = admin.get("/items/cabinet_sections", {"filter[shared_key][_eq]": "account_summary", "fields": "id"})
    fields = admin.get("/items/cabinet_fields", {"filter[section][_eq]": section["id"], "fields": "id,key,label"})
    return next(f for f in fields if f["key"] == "balance")


def test_a_label_edited_in_directus_shows_to_subscribers_without_a_restart(engine, admin):
    # polling is off (the engine fixture): only the hook's notification can bring the change;
    # how soon it shows is bench/directus_edits.py's to measure, not a test's
    field = _balance_label(admin)
    client = subscriber(engine)
    assert "Баланс" in page_text(client.get("/"))
    admin.patch(f"/items/cabinet_fields/{field['id']}", {"label": [{"locale": "ru", "text": "Остаток на счёте"},
                                                                   {"locale": "en", "text": "Balance left"}]})
    _wait_for_text(client, "Остаток на счёте")
    admin.patch(f"/items/cabinet_fields/{field['id']}", {"label": field["label"]})
    _wait_for_text(client, "Баланс")         # the next test starts from the cabinet as it was


def _wait_for_text(client, text: str, seconds: float = 30) -> None:
    """Until the engine has reloaded a change (the hook's notice arrives after Directus answers)."""
    deadline = time.monotonic() + seconds
    while text not in page_text(client.get("/")):
        assert time.monotonic() < deadline, f"the subscriber page did not show {text!r} within {seconds} s"
        time.sleep(0.05)


def test_an_invalid_change_is_refused_with_the_engines_message_and_nothing_changes(engine, admin):
    field = _balance_label(admin)
    _wait_for_text(subscriber(engine), "Баланс")
    version = engine.extensions["cabinet"].cabinet.version
    with pytest.raises(DirectusError) as refused:
        admin.patch(f"/items/cabinet_fields/{field['id']}", {"value": "acount.balance"})
    message = str(refused.value)
    assert "unknown data source 'acount'" in message and f"cabinet_fields #{field['id']} (value)" in message
    assert admin.get(f"/items/cabinet_fields/{field['id']}", {"fields": "value"})["value"] == "account.balance"
    assert engine.extensions["cabinet"].cabinet.version == version
    assert "-412,50" in page_text(subscriber(engine).get("/"))


def test_a_draft_screen_is_seen_in_the_preview_only(engine, admin, designer):
    admin.post("/items/cabinet_screens", {
        "id": "winter_promo", "status": "draft", "route": "/promo", "roles": ["subscriber"],
        "title": [{"locale": "ru", "text": "Зимняя акция"}, {"locale": "en", "text": "Winter offer"}],
        "sections": [{"type": "content", "key": "offer", "body": [{"locale": "ru", "text": "Скидка **20 %** на роутеры"},
                                                                  {"locale": "en", "text": "**20 %** off routers"}]}]})
    client = subscriber(engine)
    assert client.get("/promo").status_code == 404                        # subscribers never see a draft
    token = make_token(designer.settings["directus_secret"])
    preview = requests.get(f"{designer.engine_url}/preview/cabinet_screens/winter_promo", params={"token": token},
                           timeout=10)
    assert preview.status_code == 200 and "Скидка" in html_text(preview.text) and "Зимняя акция" in preview.text
    assert f"frame-ancestors {designer.directus.url}" in preview.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in preview.headers
    assert 'data-directus="collection:cabinet_screens;item:winter_promo;fields:title"' in preview.text
    # without a token the engine asks Directus' extension for one: only a signed-in operator gets it
    anonymous = requests.get(f"{designer.engine_url}/preview/cabinet_screens/winter_promo", timeout=10)
    assert anonymous.status_code == 403 and anonymous.url.startswith(designer.directus.url + "/cabinet-engine/preview/")
    to_directus = requests.get(f"{designer.engine_url}/preview/cabinet_screens/winter_promo", timeout=10,
                               allow_redirects=False).headers["Location"]
    back = requests.get(to_directus, headers={"Authorization": admin.http.session.headers["Authorization"]}, timeout=10,
                        allow_redirects=False).headers["Location"]
    assert back.startswith(f"{designer.engine_url}/preview/cabinet_screens/winter_promo?token=v1.")
    assert "Скидка" in html_text(requests.get(back, timeout=10).text)
    expired = make_token(designer.settings["directus_secret"], seconds=-1)
    assert requests.get(f"{designer.engine_url}/preview/cabinet_screens/winter_promo", params={"token": expired},
                        timeout=10).status_code == 403
    admin.patch("/items/cabinet_screens/winter_promo", {"status": "published"})
    eventually(lambda: client.get("/promo"), lambda r: "Скидка" in page_text(r))   # published: now it is live


def test_news_with_the_word_errors_html_and_a_script_renders_safely(engine, admin):
    body = "Слово errors, <b>жирный</b> и <script>alert('x')</script> **markdown**"
    admin.post("/items/cabinet_news", {
        "id": "errors-report", "status": "published", "date": "2026-11-22",
        "title": [{"locale": "ru", "text": "Отчёт: errors <b>и</b> сбои"}, {"locale": "en", "text": "Report: errors"}],
        "body": [{"locale": "ru", "text": body}, {"locale": "en", "text": body}]})
    client = subscriber(engine)
    response = eventually(lambda: client.get("/news/errors-report"), lambda r: "Слово errors" in page_text(r))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<script>alert" not in html                                     # the script is gone
    assert "&lt;b&gt;и&lt;/b&gt;" in html                                   # a title is text, HTML shown as such
    assert "errors" in page_text(response) and "<strong>markdown</strong>" in html


def test_submissions_reach_directus(engine, admin):
    client = engine.test_client()
    page = client.get("/support").get_data(as_text=True)
    from tests.conftest import action_forms
    form = {**action_forms(page, "support_request")[0], "email": "guest@example.org", "message": "Из Directus-теста"}
    client.post("/actions/support_request", data=form)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        found = admin.get("/items/cabinet_support_requests", {"filter[message][_eq]": "Из Directus-теста"})
        if found:
            assert found[0]["email"] == "guest@example.org" and found[0]["state"] == "new"
            return
        time.sleep(0.2)
    pytest.fail("the support request did not reach Directus in 15 s")


def test_the_engine_restarts_without_directus_and_serves_the_last_good_cabinet(engine, engine_database):
    instance = Path(engine.extensions["cabinet"].settings.instance_dir)
    version = engine.extensions["cabinet"].cabinet.version
    settings = dict(engine.extensions["cabinet"].settings.__dict__)
    restarted = create_app(instance_dir=instance, database_url=engine_database, cookie_secure=False, demo_users=True,
                           binding_options=settings["binding_options"], directus_url="http://127.0.0.1:9",
                           directus_token=settings["directus_token"], directus_secret=settings["directus_secret"])
    assert restarted.extensions["cabinet"].cabinet.version == version
    assert "-412,50" in page_text(subscriber(restarted).get("/"))
    restarted.extensions["cabinet"].close()


def test_export_writes_a_yaml_cabinet_that_validates(admin, tmp_path):
    from click.testing import CliRunner

    from engine.cli import main
    export_cabinet(admin, tmp_path / "exported")
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "exported")])
    assert result.exit_code == 0, result.output
    assert "valid." in result.output
    assert list((tmp_path / "exported" / "media").iterdir())                    # the news picture came along


def test_the_status_endpoint_of_the_extension_reports_the_engine(engine, admin, designer):
    status = admin.get("/cabinet-engine/status")
    assert status["version"] == engine.extensions["cabinet"].cabinet.version
    assert status["billing"]["binding"] == "demo"


def test_provision_explains_a_wrong_password_and_an_unreachable_directus(designer, tmp_path):
    from click.testing import CliRunner

    from engine.cli import main
    wrong = CliRunner().invoke(main, ["directus", "provision", "--url", designer.directus.url, "--admin-email",
                                      designer.directus.admin_email, "--admin-password", "not-it",
                                      "--env-file", str(tmp_path / "x.env")])
    assert wrong.exit_code == 1 and "wrong e-mail or password" in wrong.output
    gone = CliRunner().invoke(main, ["directus", "provision", "--url", "http://127.0.0.1:9", "--admin-email",
                                     "a@example.org", "--admin-password", "x", "--env-file", str(tmp_path / "x.env")])
    assert gone.exit_code == 1 and "cannot be reached" in gone.output


# --- in the Directus app (Chromium) -----------------------------------------------------------------
def _directus_page(chromium, designer, path: str):
    context = chromium.new_context(viewport={"width": 1400, "height": 900}, locale="ru-RU")
    # the licence prompts a new Directus shows an admin remember their dismissal in these cookies;
    # set up front, no prompt can cover a button the test clicks, however late it would appear
    context.add_cookies([{"name": name, "value": "true", "url": designer.directus.url} for name in
                         ("license-banner-dismissed", "license-onboarding-dismissed", "license-login-modal-dismissed")])
    page = context.new_page()
    page.goto(designer.directus.url + "/admin/login")
    page.fill("input[type=email]", designer.directus.admin_email)
    page.fill("input[type=password]", designer.directus.admin_password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/admin/" in url and "/login" not in url, timeout=30000)   # signed in
    page.goto(designer.directus.url + path)
    return context, page


def _engine_frame(page, designer, seconds: float = 15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for frame in page.frames:
            if frame.url.startswith(designer.engine_url + "/preview/") and "token=" in frame.url:
                try:
                    frame.wait_for_selector("h1.page-title", timeout=2000)
                    return frame
                except Exception:                      # noqa: BLE001 — still loading
                    pass
        page.wait_for_timeout(200)
    pytest.fail(f"no preview frame of the engine in the Directus app; frames: {[f.url for f in page.frames]}")


def test_the_live_preview_in_the_directus_app_shows_the_engines_page(chromium, designer, engine):
    context, page = _directus_page(chromium, designer, "/admin/content/cabinet_screens/home")
    try:
        page.locator('header button:has(i[data-icon="visibility"])').click()
        frame = _engine_frame(page, designer)
        assert frame.locator("h1.page-title").inner_text() == "Главная"
        assert "-412,50" in frame.locator(".section--balance_card").inner_text()      # the demo subscriber's data
    finally:
        context.close()


def test_a_label_is_edited_in_place_through_the_visual_editor(chromium, designer, engine, admin):
    context, page = _directus_page(chromium, designer, "/admin/visual")
    old = ""
    try:
        frame = _engine_frame(page, designer)
        page.locator('button:has(i[data-icon="edit"])').first.click()               # editing on
        frame.wait_for_selector("#directus-visual-editing", state="attached", timeout=10000)
        target = frame.locator('[data-directus*="collection:cabinet_fields;"]').first
        row = page.get_by_text(re.compile(r"^ru: ")).first                            # the drawer of that field
        deadline = time.monotonic() + 60
        while True:
            # through the overlay; a click before the editor has wired the overlay opens nothing: again
            box = target.bounding_box()
            page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            try:
                row.wait_for(timeout=5000)
                break
            except PlaywrightTimeout:
                assert time.monotonic() < deadline, "the field's drawer did not open in the Directus app"
        old = row.inner_text()[len("ru: "):]
        assert old in frame.locator("main").inner_text()
        row.click()
        page.locator("textarea").last.fill("Изменено в редакторе")
        page.get_by_role("button", name="Save").last.click()                         # the language row
        page.get_by_role("button", name="Save").last.click()                         # the item
        deadline = time.monotonic() + 60
        while "Изменено в редакторе" not in _engine_frame(page, designer).locator("main").inner_text():
            assert time.monotonic() < deadline, "the preview did not show the edited label"
            page.wait_for_timeout(200)
        eventually(lambda: subscriber(engine).get("/"), lambda r: "Изменено в редакторе" in page_text(r))
    finally:
        context.close()
        for item in admin.get("/items/cabinet_fields", {"fields": "id,label", "limit": -1}):
            if any(row.get("text") == "Изменено в редакторе" for row in item.get("label") or []):
                restored = [dict(r, text=old) if r.get("text") == "Изменено в редакторе" else r for r in item["label"]]
                admin.patch(f"/items/cabinet_fields/{item['id']}", {"label": restored})
