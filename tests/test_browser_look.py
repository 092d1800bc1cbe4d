"""The cabinet as a person sees it, in Chromium: accessibility (axe-core on every screen, in ru and en,
at a phone's size and a desktop's), keyboard use, touch targets, dark mode, right-to-left, and the
core flows with JavaScript off. The flows themselves, step by step, are in test_browser_flows.py."""
from __future__ import annotations

import re
import shutil
from decimal import Decimal

import pytest

from tests.conftest import ROOT, VIEWPORTS
from tests.support.axe import assert_accessible
from tests.support.processes import free_port
from tests.support.screens import crawl, screens_for
from tests.support.serving import ThreadedServer

SIGN_IN_PAGES = ("/login", "/password/forgot")
SKIP = {"ru": "Пропустить", "en": "Skip"}


def sign_in(page, base, login="demo1", language="ru"):
    """The password form, then past the quick-code offer (its own page is checked separately)."""
    page.goto(base + "/login")
    page.locator("input[name=username]").fill(login)
    page.locator("input[name=password]").fill(login)
    page.locator("form button[type=submit]").first.click()
    if "/quick-code/setup" in page.url:
        page.get_by_role("button", name=SKIP[language]).click()
    assert "/login" not in page.url, f"{login} could not sign in: {page.url}"


# --- axe on every screen ------------------------------------------------------------------------
@pytest.mark.parametrize("viewport", ["phone", "desktop"])
@pytest.mark.parametrize("language", ["ru", "en"])
def test_every_screen_has_no_serious_accessibility_violations(served_demo, browser_page, language, viewport):
    base, app = served_demo
    locale = {"ru": "ru-RU", "en": "en-US"}[language]
    checked = []

    guest = browser_page(viewport, locale=locale)
    for path in SIGN_IN_PAGES:
        guest.goto(base + path)
        assert guest.locator("html").get_attribute("lang") == language
        assert_accessible(guest, f"{path} ({language}, {viewport})")
        checked.append(path)
    public = crawl(guest, base, app, starts=("/login",))
    missing = screens_for(app, {"guest"}) - set(public)
    assert not missing, f"public screens no link leads to: {sorted(missing)}"
    for screen_id, url in public.items():
        guest.goto(base + url)
        assert_accessible(guest, f"guest: {screen_id} {url} ({language}, {viewport})")
        checked.append(url)

    for login, role in (("demo1", "subscriber"), ("demo2", "dealer")):
        page = browser_page(viewport, locale=locale)
        page.goto(base + "/login")
        page.locator("input[name=username]").fill(login)
        page.locator("input[name=password]").fill(login)
        page.locator("form button[type=submit]").first.click()
        assert "/quick-code/setup" in page.url
        assert_accessible(page, f"quick-code offer ({language}, {viewport})")
        page.get_by_role("button", name=SKIP[language]).click()
        found = crawl(page, base, app)
        missing = screens_for(app, {role}) - set(found) - set(public)      # public ones are checked above
        assert not missing, f"{login}: screens no link leads to: {sorted(missing)}"
        # the screens, and the engine's own pages a signed-in person reaches from them
        for url in [*found.values(), "/passkeys", "/offline"]:
            page.goto(base + url)
            assert page.locator("html").get_attribute("lang") == language
            assert_accessible(page, f"{login}: {url} ({language}, {viewport})")
            checked.append(url)
    assert len(checked) >= 25


# --- keyboard -------------------------------------------------------------------------------------
FOCUSABLE = ("a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), select, textarea, "
             "[tabindex]:not([tabindex='-1'])")


