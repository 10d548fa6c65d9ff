"""Run checkov (its own virtualenv, ``--skip-download``) on generated Terraform JSON, honouring waivers.

checkov reads inline ``checkov:skip=ID:reason`` comments in ``.tf`` files but not
yet in ``.tf.json`` (its terraform_json runner builds no skip context), so the
renderer writes each waiver as a ``"//"`` comment inside its resource, in
checkov's own syntax, and this module applies them: a failed check counts as
waived only when the failing resource carries that check id with a reason.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stacks.errors import StacksError

SKIP = re.compile(r"checkov:skip=([A-Za-z0-9_]+):(.+)")


@dataclass
class CheckovResult:
    passed: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)  # failures no waiver covers
    waived: list[dict[str, Any]] = field(default_factory=list)  # failures with a written reason next to the resource
    parsing_errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.parsing_errors


def checkov_binary(root: Path) -> Path:
    exe = root / ".venv-checkov" / "bin" / "checkov"
    if not exe.exists():
        raise StacksError(
            f"checkov is not installed at {exe}",
            hint="run `make setup-dev` (it creates .venv-checkov from requirements/checkov.txt)",
        )
    return exe


def waivers_in(tf_json: dict[str, Any]) -> dict[str, dict[str, str]]:
    """resource address ("aws_lb.api-alb") -> {check id: reason} from the "//" comments."""
    out: dict[str, dict[str, str]] = {}
    for kind, resources in tf_json.get("resource", {}).items():
        for name, body in resources.items():
            comments = body.get("//", [])
            for comment in [comments] if isinstance(comments, str) else comments:
                match = SKIP.match(comment)
                if match:
                    out.setdefault(f"{kind}.{name}", {})[match.group(1)] = match.group(2)
    return out


def run_checkov(file: Path, root: Path) -> CheckovResult:
    exe = checkov_binary(root)
    proc = subprocess.run(
        [str(exe), "--skip-download", "--quiet", "--compact", "-o", "json", "-f", str(file)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        raise StacksError(
            f"checkov produced no JSON report for {file} (exit {proc.returncode})",
            hint=(proc.stderr or proc.stdout)[-800:],
        ) from None
    reports = report if isinstance(report, list) else [report]
    waivers = waivers_in(json.loads(file.read_text()))
    result = CheckovResult()
    for rep in reports:
        results = rep.get("results", {})
        summary = rep.get("summary", {})
        result.passed += summary.get("passed", 0)
        if summary.get("parsing_errors"):
            result.parsing_errors.append(f"checkov could not parse {file}")
        for check in results.get("failed_checks", []):
            resource = check.get("resource", "")
            address = resource.removeprefix("resource.")
            if "." not in address:  # checkov names some resources by their label only
                address = next((a for a in waivers if a.endswith("." + address)), address)
            entry = {"check": check["check_id"], "resource": address, "name": check.get("check_name", "")}
            reason = waivers.get(address, {}).get(check["check_id"])
            if reason:
                result.waived.append({**entry, "reason": reason})
            else:
                result.failed.append(entry)
    return result


if __name__ == "__main__":  # pragma: no cover - a convenience for humans
    res = run_checkov(Path(sys.argv[1]), Path(__file__).resolve().parent.parent)
    print(json.dumps({"passed": res.passed, "failed": res.failed, "waived": res.waived}, indent=1))
    sys.exit(0 if res.ok else 1)
