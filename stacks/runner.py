"""The Pulumi program's entry in any project: the generated ``deploy/__main__.py`` calls ``main``.

Pulumi runs the program in ``deploy/`` (its cwd); the model is ``../stacks.yaml`` unless
``STACKS_FILE`` names another. The program itself is ``deploy.program`` (the only code that
imports pulumi), shipped inside the stacks wheel and imported through ``stacks.bundle``.
"""

from __future__ import annotations

import importlib


def main() -> None:
    importlib.import_module("deploy.program").main()
