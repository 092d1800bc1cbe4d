"""The cabinet read from Directus, behind the same ``CabinetSource`` interface as YAML files.

Each ``refresh`` reads every item of the model (a dozen paged requests) and the media files the
cabinet uses (downloaded once into the cache folder, served under /media). The last version the
engine compiled successfully is kept on disk (``keep``), so an engine that starts while Directus is
down serves it. Subscribers get published screens only; ``preview()`` is the same items with drafts.
``with_change`` answers "what would the cabinet be after this save" for the validation hook.
"""
from __future__ import annotations

import copy
import hashlib
import json
import logging
import mimetypes
import os
import threading
from pathlib import Path
from typing import Any, Mapping

from ..schema.document import Document
from ..schema.errors import Location, SchemaInvalid, SchemaIssue
from .client import DirectusClient, DirectusError
from .mapping import document_from_items
from .model import PREFIX
from .transfer import fetch_items, file_info

log = logging.getLogger(__name__)
LAST_GOOD = "last-good.json"
FILE_FIELDS = {"branding": ("logo",), "news": ("image", "video", "video_poster"), "pages": ("document",)}


class DirectusSource:
    def __init__(self, client: DirectusClient, cache_dir: Path, drafts: bool = False):
        self.client = client
        self.cache_dir = Path(cache_dir)
        self.drafts = drafts
        self.label = f"directus {client.url}"
        self._items: dict[str, list[dict]] | None = None
        self._files: dict[str, str] = {}            # file id -> name in the media folder
        self._fingerprint = ""
        self._lock = threading.Lock()
        self.last_failure: str | None = None

    # --- CabinetSource ------------------------------------------------------------------------------
    def fingerprint(self) -> str:
        """Read Directus again and fingerprint what it holds; when Directus cannot be read, the
        last version read (or the one kept on disk) stands."""
        try:
            self.refresh()
        except DirectusError as exc:
            if self.last_failure != str(exc):
                log.warning("reading the cabinet from Directus failed, keeping the last version: %s", exc)
            self.last_failure = str(exc)
            if self._items is None and not self.restore():
                raise SchemaInvalid([SchemaIssue((), f"{exc}; and no cabinet read before is kept in "
                                                     f"{self.cache_dir / LAST_GOOD}")]) from None
        return self._fingerprint

    def load_root(self) -> Document:
        if self._items is None:
            self.fingerprint()
        return document_from_items(self._items or {}, self._media_url, drafts=self.drafts)

    def load_include(self, reference: str, from_location: Location | None) -> Document:
        raise SchemaInvalid([SchemaIssue((), "a cabinet in Directus includes no files ($include is for YAML)",
                                         from_location)])

    def media_dir(self) -> Path:
        return self.cache_dir / "media"

    def accepted(self) -> None:
        """The engine compiled this version: keep it on disk for a start without Directus."""
        if self._items is None or self.drafts:
            return
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        target = self.cache_dir / LAST_GOOD
        temporary = target.with_suffix(".tmp")
        temporary.write_text(json.dumps({"fingerprint": self._fingerprint, "items": self._items,
                                         "files": self._files}, ensure_ascii=False, default=str), encoding="utf-8")
        os.replace(temporary, target)           # never half a file

    # --- reading ------------------------------------------------------------------------------------
    def refresh(self) -> str:
        items = fetch_items(self.client)
        files = self._download_media(items)
        with self._lock:
            self._items, self._files = items, files
            self._fingerprint = _fingerprint(items)
            self.last_failure = None
        return self._fingerprint

    def restore(self) -> bool:
        path = self.cache_dir / LAST_GOOD
        if not path.exists():
            return False
        kept = json.loads(path.read_text(encoding="utf-8"))
        self._items, self._files, self._fingerprint = kept["items"], kept["files"], kept["fingerprint"]
        log.warning("serving the cabinet kept from %s (version %s) until Directus answers", path, self._fingerprint)
        return True

    def items(self) -> dict[str, list[dict]]:
        if self._items is None:
            self.fingerprint()
        return self._items or {}

    # --- variants -------------------------------------------------------------------------------------
    def preview(self) -> "FrozenSource":
        """The same items with drafts, for the operator's preview."""
        return FrozenSource(self.items(), self._files, self.cache_dir, drafts=True, label=self.label + " (preview)")

    def with_change(self, event: str, collection: str, keys: list, payload: Mapping[str, Any] | None,
                    drafts: bool = False) -> "FrozenSource":
        """The items as they would be after a save in Directus (what the validation hook asks)."""
        items = apply_change(self.items(), event, collection, keys, payload)
        return FrozenSource(items, self._files, self.cache_dir, drafts=drafts, label=self.label)

    def adopt(self, candidate: "FrozenSource") -> None:
        """Take a validated change's items as the last read, until the next refresh: later
        validations build on it."""
        with self._lock:
            self._items = dict(candidate.items)
            self._fingerprint = candidate.fingerprint()

    def has_drafts(self, change: Mapping[str, Any]) -> bool:
        """Whether drafts exist now or the change makes one (else the preview is the live cabinet)."""
        if (change.get("payload") or {}).get("status") == "draft":
            return True
        return any(row.get("status") == "draft" for rows in self.items().values() for row in rows)

    def _media_url(self, file_id: str) -> str:
        name = self._files.get(file_id)
        return f"/media/{name}" if name else f"/media/missing-{file_id}"

    def _download_media(self, items: Mapping[str, list[dict]]) -> dict[str, str]:
        wanted = sorted({str(row[name]) for suffix, names in FILE_FIELDS.items()
                         for row in items.get(PREFIX + suffix, []) for name in names if row.get(name)})
        if not wanted:
            return {}
        folder = self.media_dir()
        folder.mkdir(parents=True, exist_ok=True)
        files = {}
        for file_id, row in file_info(self.client, wanted).items():
            extension = mimetypes.guess_extension(row.get("type") or "") or Path(row.get("filename_download") or "").suffix
            stamp = hashlib.sha256(str(row.get("modified_on") or "").encode()).hexdigest()[:8]
            name = f"{file_id}-{stamp}{extension or ''}"      # a replaced file gets a new name: no stale cache
            target = folder / name
            if not target.exists():
                temporary = target.with_suffix(".part")
                temporary.write_bytes(self.client.download(f"/assets/{file_id}"))
                os.replace(temporary, target)
            files[file_id] = name
        return files


