"""A real Keycloak for the tests (engine/keycloak_server/local.py): the server distribution from
Maven Central, started on free loopback ports with the realm and login theme docker-compose mounts.
Fails, never skips, when it cannot be installed or started."""
from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from requests.cookies import RequestsCookieJar

from engine.keycloak_server import local
from engine.keycloak_server.local import LocalKeycloak, LocalKeycloakError
from keycloak import KeycloakAdmin
from tests.support.processes import free_port


@contextmanager
def keycloak_server(folder: Path, public_url: str) -> Iterator[LocalKeycloak]:
    """Keycloak on 127.0.0.1 until the block ends; ``public_url`` is the engine's address (the realm's
    redirect and post-logout URIs)."""
    try:
        installation = local.install()
        instance = local.prepare(folder, installation, free_port(), free_port(), public_url)
        local.start(instance, installation)
    except LocalKeycloakError as exc:
        pytest.fail(f"a real Keycloak is required for these tests and could not be started "
                    f"(scripts/install-keycloak.sh needs Java 17+ and Maven Central): {exc}")
    try:
        yield instance
    finally:
        local.stop(instance)
    assert instance.client_secret not in instance.log_tail(10**7), "Keycloak logged the client secret"


def admin(instance: LocalKeycloak) -> KeycloakAdmin:
    """The operator at Keycloak's admin REST API (the bootstrap admin of the master realm)."""
    return KeycloakAdmin(server_url=instance.server_url, username=instance.admin_user,
                         password=instance.admin_password, realm_name=local.REALM, user_realm_name="master")


class BrowserCookiePolicy(DefaultCookiePolicy):
    """Cookies as a browser keeps them (RFC 6265), for Keycloak's sign-in cookies: it marks them
    Secure (and SameSite=None) even over plain HTTP, which browsers send back to a loopback origin,
    and adds ``Version=1``, which browsers ignore and http.cookiejar takes for a refused RFC 2965
    cookie."""

    def set_ok_version(self, cookie, request) -> bool:
        return True

    def return_ok_secure(self, cookie, request) -> bool:
        host = urlsplit(request.get_full_url()).hostname
        return not cookie.secure or request.type == "https" or host in ("127.0.0.1", "localhost", "::1")


class BrowserCookieJar(RequestsCookieJar):
    def set_cookie(self, cookie, *args, **kwargs):
        cookie.version = 0                     # sent back as name=value, without RFC 2965's $Version
        return super().set_cookie(cookie, *args, **kwargs)


class Browser(requests.Session):
    """A requests session that keeps and sends cookies as a browser on this machine does."""

    def __init__(self) -> None:
        super().__init__()
        self.cookies = BrowserCookieJar(policy=BrowserCookiePolicy())

    def prepare_request(self, request):
        # requests copies the cookies into a jar of its own with the default policy: send ours
        prepared = super().prepare_request(request)
        prepared.headers.pop("Cookie", None)
        prepared.prepare_cookies(self.cookies)
        return prepared


def form_action(page: requests.Response, form_id: str | None = None) -> str:
    """The absolute action of a form on a Keycloak page (the first one, or the one with ``form_id``)."""
    pattern = rf'<form[^>]*id="{form_id}"[^>]*>' if form_id else r"<form[^>]*>"
    form = re.search(pattern, page.text)
    assert form, f"no form{' ' + form_id if form_id else ''} on {page.url}:\n{page.text[:2000]}"
    action = re.search(r'action="([^"]+)"', form.group(0))
    assert action, form.group(0)
    return requests.compat.urljoin(page.url, action.group(1).replace("&amp;", "&"))
