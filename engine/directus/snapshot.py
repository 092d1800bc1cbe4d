"""The committed Directus snapshot of the cabinet's data model: made from ``model.py`` in a
scratch Directus (``cabinet directus snapshot``), applied by provisioning."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from .client import DirectusClient, DirectusError
from .model import Model

SNAPSHOT_FILE = Path(__file__).resolve().parent.parent.parent / "directus_extensions" / "snapshot.json"


def build(client: DirectusClient, model: Model, progress: Callable[[str], None] = lambda line: None) -> None:
    """Create the model's collections, fields and relations in an empty Directus."""
    existing = {c["collection"] for c in client.get("/collections")}
    for collection in model.collections:
        if collection.name in existing:
            raise DirectusError(f"{collection.name} exists already: build the model in an empty Directus")
        client.post("/collections", collection.payload())
        for spec in collection.fields:
            client.post(f"/fields/{collection.name}", spec)
        progress(f"collection {collection.name}")
    for relation in model.relations:
        client.post("/relations", relation.payload())
    for collection, spec in model.aliases:
        client.post(f"/fields/{collection}", spec)
    progress(f"{len(model.relations)} relations")


def take(client: DirectusClient) -> dict:
    """The instance's snapshot, in a stable order (so the committed file diffs well)."""
    snapshot = client.get("/schema/snapshot")
    snapshot["collections"].sort(key=lambda c: c["collection"])
    snapshot["fields"].sort(key=lambda f: (f["collection"], f["meta"]["sort"] or 0, f["field"]))
    snapshot["relations"].sort(key=lambda r: (r["collection"], r["field"]))
    return snapshot


def write(snapshot: dict, path: Path = SNAPSHOT_FILE) -> None:
    path.write_text(json.dumps(snapshot, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def read(path: Path = SNAPSHOT_FILE) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def apply(client: DirectusClient, snapshot: dict) -> bool:
    """Bring the instance's data model to ``snapshot``; False when it already was."""
    diff = client.post("/schema/diff", snapshot, params={"force": "true"})
    if not diff:
        return False
    client.post("/schema/apply", diff)
    return True
