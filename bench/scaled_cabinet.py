"""The demo cabinet made ``copies`` times larger: every screen again under its own id and route
(``home_k2`` at ``/k2``), shared sections and actions as they are. For measuring how compiling
grows with the size of a cabinet (make bench, and a test that it grows linearly)."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

DEMO = Path(__file__).resolve().parent.parent / "cabinet_schemas" / "demo"


def scaled_cabinet(target: Path, copies: int) -> Path:
    """Write the demo with ``copies`` sets of its screens into ``target``; returns the folder."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(DEMO, target)
    screens = sorted((DEMO / "screens").glob("*.yaml"))
    ids = {re.search(r"^id: (\w+)", f.read_text(encoding="utf-8"), re.M).group(1) for f in screens}
    includes = []
    for copy in range(2, copies + 1):
        for file in screens:
            text = file.read_text(encoding="utf-8")
            text = re.sub(r"^id: (\w+)", rf"id: \1_k{copy}", text, count=1, flags=re.M)
            text = re.sub(r"^route: /", f"route: /k{copy}/", text, count=1, flags=re.M)
            text = re.sub(r"^route: (/k\d+)/$", r"route: \1", text, count=1, flags=re.M)
            text = re.sub(r"^parent: (\w+)", lambda m: f"parent: {m.group(1)}_k{copy}"
                          if m.group(1) in ids else m.group(0), text, count=1, flags=re.M)
            name = f"k{copy}_{file.name}"
            (target / "screens" / name).write_text(text, encoding="utf-8")
            includes.append(f"  - $include: screens/{name}\n")
    root = target / "cabinet.yaml"
    root.write_text(root.read_text(encoding="utf-8") + "".join(includes), encoding="utf-8")
    return target
