"""Generated files: the header they carry, atomic writes, and staleness checks.

Renderers return ``Artifact`` values (a relative path and bytes) and never touch
the disk; only the last stage of the pipeline writes, each file through a temp
file and ``os.replace`` so a reader never sees half a file.

A file is stacks' to replace or remove only when it carries the header: anything
else at a generated path is the user's (``user_files`` finds them, the pipeline
refuses to touch them unless adopted). A ``once`` artifact (``.env``) is seeded
when missing and never replaced: it holds local values.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

GENERATED = "generated from stacks.yaml by `stacks build`, do not edit"


def header(style: str = "#") -> str:
    """The "do not edit" line in a file type's comment syntax."""
    if style == "#":
        return f"# {GENERATED}\n"
    if style == "xml":
        return f"<!-- {GENERATED} -->\n"
    if style == "//":
        return f"// {GENERATED}\n"
    raise ValueError(style)


@dataclass(frozen=True)
class Artifact:
    path: str  # relative to the project root, '/'-separated
    content: bytes
    generator: str = ""
    once: bool = False  # written when missing, never replaced (local settings such as .env)

    @staticmethod
    def text(path: str, text: str, generator: str = "", once: bool = False) -> Artifact:
        return Artifact(path, text.encode("utf-8"), generator, once)

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def file_digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


HEADER_WINDOW = 8192  # the header sits on the first lines (PNG: a text chunk near the start)


def carries_header(path: Path) -> bool:
    """True when the file at ``path`` was written by stacks (its "generated from stacks.yaml" header)."""
    try:
        with path.open("rb") as handle:
            return GENERATED.encode() in handle.read(HEADER_WINDOW)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return False


def user_files(root: Path, artifacts: Iterable[Artifact], adopt: Iterable[str] = ()) -> list[str]:
    """Paths an artifact would replace although the file there is not stacks' (no header, not adopted)."""
    adopted = set(adopt)
    found = []
    for art in artifacts:
        target = root / art.path
        if art.once or art.path in adopted or not target.exists():
            continue
        if file_digest(target) != art.digest and not carries_header(target):
            found.append(art.path)
    return sorted(found)


def write_atomic(path: Path, content: bytes, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Staleness:
    stale: tuple[str, ...]
    missing: tuple[str, ...]
    unexpected: tuple[str, ...]  # obsolete: generated earlier (header), no longer by this model
    foreign: tuple[str, ...] = ()  # a generated path holds a file stacks did not write (no header)
    leaks: tuple[str, ...] = ()  # "path:line: what" for credential-looking strings in generated files

    @property
    def ok(self) -> bool:
        return not (self.stale or self.missing or self.unexpected or self.foreign or self.leaks)


def owned_files(root: Path, owned: Iterable[str]) -> set[str]:
    """Every generated file (with the header) under folders or glob patterns a generator owns (relative paths)."""
    found: set[str] = set()
    for rel in owned:
        if "*" in rel:
            found.update(f.relative_to(root).as_posix() for f in root.glob(rel) if f.is_file() and carries_header(f))
            continue
        base = root / rel
        if base.is_dir():
            for file in base.rglob("*"):
                # Hidden files and directories (.terraform/, lock files) belong to the tools, not to us.
                hidden = any(part.startswith(".") for part in file.relative_to(base).parts)
                if file.is_file() and not hidden and carries_header(file):
                    found.add(file.relative_to(root).as_posix())
    return found


def compare(root: Path, artifacts: Iterable[Artifact], owned: Iterable[str] = ()) -> Staleness:
    artifacts = list(artifacts)
    foreign = set(user_files(root, artifacts))
    stale, missing = [], []
    for art in artifacts:
        digest = file_digest(root / art.path)
        if digest is None:
            missing.append(art.path)
        elif digest != art.digest and not art.once and art.path not in foreign:
            stale.append(art.path)
    unexpected = sorted(owned_files(root, owned) - {a.path for a in artifacts})
    return Staleness(tuple(sorted(stale)), tuple(sorted(missing)), tuple(unexpected), tuple(sorted(foreign)))
