"""Where the code and data that ship inside the `stacks` wheel are, in a source checkout and when installed.

The repository keeps its layout: ``templates/``, ``architecture/`` and ``deploy/`` sit at its top,
next to ``stacks/``. The wheel has one import package, ``stacks``: pyproject's ``package-dir`` maps
those folders to ``stacks.templates``, ``stacks.architecture`` and ``stacks.deploy`` at build time.

Code imports them by their repository names (``from deploy.cloud import ...``). In a checkout they
are top-level packages on ``sys.path`` (the dev install adds the repository root). In an installed
wheel, ``install_aliases`` makes ``architecture`` and ``deploy`` resolve to the copies inside
``stacks``, ahead of ``sys.path``: a user's own ``deploy/`` folder never shadows them, and
site-packages never gets a top-level ``deploy`` package.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stacks.errors import StacksError

PACKAGE_DIR = Path(__file__).resolve().parent
BUNDLED_PACKAGES = ("architecture", "deploy")
# The wheel carries templates/ inside the package; a checkout (editable install or not) never does.
INSTALLED = (PACKAGE_DIR / "templates").is_dir()
ROOT = PACKAGE_DIR if INSTALLED else PACKAGE_DIR.parent


def path(relative: str) -> Path:
    """A shipped file or folder by its repository path, e.g. ``templates/Dockerfile.j2`` or ``stacks/plan``."""
    top, _, rest = relative.partition("/")
    if INSTALLED and top == "stacks":
        return PACKAGE_DIR / rest if rest else PACKAGE_DIR
    return ROOT / relative


TEMPLATES = path("templates")


def source_checkout() -> Path | None:
    """The repository root when stacks runs from its source tree, None when installed from a wheel."""
    return None if INSTALLED else ROOT


class _AliasLoader(importlib.abc.Loader):
    """Hands out the already imported ``stacks.<name>`` module under its repository name."""

    def __init__(self, real_name: str) -> None:
        self.real_name = real_name

    def create_module(self, spec: ModuleSpec) -> ModuleType:
        return importlib.import_module(self.real_name)

    def exec_module(self, module: ModuleType) -> None:
        """The real module ran when it was imported under its ``stacks.`` name."""


class _AliasFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: object = None, target: object = None) -> ModuleSpec | None:
        if fullname.partition(".")[0] not in BUNDLED_PACKAGES:
            return None
        real = f"{__package__}.{fullname}"
        if importlib.util.find_spec(real) is None:
            return None
        return importlib.util.spec_from_loader(fullname, _AliasLoader(real))


def install_aliases() -> None:
    """In an installed wheel, make ``import deploy`` mean ``stacks.deploy`` (idempotent; no-op in a checkout)."""
    if INSTALLED and not any(isinstance(f, _AliasFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _AliasFinder())


def version() -> str:
    """The installed distribution's version (the checkout's pyproject version in an editable install)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("stacks")
    except PackageNotFoundError:
        return "0+checkout"


# Top-level modules of the optional extras: a command that imports a missing one names the extra to install.
EXTRAS = {
    "pulumi": "deploy",
    "pulumi_aws": "deploy",
    "pulumi_gcp": "deploy",
    "pulumi_docker_build": "deploy",
    "python_terraform": "deploy",
    "diagrams": "diagrams",
    "graphviz": "diagrams",
    "check_jsonschema": "lint",
    "jsonschema": "lint",
}


def install_command(extra: str) -> str:
    return (
        f"`pipx install --force 'stacks[{extra}]'` (or `pip install 'stacks[{extra}]'` in the environment "
        f"that runs stacks, {sys.prefix}); in the stacks repository, `make setup-dev`"
    )


def missing_extra(module: str) -> StacksError | None:
    """The error for a missing optional module: the extra that installs it, or the bundled app's whereabouts."""
    from stacks.errors import StacksError

    top = module.partition(".")[0]
    if top == "app":
        return StacksError(
            "`stacks app` runs the bundled shop app, which ships with the stacks repository, "
            "not with the installed tool",
            hint="clone the stacks repository and run `make setup` there, then `.venv/bin/stacks app ...`; "
            "your own services are described in your stacks.yaml and run with `docker compose`",
        )
    extra = EXTRAS.get(top)
    if extra is None:
        return None
    return StacksError(
        f"this command needs the optional '{extra}' extra ({top} is not installed)",
        hint=f"install it: {install_command(extra)}",
    )
