"""The committed Directus snapshot of the cabinet's data model: made from ``model.py`` in a
scratch Directus (``cabinet directus snapshot``), applied by provisioning."""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

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
    for name, spec in model.aliases:
        client.post(f"/fields/{name}", spec)
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
    answer = client.post("/schema/diff", snapshot, params={"force": "true"})
    if answer and client.get("/schema/snapshot").get("vendor") != snapshot.get("vendor"):
        answer = {**answer, "diff": without_spelling(answer["diff"], snapshot)}
    if not answer or not any(answer["diff"].values()):
        return False
    client.post("/schema/apply", answer)
    return True


# Across database vendors, Directus' diff is never empty: it compares schema keys that say how a
# database spells a column, not what the column is. The snapshot is taken on SQLite; PostgreSQL
# reads the same columns back as `character varying` (`varchar`), `uuid` without a length
# (`char(36)`), `real` and `integer` with a precision, and names the foreign keys SQLite leaves
# unnamed. Applying that only re-alters columns, which PostgreSQL refuses for a primary key.
# Directus builds a column from the field's `type` and the other schema keys; of these it reads a
# length for a `string` only and a precision and scale for a `decimal` only (the type named here).
_SPELLING = {"data_type": None, "constraint_name": None, "max_length": "string",
             "numeric_precision": "decimal", "numeric_scale": "decimal"}


def without_spelling(diff: dict, snapshot: dict) -> dict:
    """``diff`` (of ``snapshot``, taken on another database vendor) without the edits of existing
    fields and relations that only respell a column. An item with any other schema or type change
    is kept whole, as Directus diffed it: Directus rebuilds the column from the vendor-neutral keys
    anyway, and alters nothing when the schema it is given equals the column's (a type change that
    only respelled keys show would be lost)."""
    types = {(f["collection"], f["field"]): f.get("type") for f in snapshot.get("fields", [])}

    def spelling(change: dict, field_type: str | None) -> bool:
        path = change.get("path") or []
        if len(path) != 2 or path[0] != "schema" or path[1] not in _SPELLING:
            return False
        return _SPELLING[path[1]] is None or _SPELLING[path[1]] != field_type

    result = dict(diff)
    for kind in ("fields", "relations"):
        kept = []
        for item in diff.get(kind) or []:
            field_type = types.get((item["collection"], item["field"])) if kind == "fields" else None
            meant = [c for c in item.get("diff") or [] if not spelling(c, field_type)]
            if any((c.get("path") or [""])[0] != "meta" for c in meant):
                kept.append(item)                   # new, deleted, or a real schema or type change
            elif meant:
                kept.append({**item, "diff": meant})        # meta only: no column is altered
        result[kind] = kept
    return result
