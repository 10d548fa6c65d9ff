"""Compact Terraform provider schemas, extracted from PyPI's prebuilt CDK provider packages.

``cdktn-provider-aws`` and ``cdktn-provider-google`` ship a jsii assembly (a
150 MB JSON document inside the wheel) describing every resource, data source
and the provider block with their Terraform names (in the registry links of
their docs), nested blocks and which arguments are required. This module
downloads a pinned wheel once with pip, reads the assembly and writes a compact
schema under ``.stacks-cache/provider-schemas/<provider>.json`` (gitignored),
which the schema tests read in well under a second:

    {"provider": "aws", "source": "hashicorp/aws", "version": "6.69.1", "package": "cdktn-provider-aws==25.8.1",
     "provider_config": BLOCK, "resource": {"aws_vpc": BLOCK, ...}, "data": {"aws_caller_identity": BLOCK, ...}}

    BLOCK = {"args": {terraform_name: required?}, "blocks": {terraform_name: {"required": bool, **BLOCK}},
             "any": [arguments the cdk types as any: a recursive block such as a WAF rule statement],
             "out": {camelName: null | {"many": bool, "out": {...}}}}

``out`` is what ``${type.name.attr}`` may read: the resource class's getters
(cdk names, the camelCase of the Terraform name) and, for nested blocks, theirs.

Run ``python tests/deploy/provider_schemas.py`` (``make provider-schemas`` does,
and ``make test`` depends on it) to build what is missing.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".stacks-cache" / "provider-schemas"
FORMAT = 2  # bump when the compact layout changes: cached files of another format are rebuilt

# provider (as the plan names it) -> (PyPI package pin, Terraform source, jsii module)
PACKAGES: dict[str, tuple[str, str, str]] = {
    "aws": ("cdktn-provider-aws==25.8.1", "hashicorp/aws", "@cdktn/provider-aws"),
    "gcp": ("cdktn-provider-google==21.1.0", "hashicorp/google", "@cdktn/provider-google"),
}

LINK = re.compile(
    r"registry\.terraform\.io/providers/[^/\s]+/[^/\s]+/([0-9.]+)/docs(?:/(resources|data-sources)/\S+)?\s+([a-z0-9_]+)\}"
)
ATTR_LINK = re.compile(r"Docs at Terraform Registry: \{@link \S+#([a-z0-9_]+) [A-Za-z0-9]+#[a-z0-9_]+\}")
INSTALL = "run `make provider-schemas` (it downloads the pinned cdktn provider wheels once and extracts their schemas)"


def schema_path(provider: str) -> Path:
    return CACHE / f"{provider}.json"


def load_schema(provider: str) -> dict[str, Any]:
    """The compact schema of ``provider`` ("aws" or "gcp"); raises with how to build it when missing."""
    path = schema_path(provider)
    if not path.exists():
        raise FileNotFoundError(f"no provider schema at {path}: {INSTALL}")
    schema = json.loads(path.read_text())
    if schema.get("format") != FORMAT or schema.get("package") != PACKAGES[provider][0]:
        raise FileNotFoundError(f"the provider schema at {path} is stale: {INSTALL}")
    return schema


class Assembly:
    """Reads one jsii assembly's types into compact blocks."""

    def __init__(self, types: dict[str, Any]):
        self.types = types

    def _struct_of(self, type_ref: dict[str, Any]) -> tuple[str | None, bool]:
        """The struct fqn inside a property type (a block) and whether it repeats; (None, _) for a plain value."""
        if "fqn" in type_ref:
            fqn = type_ref["fqn"]
            kind = self.types.get(fqn, {})
            return (fqn, False) if kind.get("datatype") else (None, False)
        if "collection" in type_ref:
            fqn, _ = self._struct_of(type_ref["collection"]["elementtype"])
            return (fqn, True) if fqn and type_ref["collection"]["kind"] == "array" else (None, False)
        if "union" in type_ref:
            for member in type_ref["union"]["types"]:
                fqn, many = self._struct_of(member)
                if fqn:
                    return fqn, many
        return None, False

    def block(self, fqn: str, depth: int = 0) -> dict[str, Any]:
        args: dict[str, bool] = {}
        blocks: dict[str, Any] = {}
        loose: list[str] = []
        for prop in self.types[fqn].get("properties", []):
            docs = prop.get("docs", {})
            # The registry link sits in the summary, the remarks or (after a long description) a custom tag.
            found = ATTR_LINK.search(
                " ".join([docs.get("summary", ""), docs.get("remarks", ""), *docs.get("custom", {}).values()])
            )
            if not found:
                continue  # not a Terraform argument (the meta arguments come from a base interface)
            name = found.group(1)
            required = not prop.get("optional", False)
            struct, _many = self._struct_of(prop["type"])
            if struct and depth < 12:
                blocks[name] = {"required": required, **self.block(struct, depth + 1)}
            else:
                args[name] = required
                if prop["type"].get("primitive") == "any":
                    loose.append(name)
        return {"args": args, "blocks": blocks, "any": sorted(loose)}

    def outputs(self, fqn: str, depth: int = 0) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for prop in self.types[fqn].get("properties", []):
            name = prop["name"]
            if prop.get("static") or name.endswith("Input") or name in ("fqn", "creationStack", "internalValue"):
                continue
            out[name] = self._output_type(prop["type"], depth)
        return out

    def _output_type(self, type_ref: dict[str, Any], depth: int) -> dict[str, Any] | None:
        fqn = type_ref.get("fqn", "")
        target = self.types.get(fqn)
        if not target or depth > 12 or target.get("kind") != "class":
            return None
        if target.get("base") in ("cdktn.ComplexList", "cdktn.ComplexMap"):
            getter = next((m for m in target.get("methods", []) if m["name"] == "get"), None)
            item = getter["returns"]["type"]["fqn"] if getter else None
            return {"many": True, "out": self.outputs(item, depth + 1) if item in self.types else {}}
        if target.get("base") == "cdktn.ComplexObject":
            return {"many": False, "out": self.outputs(fqn, depth + 1)}
        return None

    def element(self, cls: dict[str, Any]) -> dict[str, Any]:
        config = next(p for p in cls["initializer"]["parameters"] if p["name"] == "config")["type"]["fqn"]
        return {**self.block(config), "out": self.outputs(cls["fqn"])}


