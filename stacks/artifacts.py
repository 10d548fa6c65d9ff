"""Generated files: the header they carry, atomic writes, and staleness checks.

Renderers return ``Artifact`` values (a relative path and bytes) and never touch
the disk; only the last stage of the pipeline writes, each file through a temp
file and ``os.replace`` so a reader never sees half a file.
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

    @staticmethod
    def text(path: str, text: str, generator: str = "") -> Artifact:
        return Artifact(path, text.encode("utf-8"), generator)

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def file_digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


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
    unexpected: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not (self.stale or self.missing or self.unexpected)


def owned_files(root: Path, owned_dirs: Iterable[str]) -> set[str]:
    """Every file under directories a generator owns entirely (relative paths)."""
    found: set[str] = set()
    for rel in owned_dirs:
        base = root / rel
        if base.is_dir():
            for file in base.rglob("*"):
                # Hidden files and directories (.terraform/, lock files) belong to the tools, not to us.
                if file.is_file() and not any(part.startswith(".") for part in file.relative_to(base).parts):
                    found.add(file.relative_to(root).as_posix())
    return found


def compare(root: Path, artifacts: Iterable[Artifact], owned_dirs: Iterable[str] = ()) -> Staleness:
    stale, missing = [], []
    expected = set()
    for art in artifacts:
        expected.add(art.path)
        digest = file_digest(root / art.path)
        if digest is None:
            missing.append(art.path)
        elif digest != art.digest:
            stale.append(art.path)
    unexpected = sorted(owned_files(root, owned_dirs) - expected)
    return Staleness(tuple(sorted(stale)), tuple(sorted(missing)), tuple(unexpected))
