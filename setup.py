"""Package layout of the wheel (the rest of the metadata is in pyproject.toml).

The wheel has one import package, `stacks`. The repository keeps its layout: architecture/, deploy/
and templates/ sit next to stacks/ and are mapped into it at build time (stacks.architecture,
stacks.deploy, stacks.templates); stacks/bundle.py resolves them in both layouts. app/ is not shipped.
Subpackages are found, not listed, so a new folder with an __init__.py ships without an edit here.
"""

from setuptools import find_packages, setup

FOLDERS = {"stacks": "stacks", "stacks.architecture": "architecture", "stacks.deploy": "deploy"}
DATA = {"stacks.templates": "templates"}  # no Python: Jinja2 templates only

packages = [*FOLDERS, *DATA]
for name, folder in FOLDERS.items():
    packages += [f"{name}.{sub}" for sub in find_packages(folder)]

setup(
    packages=packages,
    package_dir={**FOLDERS, **DATA},
    package_data={"stacks.templates": ["*.j2", "docs/*.j2"]},
    include_package_data=False,
)