def extract(provider: str, assembly: dict[str, Any]) -> dict[str, Any]:
    package, source, _module = PACKAGES[provider]
    reader = Assembly(assembly["types"])
    out: dict[str, Any] = {
        "format": FORMAT,
        "provider": provider,
        "source": source,
        "package": package,
        "resource": {},
        "data": {},
    }
    for cls in assembly["types"].values():
        base = cls.get("base")
        if cls.get("kind") != "class" or base not in (
            "cdktn.TerraformResource",
            "cdktn.TerraformDataSource",
            "cdktn.TerraformProvider",
        ):
            continue
        link = LINK.search(cls.get("docs", {}).get("summary", ""))
        if not link:
            continue
        version, section, tf_name = link.groups()
        out["version"] = version
        element = reader.element(cls)
        if base == "cdktn.TerraformProvider":
            out["provider_config"] = element
        else:
            out["resource" if section == "resources" else "data"][tf_name] = element
    return out


def read_assembly(wheel: Path) -> dict[str, Any]:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".jsii.tgz"))
        with tarfile.open(fileobj=io.BytesIO(archive.read(name))) as tgz:
            member = tgz.extractfile("package/.jsii")
            assert member is not None
            return json.loads(member.read())


def build(provider: str) -> Path:
    """Download the pinned wheel (pip), extract its schema, keep only the compact JSON."""
    package = PACKAGES[provider][0]
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--disable-pip-version-check",
                "-q",
                "-d",
                tmp,
                package,
            ],
            check=True,
        )
        wheel = next(Path(tmp).glob("*.whl"))
        schema = extract(provider, read_assembly(wheel))
    CACHE.mkdir(parents=True, exist_ok=True)
    path = schema_path(provider)
    path.write_text(json.dumps(schema, sort_keys=True, separators=(",", ":")))
    return path


def ensure_all() -> None:
    for provider in PACKAGES:
        try:
            load_schema(provider)
        except FileNotFoundError:
            print(f"extracting the {PACKAGES[provider][0]} schema into {schema_path(provider)}", flush=True)
            build(provider)


if __name__ == "__main__":
    ensure_all()
