"""make bench, part 4: how compiling grows with the size of a cabinet. The demo (23 screens) is
compiled at 1, 10 and 100 times its size, in one run; the ratio of the time per screen at the
largest and the smallest size is 1.0 for perfectly linear growth (it was about 4 when grafting
each shared-section use scanned the whole document)."""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from scaled_cabinet import scaled_cabinet  # noqa: E402  (this folder is on the path)
from engine.kinds import field_kind_registry, section_kind_registry  # noqa: E402
from engine.schema import YamlSource, load_cabinet  # noqa: E402
from engine.schema.expressions import _compiled_template  # noqa: E402
from engine.web.handlers import handler_operations, handler_registry  # noqa: E402

SIZES = (1, 10, 100)
RUNS = 3


def compile_seconds(folder: Path) -> tuple[float, int]:
    """The best of ``RUNS`` cold compiles (texts compiled afresh each time)."""
    best, screens = float("inf"), 0
    for _ in range(RUNS):
        _compiled_template.cache_clear()
        started = time.perf_counter()
        cabinet = load_cabinet(YamlSource(folder), field_kind_registry(), section_kind_registry(),
                               handlers=handler_operations(handler_registry()))
        best, screens = min(best, time.perf_counter() - started), len(cabinet.screens)
    return best, screens


def main() -> None:
    with tempfile.TemporaryDirectory() as temporary:
        per_screen = {}
        for copies in SIZES:
            seconds, screens = compile_seconds(scaled_cabinet(Path(temporary) / f"x{copies}", copies))
            per_screen[copies] = seconds / screens
            print(f"compile {screens:5d} screens: {seconds:6.2f} s ({seconds / screens * 1000:.2f} ms a screen)")
        ratio = per_screen[SIZES[-1]] / per_screen[SIZES[0]]
        print(f"compile: time a screen at {SIZES[-1]}x over 1x = {ratio:.2f} (1.0 is linear)")


if __name__ == "__main__":
    main()
