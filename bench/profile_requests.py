"""Where a request's time goes: cProfile over the targets of ``make bench``.

Two ways:

* ``bench/bench.py --profile``: the servers themselves, under waitress, each thread profiled on its
  own CPU time (``profiled_wsgi`` below, installed by bench/serve.py when BENCH_PROFILE is set);
  one round of load per target and side, the difference of two snapshots reported. The profiler
  slows waitress's I/O loop far more than it slows the app, so for answers as quick as a static
  file read the shares of the app's own code, not the totals.
* ``python bench/profile_requests.py [engine|baseline|minimal ...] [--targets home,history] [-n 300]``:
  in-process, through the WSGI entry point with Werkzeug's test client (no waitress, no sockets):
  quick to iterate with, and its numbers add up to the app's own work.

The time is grouped by where the code lives (templates, Flask, flask-babel, the engine's assembly,
waitress ...), then the top functions are listed.
"""
from __future__ import annotations

import argparse
import atexit
import cProfile
import marshal
import os
import re
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# (what a file path contains, the group it counts for); the first match wins
GROUPS = [
    ("/themes/", "templates (theme Jinja code)"),
    ("<template>", "templates (theme Jinja code)"),
    ("/jinja2/sandbox", "operator texts (Jinja sandbox)"),
    ("/engine/schema/", "engine/schema (texts, expressions)"),
    ("/jmespath/", "jmespath"),
    ("/engine/jmes", "jmespath"),
    ("/jinja2/", "jinja2 runtime"),
    ("/markupsafe/", "jinja2 runtime"),
    ("/engine/assembly/", "engine/assembly"),
    ("/engine/kinds/", "engine/kinds (formatting)"),
    ("/babel/", "babel (formatting, locales)"),
    ("/flask_babel/", "flask-babel"),
    ("/flask_wtf/", "flask-wtf (CSRF)"),
    ("/wtforms/", "flask-wtf (CSRF)"),
    ("/itsdangerous/", "itsdangerous (session, CSRF signing)"),
    ("/flask_limiter/", "flask-limiter"),
    ("/limits/", "flask-limiter"),
    ("/engine/billing/", "billing (demo, SQLite)"),
    ("/sqlalchemy/", "billing (demo, SQLite)"),
    ("/engine/web/", "engine/web"),
    ("/waitress/", "waitress"),
    ("/werkzeug/", "werkzeug"),
    ("/flask/", "flask"),
    ("/bench/", "bench (baseline views)"),
    ("/engine/", "engine (other)"),
]
# C functions are named by what they are ("<method 'send' of '_socket.socket' objects>")
BUILTIN_GROUPS = [
    ("sqlite3", "billing (demo, SQLite)"),
    ("socket", "sockets, select (C)"),
    ("select", "sockets, select (C)"),
    ("poll", "sockets, select (C)"),
    ("lock", "locks, thread waits (C)"),
    ("wait", "locks, thread waits (C)"),
]


def group_of(filename: str, function: str) -> str:
    for needle, name in GROUPS:
        if needle in filename:
            return name
    if filename == "~":
        for needle, name in BUILTIN_GROUPS:
            if needle in function:
                return name
        return "builtins (C calls)"
    return "python stdlib / other"


# --- profiling a served app ---------------------------------------------------------------------

