"""A second operator's cabinet, made by copying cabinet_schemas/demo and editing YAML only:
other branding, tabs, order of sections, texts and rules; both served side by side."""
from __future__ import annotations

from tests.conftest import ROOT, page_text, sign_in

VOLNA = ROOT / "cabinet_schemas" / "volna"


def _home(app):
    client = app.test_client()
    sign_in(client)
    return client, client.get("/").get_data(as_text=True)


def test_two_operators_served_side_by_side(make_app):
    demo, volna = make_app(), make_app(schemas=VOLNA)
    demo_client, demo_home = _home(demo)
    volna_client, volna_home = _home(volna)
    assert "Демо Телеком" in demo_home and "Волна Связь" in volna_home
    # case-blind: the theme may emit the normalized (lowercase) effective palette
    assert "--color-primary: #0067d6" in demo_home.lower() and "--color-primary: #00695c" in volna_home.lower()
    assert "--radius: 12px" in demo_home and "--radius: 4px" in volna_home
    # the order of the home sections and their texts
    assert demo_home.index('id="section-balance"') < demo_home.index('id="section-services"')
    assert volna_home.index('id="section-services"') < volna_home.index('id="section-balance"')
    assert "Мои услуги" in page_text(demo_client.get("/")) and "Подключено" in page_text(volna_client.get("/"))
    # the tab bar, in each operator's order
    tabs = lambda html: [t.split('"')[0] for t in html.split('class="tabbar__item" href="')[1:]]  # noqa: E731
    assert tabs(demo_home) == ["/", "/payment", "/news", "/support"]
    assert tabs(volna_home) == ["/", "/news", "/support", "/payment"]
    # its own wording of the engine's texts (translations:)
    assert "Выйти из кабинета" in page_text(volna_client.get("/")) and "Выйти из кабинета" not in demo_home
    volna_client.get("/language/en")
    assert "Sign out" in page_text(volna_client.get("/"))


def test_a_translation_of_a_text_the_engine_does_not_have_is_an_error():
    from engine.schema.ui_texts import compile_ui_texts
    problems = []
    texts = compile_ui_texts({"Log out": {"ru": "Выход"}, "Sing in": "Войти", "Back": {"de": "Zurück"}},
                             ["ru", "en"], lambda path, message: problems.append((path, message)))
    assert texts["ru"] == {"Log out": "Выход"} and texts["en"] == {}
    assert (("translations", "Sing in"), "the engine has no text 'Sing in' (see locales/messages.pot); "
                                         "did you mean 'Sign in'?") in problems
    assert any(path == ("translations", "Back", "de") for path, _ in problems)


def test_the_second_operator_has_its_own_rules_and_screens(make_app):
    volna = make_app(schemas=VOLNA)
    client, _home_html = _home(volna)
    client.get("/account?account=108843")                                  # an account whose services run
    block = client.get("/block").get_data(as_text=True)
    assert 'min="14"' in block and 'max="60"' in block                     # its own block limits
    assert client.get("/dealer").status_code == 404                        # no dealer cabinet here
    assert "Волна пришла на Садовую" in page_text(client.get("/news"))
