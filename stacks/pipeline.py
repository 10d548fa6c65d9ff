"""The pipeline: load -> validate -> plan -> render (every generator, in memory) -> write.

The plan stage (``stacks.plan.Plans``) plans each cloud deployable once per build,
on first use, and hands the same plan to every renderer that reads it (diagrams,
docs, Pulumi and Terraform files).

Nothing is written unless every generator rendered and no generated path holds
a file the user wrote (one without the header, not passed to ``adopt``): a
failed or refused run leaves every file as it was. A content-hash cache (``.stacks-cache/build.json``)
lets a no-op `stacks build` skip rendering: a generator is skipped when the
model, its own code and templates, and the files it last wrote are unchanged.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stacks import bundle
from stacks.artifacts import Artifact, Staleness, compare, file_digest, user_files, write_atomic
from stacks.errors import StacksError
from stacks.generators import Generator, Rendered, by_name
from stacks.plan import Plans
from stacks.project import Project

CACHE_FILE = ".stacks-cache/build.json"

Progress = Callable[[str, str], None]  # (generator name, event: "start" | "cached" | "done")


@dataclass
class BuildResult:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)  # generators skipped through the cache
    seconds: float = 0.0

    def summary(self, filename: str) -> str:
        total = len(self.written) + len(self.unchanged)
        parts = [f"{len(self.written)} written", f"{len(self.unchanged)} unchanged"]
        if self.removed:
            parts.append(f"{len(self.removed)} removed")
        if self.cached:
            parts.append(f"{len(self.cached)} generator{'s' if len(self.cached) != 1 else ''} cached")
        return f"built {total} files from {filename} ({', '.join(parts)}) in {self.seconds:.2f}s"

    def to_dict(self) -> dict[str, Any]:
        return {
            "written": self.written,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "cached_generators": self.cached,
            "seconds": round(self.seconds, 3),
        }


def render(project: Project, generator: Generator, plans: Plans | None = None) -> Rendered:
    """One generator's artifacts; ``plans`` is the build's plan stage (a new one when rendering alone)."""
    try:
        rendered = generator.run(project, plans if plans is not None else Plans(project))
    except StacksError as exc:
        raise StacksError(f"{generator.name}: {exc.message}", diagnostics=exc.diagnostics, hint=exc.hint) from exc
    seen: set[str] = set()
    for art in rendered.artifacts:
        if art.path in seen:  # pragma: no cover - a generator bug, not a user error
            raise RuntimeError(f"generator {generator.name} produced {art.path} twice")
        seen.add(art.path)
    return rendered


def _source_digest(generator: Generator) -> str:
    digest = hashlib.sha256(generator.entry.encode())
    for rel in generator.sources:
        base = bundle.path(rel)
        files = sorted(p for p in base.rglob("*") if p.is_file()) if base.is_dir() else [base]
        for file in files:
            if "__pycache__" in file.parts:
                continue
            digest.update(file.relative_to(bundle.ROOT).as_posix().encode())
            digest.update(file.read_bytes() if file.exists() else b"-")
    return digest.hexdigest()


def _cache_key(project: Project, generator: Generator) -> str:
    return hashlib.sha256(f"{project.fingerprint}:{_source_digest(generator)}".encode()).hexdigest()


def _load_cache(root: Path) -> dict[str, Any]:
    try:
        cache: dict[str, Any] = json.loads((root / CACHE_FILE).read_text())
        return cache
    except (FileNotFoundError, ValueError):
        return {}


def _cache_hit(root: Path, entry: dict[str, Any] | None, key: str) -> bool:
    if not entry or entry.get("key") != key:
        return False
    return all(file_digest(root / path) == digest for path, digest in entry.get("files", {}).items())


def refuse_user_files(root: Path, artifacts: list[Artifact], adopt: tuple[str, ...]) -> None:
    """Stop before writing anything when a generated path holds a file the user wrote."""
    unknown = sorted(set(adopt) - {a.path for a in artifacts})
    if unknown:
        raise StacksError(
            f"--adopt {unknown[0]}: stacks does not generate that file",
            hint="--adopt takes a path stacks build writes, relative to the project (e.g. docker-compose.yml)",
        )
    found = user_files(root, artifacts, adopt)
    if found:
        listing = ", ".join(found)
        raise StacksError(
            f"not overwriting {listing}: {'they were' if len(found) > 1 else 'it was'} not written by stacks "
            '(no "generated from stacks.yaml" header); nothing was written',
            hint=f"to let stacks own it, keep a copy and run `stacks build --adopt {found[0]}`; or move it away. "
            "A Dockerfile of your own is used as is when the component's build: names it",
        )


def build(
    project: Project,
    only: list[str] | None = None,
    *,
    use_cache: bool = True,
    progress: Progress | None = None,
    adopt: tuple[str, ...] = (),
) -> BuildResult:
    started = time.perf_counter()
    root = project.root
    cache = _load_cache(root) if use_cache else {}
    result = BuildResult()
    rendered: dict[str, Rendered] = {}
    keys: dict[str, str] = {}
    plans = Plans(project)  # the plan stage: each deployable planned once, on first use, for every renderer
    for generator in by_name(only):
        key = _cache_key(project, generator)
        keys[generator.name] = key
        if use_cache and _cache_hit(root, cache.get(generator.name), key):
            result.cached.append(generator.name)
            result.unchanged.extend(sorted(cache[generator.name]["files"]))
            if progress:
                progress(generator.name, "cached")
            continue
        if progress:
            progress(generator.name, "start")
        rendered[generator.name] = render(project, generator, plans)
        if progress:
            progress(generator.name, "done")
    refuse_user_files(root, [a for out in rendered.values() for a in out.artifacts], adopt)
    # Every generator rendered and no user file is in the way: now, and only now, touch the disk.
    for name, out in rendered.items():
        for art in out.artifacts:
            target = root / art.path
            if file_digest(target) == art.digest or (art.once and target.exists()):
                result.unchanged.append(art.path)
            else:
                write_atomic(target, art.content, 0o755 if art.path.endswith((".sh", "/run")) else 0o644)
                result.written.append(art.path)
        for path in compare(root, out.artifacts, out.owns).unexpected:
            (root / path).unlink()  # obsolete and ours: owned_files lists only files with the header
            result.removed.append(path)
        cache[name] = {"key": keys[name], "files": {a.path: a.digest for a in out.artifacts}}
    if rendered:
        write_atomic(root / CACHE_FILE, (json.dumps(cache, indent=1, sort_keys=True) + "\n").encode())
    result.seconds = time.perf_counter() - started
    return result


def check(project: Project, only: list[str] | None = None, progress: Progress | None = None) -> Staleness:
    """Render everything in memory, compare with the files on disk and scan the output for leaked secrets."""
    from stacks.leaks import scan

    states = []
    leaks: list[str] = []
    plans = Plans(project)
    for generator in by_name(only):
        if progress:
            progress(generator.name, "start")
        out = render(project, generator, plans)
        states.append(compare(project.root, out.artifacts, out.owns))
        leaks += scan(out.artifacts)
        if progress:
            progress(generator.name, "done")
    return Staleness(
        stale=tuple(sorted(p for s in states for p in s.stale)),
        missing=tuple(sorted(p for s in states for p in s.missing)),
        unexpected=tuple(sorted(p for s in states for p in s.unexpected)),
        foreign=tuple(sorted(p for s in states for p in s.foreign)),
        leaks=tuple(leaks),
    )
