"""What ``docker build`` sends as the build context: the files ``.dockerignore`` lets through, and their hash.

The image tag the Pulumi program pushes is a hash of exactly those files plus the
Dockerfile, so regenerating docs (excluded by ``.dockerignore``) never redeploys,
and any change that reaches the image always does. Patterns follow Docker's rules:
Go ``filepath.Match`` wildcards (``*`` and ``?`` never cross ``/``), ``**`` for any
number of directories, ``!`` re-includes, the last matching line wins, and a
path is excluded when one of its parent directories is.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath


@dataclass(frozen=True)
class Pattern:
    regex: re.Pattern[str]
    exclusion: bool  # a "!pattern": re-includes what it matches
    literal_prefix: str  # the directories before the first wildcard (to skip excluded directories)


def _translate(pattern: str) -> str:
    out, i = "", 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
            continue
        if pattern.startswith("**", i):
            out, i = out + ".*", i + 2
            continue
        if char == "*":
            out += "[^/]*"
        elif char == "?":
            out += "[^/]"
        elif char == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out += re.escape(char)
            else:
                body = pattern[i + 1 : end]
                out += "[" + ("^" + body[1:] if body.startswith("^") else body) + "]"
                i = end
        elif char == "\\" and i + 1 < len(pattern):
            i += 1
            out += re.escape(pattern[i])
        else:
            out += re.escape(char)
        i += 1
    return "^" + out + "$"


def read_patterns(text: str) -> list[Pattern]:
    patterns = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        exclusion = line.startswith("!")
        line = line[1:].strip() if exclusion else line
        cleaned = os.path.normpath(line).replace(os.sep, "/").lstrip("/")
        if cleaned in ("", "."):
            continue
        literal = re.split(r"[*?\[\\]", cleaned, maxsplit=1)[0]
        prefix = literal if literal == cleaned else literal.rpartition("/")[0]
        patterns.append(Pattern(re.compile(_translate(cleaned)), exclusion, prefix))
    return patterns


def excluded(path: str, patterns: list[Pattern]) -> bool:
    """Whether ``path`` (relative, ``/``-separated) stays out: the last pattern matching it or a parent wins."""
    parts = PurePosixPath(path).parts
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    result = False
    for pattern in patterns:
        if any(pattern.regex.match(c) for c in candidates):
            result = not pattern.exclusion
    return result


def _may_reinclude(directory: str, patterns: list[Pattern]) -> bool:
    # An excluded directory is walked only if a "!" pattern could match it or something below it.
    for p in patterns:
        prefix = p.literal_prefix
        if p.exclusion and (
            not prefix
            or prefix == directory
            or prefix.startswith(directory + "/")
            or directory.startswith(prefix + "/")
        ):
            return True
    return False


def context_files(context: Path) -> list[str]:
    """The files (relative, sorted) a build of ``context`` sends to the builder."""
    ignore = context / ".dockerignore"
    patterns = read_patterns(ignore.read_text()) if ignore.is_file() else []
    files: list[str] = []
    for dirpath, dirnames, filenames in os.walk(context):
        rel_dir = Path(dirpath).relative_to(context).as_posix()
        rel_dir = "" if rel_dir == "." else rel_dir
        keep = []
        for name in sorted(dirnames):
            rel = f"{rel_dir}/{name}" if rel_dir else name
            if not excluded(rel, patterns) or _may_reinclude(rel, patterns):
                keep.append(name)
        dirnames[:] = keep
        for name in sorted(filenames):
            rel = f"{rel_dir}/{name}" if rel_dir else name
            if not excluded(rel, patterns) and (Path(dirpath) / name).is_file():
                files.append(rel)
    return sorted(files)


def context_hash(context: Path, dockerfile: Path | None = None) -> str:
    """A hash of the files the build sends, their paths, and the Dockerfile (which BuildKit sends apart)."""
    digest = hashlib.sha256()
    for rel in context_files(context):
        digest.update(rel.encode() + b"\0")
        digest.update(hashlib.sha256((context / rel).read_bytes()).digest())
    if dockerfile is not None and dockerfile.is_file():
        digest.update(b"Dockerfile\0" + dockerfile.read_bytes())
    return digest.hexdigest()[:16]
