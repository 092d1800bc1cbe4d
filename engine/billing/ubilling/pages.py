"""The HTML cabinet pages, reduced to what tells a caller where it landed: the login form, a
logged-in page, a module page and the "access denied" page. They are not the API."""
from __future__ import annotations

from html import escape

from werkzeug.wrappers import Response

from .render import PHP_DEFAULT_CONTENT_TYPE

REDIRECT_SCRIPT = '<script language="javascript">document.location.href="index.php";</script>'


def _page(title: str, body: str, prefix: str = "") -> Response:
    html = (f"{prefix}<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{escape(title)}</title></head>"
            f"<body><h2>{escape(title)}</h2>{body}</body></html>\n")
    response = Response(html.encode("utf-8"), status=200)
    response.headers["Content-Type"] = PHP_DEFAULT_CONTENT_TYPE
    return response


def login_page(redirected: bool = False) -> Response:
    form = ('<form action="" method="POST" class="loginform">'
            '<label>Login</label><br><input type="text" name="ulogin" required>'
            '<label>Password</label><br><input type="password" name="upassword" required>'
            '<input type="submit" value="Enter"></form>')
    return _page("Login with your account", form, REDIRECT_SCRIPT if redirected else "")


def profile_page(login: str, redirected: bool = False) -> Response:
    logout = '<form action="" method="POST"><input type="hidden" name="ulogout" value="true">' \
             '<input type="submit" value="Logout"></form>'
    return _page("User profile", f"<p>{escape(login)}</p>{logout}", REDIRECT_SCRIPT if redirected else "")


def module_page(module: str) -> Response:
    return _page(module, "<p>This cabinet module has no agent mode in this simulator.</p>")


def access_denied_page() -> Response:
    """modules/jsc/youshallnotpass.html."""
    return _page("You shall not pass", "<p>Access denied</p>")
