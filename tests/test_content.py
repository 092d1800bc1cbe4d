"""Content collections (news, FAQ): published items for the reader's roles, public screens, safety."""
from __future__ import annotations

import re
import shutil

from tests.conftest import DEMO_SCHEMAS, page_text, sign_in


def test_news_are_public_newest_first_and_drafts_hidden(client):
    response = client.get("/news")                                 # no sign-in: a public screen
    text = page_text(response)
    assert response.status_code == 200
    assert text.index("Плановые работы") < text.index("Оптика в каждый дом")
    assert "Новогодние тарифы" not in text                         # published: false
    assert client.get("/").status_code == 302                      # the cabinet itself still needs sign-in


def test_an_article_with_image_and_markdown(client):
    html = client.get("/news/fiber-2026").get_data(as_text=True)
    assert '<img class="value value--image" src="/media/news/fiber.svg" alt="Оптический кабель"' in html
    assert "<strong>1 Гбит/с</strong>" in html and "<li>Подключение бесплатно до 31 декабря</li>" in html
    assert client.get("/media/news/fiber.svg").status_code == 200
    assert re.search(r'<video[^>]*src="/media/news/fiber.webm"', html) and 'poster="/media/news/fiber-poster.jpg"' in html
    assert client.get("/media/news/fiber.webm").headers["Content-Type"] == "video/webm"
    draft = page_text(client.get("/news/new-year-tariffs"))
    assert "Готовится" not in draft and "Информация не найдена" in draft


def test_faq_shows_each_role_its_questions(client):
    assert "Где видно, какие заявки" not in page_text(client.get("/faq"))
    sign_in(client, "demo2", "demo2")
    assert "Где видно, какие заявки" in page_text(client.get("/faq"))


def test_english_news(client):
    client.get("/language/en")
    assert "Fibre for every home" in page_text(client.get("/news"))


def test_hostile_news_text_renders_safely(make_app, tmp_path):
    schemas = tmp_path / "schemas"
    shutil.copytree(DEMO_SCHEMAS, schemas)
    news = schemas / "content" / "news.yaml"
    news.write_text(news.read_text(encoding="utf-8").replace(
        "Мы завершили строительство",
        "errors: <script>alert(1)</script> <img src=x onerror=alert(2)> [x](javascript:alert(3)) Мы завершили"),
        encoding="utf-8")
    client = make_app(schemas=schemas).test_client()
    html = client.get("/news/fiber-2026").get_data(as_text=True)
    assert "errors:" in html
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html     # shown as text
    assert "<img src=x" not in html and 'src="x"' not in html
    assert 'href="javascript:' not in html


def test_json_api_serves_public_screens_to_guests(client):
    data = client.get("/api/v1/screens/news").get_json()
    titles = [item["fields"][0]["display"] for item in data["sections"][0]["items"]]
    assert titles[0].startswith("Плановые работы")
    assert client.get("/api/v1/screens/home").status_code == 401