def test_the_keyboard_reaches_every_control_with_a_visible_focus(served_demo, browser_page):
    base, _ = served_demo
    page = browser_page("desktop")
    sign_in(page, base)
    page.goto(base + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('skip-link')"), "the skip link comes first"
    assert page.evaluate("document.activeElement.getBoundingClientRect().top >= 0"), "the skip link shows on focus"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"

    expected = page.evaluate(f"""() => [...document.querySelectorAll("{FOCUSABLE}")]
        .filter(el => el.getClientRects().length && getComputedStyle(el).visibility !== 'hidden')
        .map(el => el.outerHTML.slice(0, 120))""")
    reached, unseen_focus = [], []
    for _ in range(len(expected) * 2 + 10):
        page.keyboard.press("Tab")
        info = page.evaluate("""() => {
            const el = document.activeElement, style = getComputedStyle(el);
            const after = getComputedStyle(el, '::after');
            const visible = style.outlineStyle !== 'none' || style.boxShadow !== 'none'
                            || after.outlineStyle !== 'none';
            return {html: el.outerHTML.slice(0, 120), visible, body: el === document.body};
        }""")
        if info["body"] or info["html"] in reached:      # past the last control, focus leaves the page
            continue
        reached.append(info["html"])
        if not info["visible"]:
            unseen_focus.append(info["html"])
    assert not [html for html in expected if html not in reached], "controls the Tab key never reaches"
    assert not unseen_focus, f"focus not visible on: {unseen_focus}"


def test_a_screen_works_from_the_keyboard_alone(served_demo, browser_page):
    """Switch the account and open a service with Tab, arrows and Enter only."""
    base, _ = served_demo
    page = browser_page("phone")
    sign_in(page, base)
    page.locator("#account-switch").focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert page.locator("#account-switch").evaluate("s => s.selectedIndex") == 1
    page.locator(".list__link").first.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/services/"))


# --- touch targets --------------------------------------------------------------------------------
TARGETS = (".button, button, select, textarea, input:not([type=hidden]):not([type=checkbox]):not([type=radio]), "
           ".tabbar__item, .languages__link, .list__item--link, .form__check, .tabs__tab, .back-link, "
           ".topbar__brand, .login__forgot a, .login__support")


def test_touch_targets_are_at_least_44_px_on_a_phone(served_demo, browser_page):
    base, app = served_demo
    page = browser_page("phone")
    small = []
    for path in SIGN_IN_PAGES:
        page.goto(base + path)
        small += _small_targets(page)
    sign_in(page, base)
    for url in crawl(page, base, app).values():
        page.goto(base + url)
        small += _small_targets(page)
    assert not small, "targets under 44×44 px:\n" + "\n".join(sorted(set(small)))


def _small_targets(page) -> list[str]:
    return page.evaluate(f"""() => [...document.querySelectorAll("{TARGETS}")]
        .filter(el => el.getClientRects().length && !el.closest('.visually-hidden, .honeypot'))
        .map(el => [el, el.getBoundingClientRect()])
        .filter(([el, box]) => box.width < 44 || box.height < 44)
        .map(([el, box]) => location.pathname + ': ' + el.outerHTML.slice(0, 90) +
             ` (${{Math.round(box.width)}}×${{Math.round(box.height)}})`)""")


# --- dark mode ----------------------------------------------------------------------------------------
def test_dark_mode_uses_the_derived_palette_and_stays_readable(served_demo, browser_page):
    base, app = served_demo
    dark = app.extensions["cabinet"].cabinet.branding.dark
    page = browser_page("phone", color_scheme="dark")
    sign_in(page, base)
    for path in ("/", "/payment", "/services/" + _a_service_id(app), "/support"):
        page.goto(base + path)
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == _rgb(dark["bg"]), f"{path}: body is {background}, not the dark bg {dark['bg']}"
        assert_accessible(page, f"dark {path}")


def _rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def _a_service_id(app) -> str:
    return str(app.extensions["cabinet"].binding.services("108842")[0].id)


# --- right to left --------------------------------------------------------------------------------------
@pytest.fixture
def served_rtl(make_app, fresh_postgres_url, tmp_path):
    schemas = tmp_path / "rtl"
    shutil.copytree(ROOT / "tests" / "fixtures" / "rtl", schemas)
    port = free_port()
    app = make_app(schemas=schemas, public_url=f"http://127.0.0.1:{port}", database_url=fresh_postgres_url)
    server = ThreadedServer(app, port)
    yield f"http://127.0.0.1:{port}", app
    server.close()


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_a_right_to_left_cabinet_is_mirrored(served_rtl, browser_page, viewport):
    base, app = served_rtl
    page = browser_page(viewport, locale="he-IL")
    page.goto(base + "/login")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("html").get_attribute("lang") == "he"
    assert_accessible(page, "rtl login")
    page.locator("input[name=username]").fill("demo1")
    page.locator("input[name=password]").fill("demo1")
    page.locator("form button[type=submit]").first.click()
    page.get_by_role("button", name="Skip").click()         # the engine's own texts fall back to English
    assert page.get_by_text("השירותים שלי").is_visible()
    width = VIEWPORTS[viewport]["width"]
    # the first tab (Home) is on the right; a row's chevron is on its left and points left
    home, history = (page.locator(".tabbar__item").nth(i).bounding_box() for i in (0, 1))
    if viewport == "phone":
        assert home["x"] > history["x"] and home["x"] + home["width"] > width * 0.6
    else:
        assert home["x"] > width / 2, "the side menu is on the right"
    row = page.locator(".list__item--link").first
    chevron = row.locator(".list__chevron").bounding_box()
    title = row.locator(".list__title").bounding_box()
    assert chevron["x"] < title["x"]
    assert page.locator(".list__chevron svg").first.evaluate("s => getComputedStyle(s).transform") != "none"
    # money keeps its digits left to right inside the right-to-left text
    assert page.locator(".balance-card__figure, .value--money").first.is_visible()
    assert_accessible(page, f"rtl home ({viewport})")
    page.locator(".list__link").first.click()
    assert_accessible(page, f"rtl service ({viewport})")


# --- without JavaScript -------------------------------------------------------------------------------
def test_the_core_flows_work_without_javascript(served_demo, browser_page):
    base, app = served_demo
    billing = app.extensions["cabinet"].binding
    page = browser_page("phone", javascript=False)
    sign_in(page, base)
    assert "Лицевой счёт 108842" in page.content()

    # top-up through the sandbox acquirer and back
    before = billing.account("108842").balance
    page.goto(base + "/payment/card")
    page.get_by_label("Введите сумму, ₽").fill("300")
    page.get_by_role("button", name="Пополнить баланс").click()
    page.locator("input[name=card_number]").fill("4111 1111 1111 1111")
    page.locator("input[name=expiry]").fill("12/39")
    page.locator("input[name=cvc]").fill("123")
    page.locator("input[name=holder]").fill("IVAN IVANOV")
    page.locator("button[type=submit]").click()
    page.get_by_text("Счёт пополнен.").wait_for()
    assert billing.account("108842").balance == before + Decimal("300.00")

    # the account switch is a form with its own button; the second account's services get blocked
    page.goto(base + "/")
    page.select_option("#account-switch", label="108843")
    page.get_by_role("button", name="Переключить").click()
    page.get_by_text("Лицевой счёт 108843").wait_for()      # the switch's page, once it has come
    page.goto(base + "/block")
    page.get_by_label("Срок блокировки, дней").fill("10")
    page.locator("form[action$='/actions/block_services'] button[type=submit]").click()
    page.locator(".confirm__form button[type=submit]").click()        # the confirmation is a page of its own
    page.get_by_text("Услуги заблокированы.").wait_for()
    assert billing.block_terms("108843").blocked
    page.goto(base + "/block")
    page.locator("form[action$='/actions/unblock_services'] button[type=submit]").click()
    page.get_by_text("Услуги снова работают.").wait_for()
    assert not billing.block_terms("108843").blocked

    # promised payment and tariff change, each confirmed on a page of its own
    page.goto(base + "/")
    page.select_option("#account-switch", label="108842")
    page.get_by_role("button", name="Переключить").click()
    page.goto(base + "/payment/promised")
    page.get_by_role("main").get_by_role("button", name="Активировать").click()
    page.get_by_role("main").get_by_role("button", name="Подтвердить").click()
    page.get_by_text("Обещанный платёж активирован").wait_for()
    assert not billing.promised_payment_terms("108842").eligible
    page.goto(base + "/services/108842-internet/tariffs")
    offer = page.get_by_role("main").get_by_role("listitem").filter(has_text="Интернет 500")
    offer.get_by_role("button", name="Выбрать").click()
    page.get_by_role("main").get_by_role("button", name="Сменить").click()
    page.get_by_text("Тариф будет изменён с").wait_for()
    assert any(change.kind == "tariff_change" for change in billing.service("108842-internet").planned_changes)

    # the support letter
    page.goto(base + "/support")
    page.get_by_label("E-mail").fill("ivan@example.com")
    page.get_by_label("Сообщение для оператора").fill("Не работает интернет")
    page.get_by_role("button", name="Продолжить").click()
    page.get_by_text("отправлено").wait_for()

    # the language
    page.get_by_role("link", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("button", name="Switch").is_visible()


# --- loading state --------------------------------------------------------------------------------------
def test_a_form_being_sent_shows_it_and_is_not_sent_twice(served_demo, browser_page):
    base, _ = served_demo
    page = browser_page("phone")
    sign_in(page, base)
    page.goto(base + "/payment/card")
    # stand in for a slow network: count the sends app.js lets through, and keep the page here
    page.evaluate("""() => {
        window.sent = 0;
        document.addEventListener("submit", event => {
            if (!event.defaultPrevented) { window.sent += 1; window.busy = event.submitter.getAttribute("aria-busy"); }
            event.preventDefault();
        });
    }""")
    button = page.get_by_role("button", name="Пополнить баланс")
    button.click()
    button.click(force=True)            # a busy button takes no pointer events: force the second tap
    assert page.evaluate("window.sent") == 1
    assert page.evaluate("window.busy") == "true"
    assert button.get_attribute("aria-busy") == "true"


# --- the README's pictures ------------------------------------------------------------------------------
def test_the_readme_shows_a_picture_of_every_demo_screen(app):
    from tests.support.screenshots import BEGIN, END, OUT

    pictures = {path.stem for path in OUT.glob("*.png")}
    screens = set(app.extensions["cabinet"].cabinet.screens)
    assert not screens - pictures, f"screens without a picture (run `make screenshots`): {sorted(screens - pictures)}"
    assert pictures - screens <= {"login", "quick-code"}, f"pictures of no screen: {sorted(pictures - screens - {'login', 'quick-code'})}"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    gallery = readme.split(BEGIN)[1].split(END)[0]
    assert set(re.findall(r"docs/screenshots/([\w-]+)\.png", gallery)) == pictures
