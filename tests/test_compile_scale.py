"""Compiling grows linearly with the cabinet: ten times the screens (and the uses of shared
sections) is at most about twelve times the work. Work is counted as lines of the engine's own
code executed — the same on any machine, however loaded — not as time; `make bench` times it."""
from __future__ import annotations

import sys

from bench.scaled_cabinet import scaled_cabinet
from engine.schema.expressions import _compiled_template
from tests.conftest import ROOT
from tests.test_schema_pipeline import load

ENGINE = str(ROOT / "engine")


def engine_lines_to_load(folder) -> int:
    _compiled_template.cache_clear()            # each load compiles its texts afresh
    executed = 0

    def count_lines(frame, event, arg):
        nonlocal executed
        if event == "line":
            executed += 1
        return count_lines

    def only_the_engine(frame, event, arg):
        return count_lines if frame.f_code.co_filename.startswith(ENGINE) else None

    previous = sys.gettrace()
    sys.settrace(only_the_engine)
    try:
        cabinet = load(folder)
    finally:
        sys.settrace(previous)
    return executed, len(cabinet.screens)


def test_ten_times_the_screens_is_at_most_twelve_times_the_work(tmp_path):
    small, small_screens = engine_lines_to_load(scaled_cabinet(tmp_path / "small", 2))
    large, large_screens = engine_lines_to_load(scaled_cabinet(tmp_path / "large", 20))
    assert small_screens >= 40 and large_screens == 10 * small_screens     # the demo's screens, twice and twenty times
    assert large <= 12 * small, f"{large / small:.1f}× the work for 10× the screens"