def profiled_wsgi(app, prefix: str):
    """Profile every thread of this process on its own CPU time: the main thread (waitress' I/O
    loop) from now on, each worker thread from its first request on. SIGUSR1 writes the stats so
    far to ``prefix.<n>.prof`` and its name to ``prefix.done`` (read between rounds, when workers
    are idle)."""
    profiles = [cProfile.Profile(time.thread_time)]
    local = threading.local()
    lock = threading.Lock()
    dumps = [0]

    def wrapped(environ, start_response):
        if not getattr(local, "on", False):
            profile = cProfile.Profile(time.thread_time)
            with lock:
                profiles.append(profile)
            local.on = True
            profile.enable()           # stays on: a waiting worker spends no CPU time
        return app(environ, start_response)

    def dump(_signum, _frame):
        profiles[0].disable()          # signals run in the main thread: its own profile leaves this out
        merged: dict = {}
        with lock:
            for profile in profiles:
                profile.snapshot_stats()          # without disabling: workers keep being profiled
                for key, value in profile.stats.items():  # type: ignore[attr-defined]
                    merged[key] = _add(merged[key], value) if key in merged else value
        dumps[0] += 1
        path = f"{prefix}.{dumps[0]}.prof"
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as f:
            marshal.dump(merged, f)
        Path(prefix + ".done").write_text(path)
        profiles[0].enable()

    signal.signal(signal.SIGUSR1, dump)
    profiles[0].enable()
    return wrapped


def _add(a, b):
    cc, nc, tt, ct, callers = a
    merged = dict(callers)
    for key, value in b[4].items():
        merged[key] = tuple(x + y for x, y in zip(merged[key], value)) if key in merged else value
    return cc + b[0], nc + b[1], tt + b[2], ct + b[3], merged


def report_dump(title: str, before: Path, after: Path, requests: int, top: int = 20) -> None:
    """What happened between two snapshots of a served app, for ``requests`` requests."""
    with open(before, "rb") as f:
        old = marshal.load(f)
    with open(after, "rb") as f:
        new = marshal.load(f)
    diff = {}
    for key, (cc, nc, tt, ct, _) in new.items():
        o = old.get(key, (0, 0, 0.0, 0.0, {}))
        if nc - o[1] or tt - o[2] > 0:
            diff[key] = (cc - o[0], nc - o[1], tt - o[2], ct - o[3])
    print_report(title, diff, requests, None, top)


# --- profiling in-process -------------------------------------------------------------------------

def env_for(workdir: Path) -> dict[str, str]:
    billing_url = f"sqlite:///{workdir / 'demo-billing.sqlite'}"
    return {"CABINET_INSTANCE_DIR": str(workdir / "instance"), "CABINET_COOKIE_SECURE": "false",
            "CABINET_SECRET_KEY": secrets.token_urlsafe(48),
            "CABINET_BINDING_OPTIONS": f'{{"database_url": "{billing_url}"}}',
            "CABINET_LOG_LEVEL": "WARNING", "CABINET_LOGIN_RATE": "1000 per minute",
            "BENCH_BILLING_URL": billing_url}


def main() -> None:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(HERE))
    from serve import make_app
    from targets import TARGETS
    from werkzeug.test import Client

    parser = argparse.ArgumentParser()
    parser.add_argument("apps", nargs="*", default=["engine"])
    parser.add_argument("--targets", default=",".join(TARGETS))
    parser.add_argument("-n", type=int, default=300)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--dump", help="a folder for the raw .prof files (snakeviz, pstats)")
    parser.add_argument("--compare", action="store_true",
                        help="no profiler: CPU time per request of the engine and its baseline, alternating")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="cabinet-profile-"))
    atexit.register(shutil.rmtree, workdir, True)
    os.environ.update(env_for(workdir))
    engine = make_app("engine")
    cookies = {login: sign_in(Client(engine), login) for login in ("demo1", "demo2")}
    if args.compare:
        compare(engine, make_app, [TARGETS[name] for name in args.targets.split(",")], cookies, args.n)
        return
    for which in args.apps:
        app = engine if which == "engine" else make_app(which)
        client = Client(app, use_cookies=False)     # the Cookie header is sent by hand
        for name in args.targets.split(","):
            target = TARGETS[name]
            if which != "engine" and target.baseline != which:
                continue
            headers = {"Cookie": cookies[target.login]} if target.login else {}
            for _ in range(30):                      # warm: templates compiled, caches filled
                response = client.get(target.path, headers=headers)
                assert response.status_code == 200, (which, name, response.status_code)
            profile = cProfile.Profile()
            started = time.perf_counter()
            profile.enable()
            for _ in range(args.n):
                client.get(target.path, headers=headers)
            profile.disable()
            wall = (time.perf_counter() - started) / args.n
            profile.create_stats()
            stats = {k: v[:4] for k, v in profile.stats.items()}  # type: ignore[attr-defined]
            print_report(f"{which}: {target.title} ({target.path})", stats, args.n, wall, args.top)
            if args.dump:
                Path(args.dump).mkdir(parents=True, exist_ok=True)
                profile.dump_stats(str(Path(args.dump) / f"{which}-{name}.prof"))


