"""Who is asking: ``zbs_UserDetectIp()`` gives the subscriber's IP (from ``uberlogin`` +
``uberpassword``, or the configured cabinet auth), ``zbs_UserGetLoginByIp()`` the login owning it.
Also the cookies ``api.userstatsinit.php`` sends on every request (language, cabinet login)."""
from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta, timezone
from urllib.parse import quote_plus

from . import php
from .call import Call, Die
from .render import plain_response
from .state import BillingState

COOKIE_LIFETIME = 2592000               # setcookie(..., time() + 2592000)
WRONG_UBERAUTH = "ERROR_WRONG_UBERAUTH"


def _credential(text: str) -> str:
    """zbs_UserCheckLoginAuth's filtering of both credentials."""
    return re.sub(r"[^a-zA-Z0-9\-_.]", "", php.vf(text)).replace("\0", "")


def check_login_auth(state: BillingState, login: str, password_md5: str) -> str:
    """``zbs_UserCheckLoginAuth()``: the user's IP when ``MD5(password)`` matches, else "".
    MySQL compares both with a case-insensitive collation."""
    login, password_md5 = _credential(login), _credential(password_md5)
    if not login or not password_md5:
        return ""
    for user in state.users.values():
        if (user.login.lower() == login.lower()
                and hashlib.md5(user.password.encode("utf-8")).hexdigest() == password_md5.lower()):
            return user.ip
    return ""


def _cookie_auth(call: Call) -> str:
    if "ulogin" in call.cookies and "upassword" in call.cookies:
        return check_login_auth(call.state, php.vf(call.cookies["ulogin"]).strip(),
                                php.vf(call.cookies["upassword"]).strip())
    return ""


def detect_ip(call: Call) -> str:
    """``zbs_UserDetectIp()``. ``uberlogin`` wins over everything; wrong credentials end the request
    with 401 and the bare text ``ERROR_WRONG_UBERAUTH`` (only ``uberlogin`` is tested for presence)."""
    state, query = call.state, call.query
    if query.check("uberlogin"):
        ip = check_login_auth(state, php.vf(query.get("uberlogin") or ""),
                              php.vf(query.get("uberpassword") or ""))
        if ip:
            return ip
        raise Die(plain_response(WRONG_UBERAUTH, 401))
    mode = state.ini.raw("auth")
    ip = ""
    if mode == "ip":
        ip = call.remote_addr
    if mode == "login":
        ip = _cookie_auth(call)
    if mode == "both":
        owner = state.login_by_ip(call.remote_addr)
        if owner and owner not in state.ipauth_denied:
            ip = call.remote_addr
        else:
            ip = _cookie_auth(call)
    return ip


def login_by_ip(call: Call, ip: str) -> str:
    """``zbs_UserGetLoginByIp()``: in ``auth=ip`` mode an unknown address ends the request."""
    login = call.state.login_by_ip(ip)
    if login:
        return login
    if call.state.ini.raw("auth") == "ip":
        redirect = call.state.ini.raw("authfailredir")
        if redirect is None:
            raise Die(plain_response("Unknown user EX_NO_AUTHFAILREDIR_DEFINED"))
        if php.is_empty(redirect):
            raise Die(plain_response("Unknown user EX_EMPTY_AUTHFAILREDIR"))
        raise Die(plain_response(f'<script language="javascript">document.location.href="{redirect}";'
                                 f"</script>Unknown user"))
    return ""


# --- api.userstatsinit.php ------------------------------------------------------------------------------
def set_cookie_header(name: str, value: str, now: datetime | None = None) -> str:
    """The header PHP's ``setcookie($name, $value, time() + 2592000)`` sends (no path); an empty
    value deletes the cookie."""
    if value == "":
        return f"{name}=deleted; expires=Thu, 01-Jan-1970 00:00:01 GMT; Max-Age=0"
    moment = (now or datetime.now(timezone.utc)) + timedelta(seconds=COOKIE_LIFETIME)
    expires = moment.astimezone(timezone.utc).strftime("%a, %d-%b-%Y %H:%M:%S GMT")
    return f"{name}={quote_plus(value)}; expires={expires}; Max-Age={COOKIE_LIFETIME}"


def language(call: Call) -> str:
    """The UI language: ``changelang``, else the ``zbs_lang`` cookie, else ``lang`` (when
    ``allowclang``)."""
    ini = call.state.ini
    lang = ini.raw("lang") or ""
    if ini.on("allowclang"):
        chosen = call.query.get("changelang")
        if chosen is None:
            chosen = call.cookies.get("zbs_lang")
        lang = php.vf(chosen) if chosen is not None else lang
    return lang


def init_cookies(call: Call) -> tuple[list[str], bool]:
    """The Set-Cookie headers of every request, and whether the script printed its JavaScript
    redirect (the cabinet's login or logout form was posted)."""
    cookies = [set_cookie_header("zbs_lang", language(call))]
    if call.state.ini.raw("auth") not in ("login", "both"):
        return cookies, False
    if "ulogin" in call.post and "upassword" in call.post:
        password_md5 = hashlib.md5(php.vf(call.post["upassword"]).strip().encode("utf-8")).hexdigest()
        cookies += [set_cookie_header("ulogin", php.vf(call.post["ulogin"]).strip()),
                    set_cookie_header("upassword", password_md5)]
        return cookies, True
    if "ulogout" in call.post:
        return cookies + [set_cookie_header("upassword", "nopassword")], True
    return cookies, False
