"""The engine under waitress in a thread, for tests that need real HTTP (a gateway calling back)."""
from __future__ import annotations

import re
import threading

import requests
import waitress


class ThreadedServer:
    def __init__(self, app, port: int, threads: int = 4):
        self.server = waitress.create_server(app, host="127.0.0.1", port=port, threads=threads)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.server.run()
        except OSError:
            pass   # closed by the test while select() waited on its socket: that is the server stopping

    def close(self) -> None:
        self.server.close()
        self.thread.join(timeout=5)


def signed_in_session(base: str, login: str = "demo1") -> requests.Session:
    """A browser-like session signed in to the engine at ``base`` with the local password form."""
    session = requests.Session()
    page = session.get(base + "/login", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    session.post(base + "/login", data={"username": login, "password": login, "csrf_token": token}, timeout=10)
    return session