class FrozenSource:
    """A fixed set of items (a preview, or the cabinet after a proposed change)."""

    def __init__(self, items, files, cache_dir: Path, drafts: bool, label: str):
        self._items, self._files, self.cache_dir, self.drafts, self.label = items, files, cache_dir, drafts, label

    @property
    def items(self) -> Mapping[str, list[dict]]:
        return self._items

    def fingerprint(self) -> str:
        return _fingerprint(self._items) + ("-preview" if self.drafts else "")

    def load_root(self) -> Document:
        return document_from_items(self._items, self._media_url, drafts=self.drafts)

    def load_include(self, reference: str, from_location: Location | None) -> Document:
        raise SchemaInvalid([SchemaIssue((), "a cabinet in Directus includes no files", from_location)])

    def media_dir(self) -> Path:
        return self.cache_dir / "media"

    def accepted(self) -> None:
        pass

    def _media_url(self, file_id: str) -> str:
        name = self._files.get(file_id)
        return f"/media/{name}" if name else f"/media/missing-{file_id}"


def _fingerprint(items: Mapping[str, list[dict]]) -> str:
    return hashlib.sha256(json.dumps(items, sort_keys=True, default=str).encode()).hexdigest()[:16]


# --- a proposed change -----------------------------------------------------------------------------------
NEW_KEY = "(new)"
#: relational aliases of the model: (collection, alias) -> (child collection, the child's field naming the parent)
ALIASES = {(PREFIX + "screens", "sections"): (PREFIX + "sections", "screen"),
           (PREFIX + "sections", "sections"): (PREFIX + "sections", "parent"),
           (PREFIX + "sections", "fields"): (PREFIX + "fields", "section"),
           (PREFIX + "sections", "actions"): (PREFIX + "section_actions", "section_id")}


def apply_change(items: Mapping[str, list[dict]], event: str, collection: str, keys: list,
                 payload: Mapping[str, Any] | None) -> dict[str, list[dict]]:
    """The items after ``event`` (create, update or delete) with ``payload`` on ``collection``.
    Nested changes of related items (a screen saved with its sections) are applied to those."""
    result = {name: [dict(row) for row in rows] for name, rows in items.items()}
    rows = result.setdefault(collection, [])
    singleton = collection in (PREFIX + "settings", PREFIX + "branding")
    if event == "delete":
        wanted = {str(k) for k in keys}
        result[collection] = [r for r in rows if str(r.get("id")) not in wanted]
        return result
    targets: list[dict]
    if event == "create":
        new = {"id": (payload or {}).get("id", NEW_KEY)}
        rows.append(new)
        targets = [new]
    elif singleton:
        if not rows:
            rows.append({"id": 1})
        targets = rows[:1]
    else:
        wanted = {str(k) for k in keys}
        targets = [r for r in rows if str(r.get("id")) in wanted]
    for row in targets:
        _merge(result, collection, row, payload or {})
    return result


def _merge(result: dict, collection: str, row: dict, payload: Mapping[str, Any]) -> None:
    for name, value in payload.items():
        alias = ALIASES.get((collection, name))
        if alias is None:
            row[name] = copy.deepcopy(value)
            continue
        child_collection, parent_field = alias
        children = result.setdefault(child_collection, [])
        if isinstance(value, Mapping):            # {create: [...], update: [...], delete: [...]}
            for created in value.get("create") or []:
                child = {"id": created.get("id", NEW_KEY), parent_field: row.get("id")}
                children.append(child)
                _merge(result, child_collection, child, created)
            for updated in value.get("update") or []:
                for child in children:
                    if str(child.get("id")) == str(updated.get("id")):
                        _merge(result, child_collection, child, updated)
            deleted = {str(k) for k in value.get("delete") or []}
            result[child_collection] = [c for c in result[child_collection] if str(c.get("id")) not in deleted]
        elif isinstance(value, list):              # the whole new list of children (ids or objects)
            keep = set()
            for entry in value:
                if isinstance(entry, Mapping):
                    existing = next((c for c in children if "id" in entry and str(c.get("id")) == str(entry["id"])),
                                    None)
                    if existing is None:
                        existing = {"id": entry.get("id", NEW_KEY), parent_field: row.get("id")}
                        children.append(existing)
                    _merge(result, child_collection, existing, entry)
                    existing[parent_field] = row.get("id")
                    keep.add(str(existing.get("id")))
                else:
                    keep.add(str(entry))
            result[child_collection] = [c for c in result[child_collection]
                                        if str(c.get(parent_field)) != str(row.get("id")) or str(c.get("id")) in keep]
