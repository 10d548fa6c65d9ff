"""The app's error type: an HTTP status, a stable code, a message and optional row problems."""

from __future__ import annotations


class AppError(Exception):
    """Raised for anything the caller can fix; rendered as JSON ``{error, message, problems}``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        problems: list[dict] | None = None,
        total_problems: int | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.problems = problems or []
        self.total_problems = total_problems if total_problems is not None else len(self.problems)

    def to_dict(self) -> dict:
        body: dict = {"error": self.code, "message": self.message}
        if self.problems:
            body["problems"] = self.problems
            body["total_problems"] = self.total_problems
        return body

    def format(self) -> str:
        lines = [self.message]
        for p in self.problems:
            where = ", ".join(f"{k} {p[k]}" for k in ("file", "line", "row", "column") if p.get(k) is not None)
            value = f" (value {p['value']!r})" if p.get("value") is not None else ""
            lines.append(f"  {where}: {p['message']}{value}")
        if self.total_problems > len(self.problems):
            lines.append(f"  ... and {self.total_problems - len(self.problems)} more")
        return "\n".join(lines)
