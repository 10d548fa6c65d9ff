"""Check a Terraform JSON document against real provider schemas (``tests/deploy/provider_schemas.py``).

Every resource, data source and provider block is walked attribute by attribute:
an argument the provider does not know, a required argument left out, a nested
block written where the schema has a plain attribute (or the reverse), and every
``${...}`` reference (to a resource, data source or variable of the document and
an attribute that resource exposes) are reported as one line each. Nothing here
knows which resource types the project uses: new ones are checked as they appear.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

META = {"//", "depends_on", "lifecycle", "provider", "count", "for_each"}
PROVIDER_META = {"alias", "version"}
INTERPOLATION = re.compile(r"(?<!\$)\$\{([^}]*)\}")
ADDRESS = re.compile(r"^(data\.)?([a-z][a-z0-9_]*)\.([A-Za-z0-9_-]+)((?:\.[a-z0-9_]+|\[\d+\])*)$")


def camel(name: str) -> str:
    """The cdk getter of a Terraform attribute: layer_7_ddos_defense_config -> layer7DdosDefenseConfig."""
    first, *rest = name.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


def major_admits(constraint: str, version: str) -> bool:
    """Whether a ``~> X.Y`` (or ``>= X``) constraint admits ``version``'s major."""
    found = re.search(r"(\d+)", constraint)
    return bool(found) and found.group(1) == version.split(".")[0]


class SchemaChecker:
    def __init__(self, schemas: dict[str, dict[str, Any]]):
        """``schemas``: Terraform provider local name ("aws", "google") -> compact schema."""
        self.schemas = schemas
        self.problems: list[str] = []

    def schema_for(self, tf_type: str) -> dict[str, Any] | None:
        return self.schemas.get(tf_type.split("_", 1)[0])

    def check(self, doc: dict[str, Any]) -> list[str]:
        self.problems = []
        self.doc = doc
        self._providers(doc)
        for section, kind in (("resource", "resource"), ("data", "data")):
            for tf_type, named in doc.get(section, {}).items():
                schema = self.schema_for(tf_type)
                element = schema.get(kind, {}).get(tf_type) if schema else None
                if element is None:
                    self.problems.append(f"{section} type {tf_type} does not exist in the provider schema")
                    continue
                for name, body in named.items():
                    where = f"{'data.' if kind == 'data' else ''}{tf_type}.{name}"
                    self._block(where, body, element, META)
        for where, text in self._strings(doc, ""):
            self._references(where, text)
        return self.problems

    def _providers(self, doc: dict[str, Any]) -> None:
        required = doc.get("terraform", {}).get("required_providers", {})
        for local, config in doc.get("provider", {}).items():
            schema = self.schemas.get(local)
            if schema is None:
                self.problems.append(f"provider {local}: no schema to check it against")
                continue
            pin = required.get(local, {})
            if pin.get("source") != schema["source"]:
                self.problems.append(f"provider {local}: source {pin.get('source')!r}, expected {schema['source']!r}")
            if not major_admits(pin.get("version", ""), schema["version"]):
                self.problems.append(
                    f"provider {local}: version {pin.get('version')!r} does not admit {schema['source']} "
                    f"{schema['version']} (the schema the other renderings are checked against)"
                )
            for body in config if isinstance(config, list) else [config]:
                self._block(f"provider.{local}", body, schema["provider_config"], PROVIDER_META)

    def _block(self, where: str, body: Any, element: dict[str, Any], meta: set[str] = frozenset()) -> None:
        if not isinstance(body, dict):
            self.problems.append(f"{where}: expected an object, got {type(body).__name__}")
            return
        args, blocks = element["args"], element["blocks"]
        for key, value in body.items():
            if key in meta:
                continue
            if key in blocks:
                items = value if isinstance(value, list) else [value]
                for i, item in enumerate(items):
                    self._block(
                        f"{where}.{key}[{i}]" if isinstance(value, list) else f"{where}.{key}", item, blocks[key]
                    )
            elif key not in args:
                hint = _closest(key, [*args, *blocks])
                self.problems.append(f"{where}: unknown attribute '{key}'{hint}")
            elif isinstance(value, dict) and key not in element["any"] and not _is_map_value(value):
                self.problems.append(f"{where}.{key}: '{key}' is an attribute, not a block")
        for name, required in args.items():
            if required and name not in body:
                self.problems.append(f"{where}: required attribute '{name}' is missing")
        for name, block in blocks.items():
            if block["required"] and name not in body:
                self.problems.append(f"{where}: required block '{name}' is missing")

    def _strings(self, value: Any, where: str) -> Iterator[tuple[str, str]]:
        if isinstance(value, str):
            yield where, value
        elif isinstance(value, dict):
            for key, item in value.items():
                yield from self._strings(item, f"{where}.{key}" if where else key)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                yield from self._strings(item, f"{where}[{i}]")

    def _references(self, where: str, text: str) -> None:
        for expression in INTERPOLATION.findall(text):
            bare = expression.replace("tolist(", "").replace(")", "").strip()
            if bare.startswith("var."):
                if bare[4:] not in self.doc.get("variable", {}):
                    self.problems.append(f"{where}: ${{{expression}}} names an undeclared variable")
                continue
            match = ADDRESS.match(bare)
            if not match:
                self.problems.append(f"{where}: cannot check the expression ${{{expression}}}")
                continue
            data, tf_type, name, path = match.groups()
            section = "data" if data else "resource"
            if name not in self.doc.get(section, {}).get(tf_type, {}):
                self.problems.append(f"{where}: ${{{expression}}} refers to {section} {tf_type}.{name}, not defined")
                continue
            schema = self.schema_for(tf_type)
            element = schema[section].get(tf_type) if schema else None
            if element is not None:
                self._path(where, expression, element["out"], re.findall(r"\.([a-z0-9_]+)|\[(\d+)\]", path))

    def _path(self, where: str, expression: str, out: dict[str, Any], steps: list[tuple[str, str]]) -> None:
        node: Any = {"many": False, "out": out}
        for attr, index in steps:
            if index:
                # A list, or a block Terraform keeps as a one-element list (cdk models it as one object).
                node = {"many": False, "out": node["out"]} if node else None
                continue
            if node is None:
                return  # inside a map or list of plain values: the provider does not describe it further
            if node.get("many"):
                self.problems.append(f"{where}: ${{{expression}}} reads '{attr}' of a list without an index")
                return
            if camel(attr) not in node["out"]:
                hint = _closest(attr, [_snake(k) for k in node["out"]])
                self.problems.append(f"{where}: ${{{expression}}}: no attribute '{attr}'{hint}")
                return
            node = node["out"][camel(attr)]


def _is_map_value(value: dict[str, Any]) -> bool:
    # A map attribute (tags, labels) is an object of plain values.
    return all(not isinstance(v, dict | list) for v in value.values())


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _closest(name: str, options: list[str]) -> str:
    import difflib

    found = difflib.get_close_matches(name, options, n=1)
    return f" (did you mean '{found[0]}'?)" if found else ""
