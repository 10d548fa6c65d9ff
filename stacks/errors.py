"""The one error type library code raises, and the located diagnostics it carries."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

MAX_REPORTED = 50


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem in a user's input, located as precisely as the input allows."""

    file: str
    line: int | None
    col: int | None
    path: str
    message: str
    hint: str | None = None

    @property
    def location(self) -> str:
        if self.line is None:
            return self.file
        return f"{self.file}:{self.line}:{self.col or 1}"

    def format(self) -> str:
        where = f"{self.location}: {self.path}: " if self.path else f"{self.location}: "
        text = where + self.message
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class StacksError(Exception):
    """Raised for every problem a user can fix: bad input, missing tools, stale files."""

    def __init__(self, message: str, *, diagnostics: Sequence[Diagnostic] = (), hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.diagnostics = tuple(diagnostics)
        self.hint = hint

    def format(self) -> str:
        lines = [d.format() for d in self.diagnostics[:MAX_REPORTED]]
        hidden = len(self.diagnostics) - MAX_REPORTED
        if hidden > 0:
            lines.append(f"... and {hidden} more")
        if not lines or self.message:
            lines.append(self.message + (f"\n    hint: {self.hint}" if self.hint else ""))
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "error": self.message,
            "hint": self.hint,
            "diagnostics": [d.to_dict() for d in self.diagnostics],
        }


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """Return "did you mean 'x'?" for the closest candidate, or None when nothing is close."""
    pool = sorted({c for c in candidates if isinstance(c, str)})
    if not isinstance(word, str) or not pool:
        return None
    lowered = {c.lower(): c for c in pool}
    if word.lower() in lowered and lowered[word.lower()] != word:
        return f"did you mean '{lowered[word.lower()]}'?"
    match = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return f"did you mean '{lowered[match[0]]}'?" if match else None


def one_of(candidates: Iterable[str], limit: int = 12) -> str:
    pool = sorted(set(candidates))
    shown = ", ".join(f"'{c}'" for c in pool[:limit])
    return shown + (", ..." if len(pool) > limit else "")
