"""Moving a cabinet between YAML and Directus: reading every item of the model, importing a YAML
cabinet into an empty Directus, and exporting Directus back to YAML."""
from __future__ import annotations

import mimetypes
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

import yaml

from ..schema.migrate import migrate
from ..schema.resolve import expand_includes
from ..schema.sources import YamlSource
from .client import DirectusClient
from .mapping import ImportPlan, payloads_from_document
from .model import PREFIX

COLLECTIONS = ("settings", "branding", "screens", "sections", "section_actions", "fields", "actions",
               "navigation", "translations", "news", "faq", "pages")
MEDIA_PREFIX = "/media/"


def fetch_items(client: DirectusClient) -> dict[str, list[dict]]:
    """Every item of the cabinet's collections (not what subscribers submitted), read side by side:
    a change shows to subscribers as soon as these requests are back."""
    def read(suffix: str) -> list[dict]:
        return [r for r in client.items(PREFIX + suffix, {"fields": "*", "sort": "id"}) if r]  # an unset singleton: null

    with ThreadPoolExecutor(max_workers=6, thread_name_prefix="directus-read") as pool:
        return dict(zip((PREFIX + s for s in COLLECTIONS), pool.map(read, COLLECTIONS)))


def file_info(client: DirectusClient, ids: list[str]) -> dict[str, dict]:
    """id -> {id, filename_download, type, modified_on} of the files the cabinet uses."""
    info: dict[str, dict] = {}
    for start in range(0, len(ids), 100):
        chunk = ids[start:start + 100]
        for row in client.get("/files", {"filter[id][_in]": ",".join(chunk), "limit": 100,
                                         "fields": "id,filename_download,type,modified_on,filesize"}):
            info[row["id"]] = row
    return info


# --- import ------------------------------------------------------------------------------------------
class ImportRefused(Exception):
    pass


def import_cabinet(client: DirectusClient, folder: Path, progress: Callable[[str], None] = lambda line: None,
                   ) -> ImportPlan:
    """Create the YAML cabinet at ``folder`` in a Directus whose cabinet is empty."""
    if client.get(f"/items/{PREFIX}screens", {"limit": 1, "fields": "id"}):
        raise ImportRefused("the Directus cabinet has screens already; an import never overwrites an operator's work")
    source = YamlSource(folder)
    document = migrate(expand_includes(source))
    media = source.media_dir()
    uploaded: dict[str, str] = {}

    def upload(path: str) -> str | None:
        if not isinstance(path, str) or not path.startswith(MEDIA_PREFIX) or media is None:
            return None
        if path not in uploaded:
            local = (media / path[len(MEDIA_PREFIX):]).resolve()
            if not local.is_relative_to(media.resolve()) or not local.is_file():
                raise ImportRefused(f"{path}: no such file in {media}")
            kind = mimetypes.guess_type(local.name)[0] or "application/octet-stream"
            row = client.upload("/files", local.name, local.read_bytes(), kind, {"title": local.stem})
            uploaded[path] = row["id"]
        return uploaded[path]

    plan = payloads_from_document(document.data, upload)
    progress(f"media: {len(uploaded)} files")
    screens = client.post(f"/items/{PREFIX}screens", plan.screens)
    progress(f"screens: {len(screens)}")
    if plan.actions:
        client.post(f"/items/{PREFIX}actions", plan.actions)
    progress(f"actions: {len(plan.actions)}")
    for screen_id, parent in plan.screen_parents.items():
        client.patch(f"/items/{PREFIX}screens/{screen_id}", {"parent": parent})
    if plan.sections:
        client.post(f"/items/{PREFIX}sections", plan.sections)
    progress(f"sections: {_count_sections(plan.sections)}")
    if plan.navigation:
        client.post(f"/items/{PREFIX}navigation", plan.navigation)
    client.patch(f"/items/{PREFIX}settings", plan.settings)
    if plan.branding:
        client.patch(f"/items/{PREFIX}branding", plan.branding)
    if plan.translations:
        client.post(f"/items/{PREFIX}translations", plan.translations)
    progress(f"translations: {len(plan.translations)}")
    for suffix, rows in plan.content.items():
        if rows:
            client.post(f"/items/{PREFIX}{suffix}", rows)
        progress(f"{suffix}: {len(rows)}")
    return plan


def _count_sections(sections: list[dict]) -> int:
    return sum(1 + _count_sections(s.get("sections") or []) for s in sections)


# --- export ------------------------------------------------------------------------------------------
def export_cabinet(client: DirectusClient, folder: Path, drafts: bool = False,
                   progress: Callable[[str], None] = lambda line: None) -> Path:
    """Write the Directus cabinet as ``folder/cabinet.yaml`` with its media in ``folder/media``."""
    from .mapping import document_from_items

    items = fetch_items(client)
    media_dir = folder / "media"
    names: dict[str, str] = {}

    def media_url(file_id: str) -> str:
        names.setdefault(file_id, "")
        return f"{MEDIA_PREFIX}{file_id}"

    document = document_from_items(items, media_url, drafts=drafts)
    if names:
        media_dir.mkdir(parents=True, exist_ok=True)
        for file_id, row in file_info(client, list(names)).items():
            filename = _safe_name(row.get("filename_download") or file_id)
            (media_dir / filename).write_bytes(client.download(f"/assets/{file_id}"))
            names[file_id] = filename
    data = _replace_media(document.data, {f"{MEDIA_PREFIX}{k}": f"{MEDIA_PREFIX}{v}" for k, v in names.items() if v})
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "cabinet.yaml"
    target.write_text("# Exported from Directus by `cabinet export`.\n"
                      + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=110), encoding="utf-8")
    progress(f"wrote {target} ({len(data.get('screens', []))} screens, {len(names)} media files)")
    return target


def _replace_media(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: _replace_media(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_media(v, names) for v in value]
    return names.get(value, value) if isinstance(value, str) else value


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "file"


