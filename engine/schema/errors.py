"""Schema problems, each naming its path and, where known, the file and line it came from."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Union

PathPart = Union[str, int]
Path = tuple[PathPart, ...]


def format_path(path: Path) -> str:
    """``("screens", 2, "sections", 0, "value")`` -> ``screens[2].sections[0].value``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out or "(root)"


@dataclass(frozen=True)
class Location:
    file: str           # a YAML file, or an item of the Directus model ("cabinet_fields #12")
    line: int | None    # 1-based; None for a Directus item

    def __str__(self) -> str:
        return self.file if self.line is None else f"{self.file}:{self.line}"


@dataclass(frozen=True)
class SchemaIssue:
    path: Path
    message: str
    location: Location | None = None

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{where}{format_path(self.path)}: {self.message}"

    def as_dict(self) -> dict:
        return {
            "path": format_path(self.path),
            "message": self.message,
            "file": self.location.file if self.location else None,
            "line": self.location.line if self.location else None,
        }


class SchemaInvalid(Exception):
    """A cabinet schema with problems; ``issues`` lists all of them, in document order."""

    def __init__(self, issues: Iterable[SchemaIssue]):
        self.issues = list(issues)
        super().__init__("\n".join(str(i) for i in self.issues))


def merge_repeated(issues: Iterable[SchemaIssue]) -> list[SchemaIssue]:
    """One issue per mistake: a shared section or an included file used in several places is
    compiled once per use, so the same mistake at the same file and line comes back each time
    (its list of the data at hand differing per screen). Keep the first, naming the other places."""
    merged: dict[tuple, tuple[SchemaIssue, list[Path]]] = {}
    for issue in issues:
        stem = issue.message.split(" (data here:")[0]
        key = (issue.location, stem) if issue.location is not None else (None, stem, issue.path)
        if key in merged:
            merged[key][1].append(issue.path)
        else:
            merged[key] = (issue, [])
    result = []
    for issue, others in merged.values():
        if others:
            also = ", ".join(format_path(p) for p in others[:5]) + (" …" if len(others) > 5 else "")
            issue = SchemaIssue(issue.path, f"{issue.message}; the same at {also}", issue.location)
        result.append(issue)
    return result
