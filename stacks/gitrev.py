"""Reading a file as it was at a git revision, without a checkout.

``stacks diff`` compares two models: each side is either a revision (read with
``git show REV:path``) or the working tree (read from disk). Only the ``git``
command is used, never the index or the work tree of the repository, so a diff
never changes anything a user has open.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from stacks.errors import StacksError
from stacks.yamlsource import read_text

WORKTREE = "working tree"
GIT_TIMEOUT = 30


@dataclass(frozen=True)
class Source:
    """One side of a diff: the text of the file and where it came from (``main``, ``abc1234``, working tree)."""

    label: str
    text: str


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo``; a failure is a StacksError with git's own message."""
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=repo,
            capture_output=True,
            encoding="utf-8",
            errors="replace",
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except FileNotFoundError:
        raise StacksError(
            "git is not installed", hint="install git: `apt-get install git` / `brew install git`"
        ) from None
    if proc.returncode != 0:
        message = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"
        raise StacksError(f"git {' '.join(args)}: {message}")
    return proc.stdout


def repo_root(file: Path) -> Path:
    """The top of the git work tree that holds ``file``."""
    folder = file.resolve().parent
    if not folder.is_dir():
        raise StacksError(f"{file}: no such folder", hint="point -f/--file at a stacks.yaml inside a git repository")
    try:
        return Path(git(folder, "rev-parse", "--show-toplevel").strip())
    except StacksError:
        raise StacksError(
            f"{file} is not inside a git repository",
            hint="`stacks diff` compares revisions of a stacks.yaml kept in git; run it inside the repository",
        ) from None


def default_branch(repo: Path) -> str:
    """origin's default branch when known, else ``main`` or ``master`` (whichever exists)."""
    try:
        ref = git(repo, "symbolic-ref", "--quiet", "refs/remotes/origin/HEAD").strip()
        return ref.removeprefix("refs/remotes/")
    except StacksError:
        pass
    for name in ("main", "master"):
        try:
            git(repo, "rev-parse", "--verify", "--quiet", f"{name}^{{commit}}")
            return name
        except StacksError:
            continue
    raise StacksError(
        "cannot find the default branch (no origin/HEAD, main or master)",
        hint="name the base revision: `stacks diff <BASE>`",
    )


def default_base(repo: Path) -> str:
    """The merge-base of HEAD with the default branch: what a pull request is compared against."""
    branch = default_branch(repo)
    return git(repo, "merge-base", branch, "HEAD").strip()


def short(repo: Path, rev: str) -> str:
    return git(repo, "rev-parse", "--short", f"{rev}^{{commit}}").strip()


def read_source(repo: Path, file: Path, rev: str | None) -> Source:
    """The file's text at ``rev`` (None: the working tree)."""
    if rev is None:
        return Source(WORKTREE, read_text(file))
    try:
        git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    except StacksError:
        raise StacksError(
            f"unknown revision '{rev}'", hint="give a branch, tag or commit: `stacks diff main`"
        ) from None
    rel = file.resolve().relative_to(repo).as_posix()
    try:
        text = git(repo, "show", f"{rev}:{rel}")
    except StacksError:
        raise StacksError(
            f"{rel} does not exist at {rev}",
            hint="compare revisions that both have the file, or pass the file with -f",
        ) from None
    return Source(rev if len(rev) < 40 else short(repo, rev), text)