def compare(engine, make_app, targets, counted: dict, n: int) -> None:
    """CPU time (this thread's) per request, in batches of 10 alternating between the engine and
    the app it is compared with. The machine's other load changes slowly, so each engine batch is
    compared with the baseline batch next to it: the median of those paired ratios, with the
    quartiles, and each side's fastest batch (the least disturbed)."""
    import statistics
    from werkzeug.test import Client

    others = {name: make_app(name) for name in sorted({t.baseline for t in targets})}
    for target in targets:
        headers = {"Cookie": counted[target.login]} if target.login else {}
        clients = [Client(engine, use_cookies=False), Client(others[target.baseline], use_cookies=False)]
        batches: list[list[float]] = [[], []]
        for turn in range(max(2, n // 10)):
            order = (0, 1) if turn % 2 == 0 else (1, 0)
            for side in order:
                started = time.thread_time()
                for _ in range(10):
                    assert clients[side].get(target.path, headers=headers).status_code == 200
                batches[side].append((time.thread_time() - started) / 10 * 1000)
        ratios = sorted(e / b for e, b in zip(*batches))
        quartiles = statistics.quantiles(ratios, n=4)
        print(f"{target.title:31s} CPU ratio engine/{target.baseline} {statistics.median(ratios):5.2f} "
              f"(quartiles {quartiles[0]:.2f}-{quartiles[2]:.2f}); fastest batches: engine "
              f"{min(batches[0]):.3f} ms, {target.baseline} {min(batches[1]):.3f} ms")


def sign_in(client, login: str) -> str:
    """Sign in through the engine's form and open the first page, as bench.py does; the Cookie header."""
    response = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True)).group(1)
    response = client.post("/login", data={"username": login, "password": login, "csrf_token": token})
    assert response.status_code == 302, response.status_code
    client.get(response.headers["Location"], follow_redirects=True)
    cookie = client.get_cookie("cabinet_session")
    return f"cabinet_session={cookie.value}"


def print_report(title: str, stats: dict, n: int, wall: float | None, top: int) -> None:
    total = sum(tt for (_, _, tt, _) in stats.values())
    groups: dict[str, float] = defaultdict(float)
    for (filename, _, function), (_, _, tt, _) in stats.items():
        groups[group_of(filename, function)] += tt
    under = f"{wall * 1000:.2f} ms per request under the profiler, " if wall else ""
    print(f"\n=== {title}: {under}{total * 1000 / n:.3f} ms CPU profiled per request ({n} requests)")
    print("  own time by where the code lives (ms per request, share):")
    for name, seconds in sorted(groups.items(), key=lambda kv: -kv[1]):
        if seconds * 1000 / n >= 0.0005:
            print(f"    {name:40s} {seconds * 1000 / n:8.3f}  {seconds / total:6.1%}")
    print(f"  top {top} functions by cumulative time (ms per request):")
    rows = sorted(stats.items(), key=lambda kv: -kv[1][3])[:top]
    for (filename, line, func), (_, nc, tt, ct) in rows:
        short = filename.replace(str(ROOT) + "/", "").split("site-packages/")[-1]
        print(f"    {ct * 1000 / n:8.3f} cum {tt * 1000 / n:8.3f} own {nc / n:7.1f} calls  {short}:{line} {func}")


if __name__ == "__main__":
    main()
