"""Where cabinet schemas come from. YAML files are the embedded default; Directus implements the
same interface. A source only reads: it returns documents with locations and raises
``SchemaInvalid`` on syntax errors."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path as FsPath
from typing import Any, Callable, Protocol

import yaml

from .document import Document
from .errors import Location, Path, SchemaInvalid, SchemaIssue

ROOT_FILE = "cabinet.yaml"


class CabinetSource(Protocol):
    """A place cabinet schemas are read from."""

    #: shown in messages and in ``cabinet validate`` ("cabinet_schemas/demo", "directus 127.0.0.1:8055")
    label: str

    def load_root(self) -> Document:
        """The root document of the cabinet."""

    def load_include(self, reference: str, from_location: Location | None) -> Document:
        """A document another one includes with ``$include: reference``."""

    def fingerprint(self) -> str:
        """Changes whenever the content changes (to skip needless recompiles)."""

    def media_dir(self) -> FsPath | None:
        """A folder of operator media (logo, pictures) served under /media, or None."""

    def accepted(self) -> None:
        """The engine compiled what the source gave last and serves it (a source may keep it)."""


class YamlSource:
    """A folder with ``cabinet.yaml`` (and the files it includes), or a single YAML file."""

    def __init__(self, path: str | os.PathLike):
        path = FsPath(path)
        if path.is_dir():
            self.root_dir, self.root_file = path, path / ROOT_FILE
        else:
            self.root_dir, self.root_file = path.parent, path
        self.label = str(path)
        # the files as the last fingerprint read them: a compile reads these, not the disk again,
        # so what is compiled is exactly what was fingerprinted, even while an editor writes
        self._snapshot: dict[FsPath, bytes] = {}

    def load_root(self) -> Document:
        if not self.root_file.is_file() and self.root_file.resolve() not in self._snapshot:
            raise SchemaInvalid([SchemaIssue((), f"no cabinet schema at {self.root_file}: create {ROOT_FILE} there "
                                                 f"or pass the path of a schema folder")])
        return self._load(self.root_file)

    def load_include(self, reference: str, from_location: Location | None) -> Document:
        target = (self.root_dir / reference).resolve()
        if not target.is_relative_to(self.root_dir.resolve()):
            raise SchemaInvalid([SchemaIssue((), f"$include {reference!r} points outside the schema folder", from_location)])
        if not target.is_file() and target not in self._snapshot:
            raise SchemaInvalid([SchemaIssue((), f"$include {reference!r}: no such file in {self.root_dir}", from_location)])
        return self._load(target)

    def fingerprint(self) -> str:
        """Read every YAML file of the folder once (kept for the compile that follows) and hash them."""
        digest = hashlib.sha256()
        snapshot: dict[FsPath, bytes] = {}
        for file in sorted(self.root_dir.rglob("*.y*ml")):
            try:
                content = file.read_bytes()
            except OSError:          # removed while listed: the next look sees the folder as it is
                continue
            snapshot[file.resolve()] = content
            digest.update(str(file.relative_to(self.root_dir)).encode())
            digest.update(content)
        self._snapshot = snapshot
        return digest.hexdigest()[:16]

    def _load(self, file: FsPath) -> Document:
        content = self._snapshot.get(file.resolve())
        if content is None:
            return load_yaml_file(file, self._display(file))
        return load_yaml_bytes(content, self._display(file))

    def media_dir(self) -> FsPath | None:
        media = self.root_dir / "media"
        return media if media.is_dir() else None

    def accepted(self) -> None:
        pass                    # the files are the record

    def _display(self, file: FsPath) -> str:
        try:
            return os.path.relpath(file)
        except ValueError:
            return str(file)


def load_yaml_file(file: FsPath, display_name: str) -> Document:
    return load_yaml_bytes(file.read_bytes(), display_name)


def load_yaml_bytes(content: bytes, display_name: str) -> Document:
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SchemaInvalid([SchemaIssue((), f"not UTF-8 text ({exc.reason}); save the file as UTF-8",
                                         Location(display_name, 1))]) from None
    return load_yaml_text(text, display_name)


def load_yaml_text(text: str, display_name: str) -> Document:
    """Parse YAML keeping the line of every mapping key and sequence item."""
    loader = None
    try:
        _check_depth(text, display_name)
        loader = _Loader(text)
        node = loader.get_single_node()
        if node is None:
            return Document({}, {(): Location(display_name, 1)})
        if _expanded_size(node, {}) > MAX_NODES:
            raise SchemaInvalid([SchemaIssue((), f"the file expands to more than {MAX_NODES} values "
                                                 f"(aliases of aliases?); write the schema out",
                                             Location(display_name, 1))])
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise SchemaInvalid([SchemaIssue((), f"YAML syntax: {exc.problem or exc}", Location(display_name, line))]) from None
    except yaml.YAMLError as exc:   # a character YAML does not allow, and the like
        raise SchemaInvalid([SchemaIssue((), f"not readable as YAML: {exc}", Location(display_name, 1))]) from None
    finally:
        if loader is not None:
            loader.dispose()
    if _contains_itself(data, set()):
        raise SchemaInvalid([SchemaIssue((), "a YAML alias refers to a node that contains it (&a [*a]); "
                                             "a schema must be a tree", Location(display_name, 1))])
    locations: dict[Path, Location] = {}
    issues: list[SchemaIssue] = []
    _record(node, (), display_name, locations, issues, set())
    if issues:
        raise SchemaInvalid(issues)
    return Document(data, locations)


def _record(node: yaml.Node, path: Path, file: str, locations: dict, issues: list, walking: set) -> None:
    locations.setdefault(path, Location(file, node.start_mark.line + 1))
    if id(node) in walking:
        return   # an alias (``*a``) of a node walked already: walked once, so ``&a [*a]`` ends
    walking.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: set = set()
        for key_node, value_node in node.value:
            key = _key(key_node)
            if key in seen:
                issues.append(SchemaIssue(path + (key,), "the key appears twice in this mapping; keep one",
                                          Location(file, key_node.start_mark.line + 1)))
            seen.add(key)
            locations[path + (key,)] = Location(file, key_node.start_mark.line + 1)
            _record(value_node, path + (key,), file, locations, issues, walking)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record(item, path + (index,), file, locations, issues, walking)


# libyaml's parser (bundled with PyYAML's wheels) reads a large cabinet many times faster than the
# pure-Python one; both give the same nodes and marks.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    """YAML's safe loader, saying where a value that looks like a date is not one (2025-13-45)."""


