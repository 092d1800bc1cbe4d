"""The scripts that install a component once into the cache outside git (scripts/install-*.sh) and
print where it is as ``NAME=path`` lines."""
from __future__ import annotations

import subprocess
from pathlib import Path


def run_installer(script: Path, what: str, error: type[Exception]) -> dict[str, str]:
    """The paths ``script`` prints; ``error`` with its last words when it fails."""
    result = subprocess.run(["bash", str(script)], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise error(f"installing {what} failed ({script}):\n{result.stderr[-3000:]}")
    return dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
