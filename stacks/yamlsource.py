"""Safe YAML loading that keeps a line and column for every node.

PyYAML's composer gives a node graph with marks; this module turns it into plain
Python data itself instead of running a constructor, which is what lets it:
refuse duplicate keys (YAML says they are an error, PyYAML keeps the last),
refuse every tag but the core schema's (no ``!!python/...``), bound the expansion
of aliases (billion-laughs documents fail fast in bounded memory), and record
where every value and key came from so errors can point at them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from stacks.errors import Diagnostic, StacksError

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_NODES = 100_000
MAX_DEPTH = 64

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_CORE = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_CORE}{t}" for t in ("str", "int", "float", "bool", "null", "timestamp")}
_MERGE = f"{_CORE}merge"

PathKey = tuple[str | int, ...]


@dataclass
class Positions:
    """Where each value (and each mapping key) of a document starts, by data path."""

    values: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    keys: dict[PathKey, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: PathKey, *, prefer_key: bool = False) -> tuple[int, int]:
        """The position of ``path`` or of its nearest located ancestor."""
        path = tuple(path)
        while True:
            if prefer_key and path in self.keys:
                return self.keys[path]
            if path in self.values:
                return self.values[path]
            if path in self.keys:
                return self.keys[path]
            if not path:
                return (1, 1)
            path = path[:-1]


@dataclass
class Document:
    """A loaded YAML file: its plain data, where each piece came from, and its name."""

    data: Any
    positions: Positions
    filename: str
    text: str = ""

    def diagnostic(self, path: PathKey, message: str, hint: str | None = None, *, at_key: bool = False) -> Diagnostic:
        line, col = self.positions.locate(path, prefer_key=at_key)
        return Diagnostic(self.filename, line, col, format_path(path), message, hint)


def format_path(path: PathKey) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def read_text(path: Path, display: str | None = None) -> str:
    display = display or str(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise StacksError(
            f"{display}: file not found",
            hint="run `stacks init` to write a starter stacks.yaml, or point at one with -f/--file",
        ) from None
    except OSError as exc:
        raise StacksError(f"{display}: cannot read: {exc.strerror}") from None
    if path.is_dir():
        raise StacksError(f"{display}: is a directory, expected a stacks.yaml file")
    if size > MAX_FILE_BYTES:
        raise StacksError(
            f"{display}: file is {size / 2**20:.1f} MiB, larger than the {MAX_FILE_BYTES // 2**20} MiB limit",
            diagnostics=[Diagnostic(display, 1, 1, "", "file too large")],
            hint="a stacks.yaml describes a system in a few hundred lines; split out generated data",
        )
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise StacksError(
            f"{display}: not valid UTF-8",
            diagnostics=[
                Diagnostic(
                    display, line, col, "", f"byte 0x{raw[exc.start]:02x} is not valid UTF-8", "save the file as UTF-8"
                )
            ],
        ) from None


def load_file(path: Path, display: str | None = None) -> Document:
    display = display or path.name
    return load_text(read_text(path, display), display)


def load_text(text: str, filename: str = "stacks.yaml") -> Document:
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise StacksError(f"{filename}: document larger than {MAX_FILE_BYTES // 1024 // 1024} MiB")
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        raise StacksError(
            f"{filename}: not valid YAML", diagnostics=[_syntax_diagnostic(exc, filename, text)]
        ) from None
    except yaml.reader.ReaderError as exc:
        before = text[: exc.position]
        line, col = before.count("\n") + 1, exc.position - (before.rfind("\n") + 1) + 1
        what = f"character {exc.character!r}" if isinstance(exc.character, str) else "a character"
        raise StacksError(
            f"{filename}: not valid YAML",
            diagnostics=[
                Diagnostic(
                    filename,
                    line,
                    col,
                    "",
                    f"{what} is not allowed in YAML (control characters are refused)",
                    "remove the character or write it as an escape inside a double-quoted string",
                )
            ],
        ) from None
    except yaml.YAMLError as exc:
        raise StacksError(
            f"{filename}: not valid YAML",
            diagnostics=[Diagnostic(filename, 1, 1, "", f"not valid YAML: {exc}", "check the file's syntax")],
        ) from None
    except RecursionError:
        raise StacksError(
            f"{filename}: nesting is too deep",
            diagnostics=[Diagnostic(filename, 1, 1, "", "nesting is too deep to read", "flatten the document")],
        ) from None
    if root is None:
        raise StacksError(
            f"{filename}: the file is empty",
            diagnostics=[
                Diagnostic(
                    filename,
                    1,
                    1,
                    "",
                    "the file is empty",
                    "describe your system in it; `stacks init` writes a commented starter",
                )
            ],
        )
    builder = _Builder(filename)
    data = builder.build(root, (), 0)
    if builder.problems:
        raise StacksError(f"{filename}: cannot be read", diagnostics=builder.problems)
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a single {type(data).__name__} value"
        raise StacksError(
            f"{filename}: top level must be a mapping",
            diagnostics=[
                Diagnostic(
                    filename,
                    root.start_mark.line + 1,
                    root.start_mark.column + 1,
                    "",
                    f"the top level is {kind}, expected a mapping with 'system', "
                    "'components', 'connections' and 'stacks'",
                    "see `stacks init` for the shape of a stacks.yaml",
                )
            ],
        )
    return Document(data, builder.positions, filename, text)


def _syntax_diagnostic(exc: yaml.MarkedYAMLError, filename: str, text: str) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = (exc.problem or exc.context or "syntax error").strip()
    hint = "check the indentation and quoting around this line"
    source_line = text.splitlines()[line - 1] if 0 < line <= len(text.splitlines()) else ""
    if "\t" in problem or "'\\t'" in problem or "\t" in source_line[: max(col, 1) + 1]:
        problem = "a tab character is used for indentation"
        hint = "YAML indents with spaces only: replace the tab with spaces"
    elif "expected a single document" in problem or "but found another document" in problem:
        problem = "the file holds more than one YAML document"
        hint = "remove the '---' separator: a stacks.yaml is a single document"
    elif "found undefined alias" in problem or "found undefined anchor" in problem:
        hint = "define the anchor (&name) before its alias (*name)"
    elif "mapping values are not allowed" in problem:
        hint = "quote a value that contains ': ', or fix the indentation of this key"
    return Diagnostic(filename, line, col, "", f"YAML syntax error: {problem}", hint)


class _Builder:
    def __init__(self, filename: str):
        self.filename = filename
        self.positions = Positions()
        self.problems: list[Diagnostic] = []
        self.count = 0
        self.aborted = False

    def _problem(self, node: yaml.Node, message: str, hint: str | None, path: PathKey) -> None:
        if len(self.problems) < 50:
            self.problems.append(
                Diagnostic(
                    self.filename,
                    node.start_mark.line + 1,
                    node.start_mark.column + 1,
                    format_path(path),
                    message,
                    hint,
                )
            )

    def build(self, node: yaml.Node, path: PathKey, depth: int) -> Any:
        if self.aborted:
            return None
        self.count += 1
        if self.count > MAX_NODES:
            self.aborted = True
            self._problem(
                node,
                f"the document expands to more than {MAX_NODES:,} values",
                "an anchor/alias chain multiplies values (a 'billion laughs' document?): remove the repeated aliases",
                path,
            )
            return None
        if depth > MAX_DEPTH:
            self.aborted = True
            self._problem(
                node,
                f"nesting deeper than {MAX_DEPTH} levels (recursive alias?)",
                "an alias may not refer to a node that contains it",
                path,
            )
            return None
        self.positions.values.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != f"{_CORE}seq":
                self._bad_tag(node, path)
                return None
            return [self.build(child, (*path, i), depth + 1) for i, child in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            if node.tag != f"{_CORE}map":
                self._bad_tag(node, path)
                return None
            return self._mapping(node, path, depth)
        return None  # pragma: no cover - the composer makes only these three

    def _bad_tag(self, node: yaml.Node, path: PathKey) -> None:
        tag = node.tag.replace(_CORE, "!!")
        self._problem(
            node,
            f"the tag '{tag}' is not allowed",
            "stacks.yaml takes plain YAML values only (strings, numbers, booleans, lists, mappings); remove the tag",
            path,
        )

    def _scalar(self, node: yaml.ScalarNode, path: PathKey) -> Any:
        if node.tag not in _SCALAR_TAGS:
            self._bad_tag(node, path)
            return None
        if node.tag == f"{_CORE}str" or node.tag == f"{_CORE}timestamp":
            return node.value
        # The core resolver already decided the type from the text; reuse PyYAML's converters for it.
        constructor = yaml.SafeLoader.__new__(yaml.SafeLoader)
        yaml.constructor.SafeConstructor.__init__(constructor)
        try:
            return constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, OverflowError):
            return node.value

    def _mapping(self, node: yaml.MappingNode, path: PathKey, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        seen: dict[str, yaml.Node] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                self._merge(value_node, path, depth, merged)
                continue
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _SCALAR_TAGS:
                self._problem(key_node, "mapping keys must be plain strings", "write the key as a plain word", path)
                continue
            if key_node.tag != f"{_CORE}str":
                read_as = {"int": "a number", "float": "a number", "bool": "a boolean", "null": "null"}.get(
                    key_node.tag.replace(_CORE, ""), "a non-string value"
                )
                self._problem(
                    key_node,
                    f"the key '{key_node.value}' is read as {read_as}, not a string",
                    f'quote it: "{key_node.value}"',
                    (*path, key_node.value),
                )
                continue
            key = key_node.value
            if key in seen:
                first = seen[key].start_mark
                self._problem(
                    key_node,
                    f"duplicate key '{key}' (first defined at line {first.line + 1})",
                    "YAML keys must be unique in a mapping: remove or rename one of them",
                    (*path, key),
                )
                continue
            seen[key] = key_node
            child = (*path, key)
            self.positions.keys[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[key] = self.build(value_node, child, depth + 1)
        for key, value in merged.items():
            out.setdefault(key, value)
        return out

    def _merge(self, value_node: yaml.Node, path: PathKey, depth: int, merged: dict[str, Any]) -> None:
        sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                self._problem(
                    source,
                    "a merge key '<<' takes a mapping or a list of mappings",
                    "point '<<' at an anchored mapping: <<: *defaults",
                    path,
                )
                continue
            value = self.build(source, path, depth + 1)
            if isinstance(value, dict):
                for key, item in value.items():
                    merged.setdefault(key, item)
