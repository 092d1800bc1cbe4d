"""Static files and /healthz are answered in front of Flask (engine/web/static.py, health.py): the
same answers as the Flask views give, with the security headers, and nothing stale."""
from __future__ import annotations

import json
import os
import re

from werkzeug.routing import BuildError

from engine.web.pages import FlaskLinks
from engine.web.routes import route_of
from engine.web.runtime import LiveCabinet
from engine.web.theming import THEMES

CSS = THEMES / "base" / "static" / "cabinet.css"
SECURITY = {"Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options"}


def flask_answer(client, path):
    """What the Flask view answers (a Range request goes past the front to it), made whole again."""
    response = client.get(path, headers={"Range": "bytes=0-"})
    assert response.status_code == 206
    return response


# --- static files -----------------------------------------------------------------------------------

def test_a_static_file_has_the_headers_the_flask_view_gives(client):
    response = client.get("/static/cabinet.css")
    assert response.status_code == 200 and response.data == CSS.read_bytes()
    assert response.headers["Content-Type"] == "text/css; charset=utf-8"
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    assert int(response.headers["Content-Length"]) == CSS.stat().st_size
    assert SECURITY <= set(response.headers.keys())
    assert "Set-Cookie" not in response.headers and response.headers["Expires"]
    view = flask_answer(client, "/static/cabinet.css")
    for name in ("ETag", "Last-Modified", "Cache-Control", "Content-Type", "Content-Disposition", "Accept-Ranges",
                 *SECURITY):
        assert response.headers[name] == view.headers[name], name
    assert client.get("/static/app.js").headers["Content-Type"] == "text/javascript; charset=utf-8"


def test_a_matching_etag_or_date_is_answered_304(client):
    first = client.get("/static/cabinet.css")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    for headers in ({"If-None-Match": etag}, {"If-None-Match": f"W/{etag}"}, {"If-None-Match": f'"other", {etag}'},
                    {"If-Modified-Since": modified}):
        again = client.get("/static/cabinet.css", headers=headers)
        assert again.status_code == 304 and again.data == b"", headers
        assert again.headers["ETag"] == etag and again.headers["Cache-Control"] == "public, max-age=3600"
        assert SECURITY <= set(again.headers.keys())
        assert "Content-Length" not in again.headers or again.headers["Content-Length"] == "0"
    assert client.get("/static/cabinet.css", headers={"If-None-Match": '"other"'}).status_code == 200
    assert client.get("/static/cabinet.css",
                      headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}).status_code == 200


def test_head_gives_the_headers_without_the_body(client):
    response = client.head("/static/cabinet.css")
    assert response.status_code == 200 and response.data == b""
    assert int(response.headers["Content-Length"]) == CSS.stat().st_size


def test_what_is_not_a_plain_file_goes_to_flask(client):
    missing = client.get("/static/nope.css")
    assert missing.status_code == 404 and "text/html" in missing.headers["Content-Type"]
    assert SECURITY <= set(missing.headers.keys())
    assert client.get("/static/").status_code == 404
    assert client.get("/static/../README.md").status_code == 404
    assert client.get("/static/%2e%2e/README.md").status_code == 404
    assert client.post("/static/cabinet.css").status_code in (400, 405)     # CSRF or method: never the file
    part = client.get("/static/cabinet.css", headers={"Range": "bytes=0-9"})
    assert part.status_code == 206 and part.data == CSS.read_bytes()[:10]


def test_an_edited_or_newly_overriding_file_is_served_at_once(make_app, tmp_path):
    theme = tmp_path / "theme"
    (theme / "static").mkdir(parents=True)
    client = make_app(theme_dir=theme).test_client()
    assert client.get("/static/app.js").data == (THEMES / "base" / "static" / "app.js").read_bytes()
    own = theme / "static" / "app.js"
    own.write_text("// the operator's own\n")
    first = client.get("/static/app.js")
    assert first.data == b"// the operator's own\n"
    own.write_text("// the operator's own, edited\n")
    os.utime(own, ns=(own.stat().st_atime_ns, own.stat().st_mtime_ns + 2_000_000_000))
    second = client.get("/static/app.js", headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200 and second.data == b"// the operator's own, edited\n"
    assert second.headers["ETag"] != first.headers["ETag"]
    own.unlink()
    assert client.get("/static/app.js").data == (THEMES / "base" / "static" / "app.js").read_bytes()


# --- /healthz ----------------------------------------------------------------------------------------

def test_healthz_answers_the_views_json_with_the_headers(app, client):
    from engine.web.health import healthz

    response = client.get("/healthz")
    assert response.status_code == 200 and response.mimetype == "application/json"
    with app.test_request_context("/healthz"):
        assert response.data == healthz().get_data()          # the Flask view's very bytes
    assert json.loads(response.data)["status"] == "ok"
    assert SECURITY <= set(response.headers.keys()) and "Set-Cookie" not in response.headers
    head = client.head("/healthz")
    assert head.status_code == 200 and head.data == b"" and head.headers["Content-Length"] == str(len(response.data))
    assert client.post("/healthz").status_code in (400, 405)


def test_healthz_says_at_once_what_the_runtime_holds(app, client):
    import dataclasses

    rt = app.extensions["cabinet"]
    live = rt.live
    rt.live = LiveCabinet.of(dataclasses.replace(rt.cabinet, version="a-newer-version"))
    try:
        assert client.get("/healthz").get_json()["cabinet_version"] == "a-newer-version"
        rt.last_error = Exception("refused")
        assert client.get("/healthz").get_json()["schema_update_refused"] is True
    finally:
        rt.live, rt.last_error = live, None
    assert client.get("/healthz").get_json()["schema_update_refused"] is False


# --- links ---------------------------------------------------------------------------------------------

ODD_VALUES = ["ds-2412521", "a b", "ä/ö", "x?y#z", "100%", "+7 (916)", "a&b=c", "..", "~'!*"]


def test_screen_links_are_built_as_werkzeug_builds_them(app):
    current = app.extensions["cabinet"].live
    for script_root in ("", "/cabinet"):
        adapter = current.adapter(script_root)
        links = FlaskLinks(adapter, current)
        for screen in current.cabinet.screens.values():
            assert route_of(screen.route) is not None, screen.route       # a schema's routes compile
            names = re.findall(r"<([^<>]+)>", screen.route)
            for value in ODD_VALUES:
                values = {name: value for name in names}
                for params in (values, {**values, "extra": value}, {}):
                    try:
                        expected = adapter.build(screen.id, {k: str(v) for k, v in params.items()})
                    except BuildError:
                        expected = None
                    assert links.screen(screen.id, params) == expected, (screen.route, params)
