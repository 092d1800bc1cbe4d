"""Serving an app with waitress, as ``cabinet serve`` and ``cabinet stack`` do."""
from __future__ import annotations

import gc
from typing import Any


def serve(app: Any, **waitress_options: Any) -> None:
    """Serve ``app`` until the process ends.

    What is alive when serving starts (modules, registries, the compiled cabinet, the theme's
    templates) lives as long as the process, so it is frozen out of the garbage collector's
    sight: a full collection no longer walks it, which took about a third of the collector's time
    under load (make bench). The cost: a cabinet replaced by a reload is freed only if nothing in
    it refers back to itself, and that can only be the first one."""
    import waitress

    gc.collect()
    gc.freeze()
    waitress.serve(app, **waitress_options)