def _timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode):
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError):
        raise yaml.constructor.ConstructorError(
            None, None, f"{node.value!r} looks like a date but is not one; quote it if it is text",
            node.start_mark) from None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)

MAX_NODES = 200_000   # far above any real cabinet; stops "billion laughs" alias bombs
MAX_DEPTH = 48        # mappings and lists inside one another; a cabinet needs about 12


def _check_depth(text: str, display_name: str) -> None:
    """Refuse nesting deeper than ``MAX_DEPTH`` before anything recursive reads the file: the
    parser's events are read one by one, so this check never recurses itself."""
    depth = 0
    for event in yaml.parse(text, Loader=_BaseLoader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                line = event.start_mark.line + 1 if event.start_mark else 1
                raise SchemaInvalid([SchemaIssue((), f"mappings and lists are nested more than {MAX_DEPTH} deep "
                                                     f"here; a cabinet needs far fewer levels",
                                                 Location(display_name, line))])
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def _expanded_size(node: yaml.Node, sizes: dict, enclosing: frozenset = frozenset()) -> int:
    """How many values the node stands for once its aliases are expanded (memoized: linear)."""
    if id(node) in sizes:
        return sizes[id(node)]
    if id(node) in enclosing:
        return 1   # a cycle: reported separately once constructed
    inner = enclosing | {id(node)}
    if isinstance(node, yaml.MappingNode):
        size = 1 + sum(_expanded_size(k, sizes, inner) + _expanded_size(v, sizes, inner) for k, v in node.value)
    elif isinstance(node, yaml.SequenceNode):
        size = 1 + sum(_expanded_size(item, sizes, inner) for item in node.value)
    else:
        size = 1
    sizes[id(node)] = size
    return size


def _contains_itself(value, enclosing: set, checked: set | None = None) -> bool:
    """Whether the data has a cycle; shared (aliased) parts are checked once, so it stays linear."""
    checked = set() if checked is None else checked
    if not isinstance(value, (dict, list)) or id(value) in checked:
        return False
    if id(value) in enclosing:
        return True
    enclosing.add(id(value))
    children = value.values() if isinstance(value, dict) else value
    found = any(_contains_itself(child, enclosing, checked) for child in children)
    enclosing.discard(id(value))
    checked.add(id(value))
    return found


_KEY_TYPES: dict[str, Callable[[str], Any]] = {"tag:yaml.org,2002:bool": lambda v: v.lower() in ("yes", "true", "on", "y"),
              "tag:yaml.org,2002:int": int}


def _key(node: yaml.Node):
    """The key as the loaded data has it (YAML reads ``on:`` as True and ``1:`` as 1)."""
    convert = _KEY_TYPES.get(node.tag)
    try:
        return convert(node.value) if convert else node.value
    except (TypeError, ValueError):
        return node.value
