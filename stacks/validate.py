"""Validation: a loaded YAML document in, a ``StacksFile`` out, or every problem located.

Two passes. The structural pass is pydantic's, with each error translated into
``file:line:col: path: message`` plus a hint ("did you mean ...?" for typos). The
semantic pass checks what a schema cannot: references between components and
stacks, what each target can host, sizes and names clouds would refuse.

Both passes report in one run: when the structure is wrong somewhere, the semantic
pass still runs over every part that is well-formed (``_partial_model``), so a
typo in one component and a dangling reference in another show up together.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from stacks import leaks, rules, targets
from stacks.errors import Diagnostic, StacksError, did_you_mean, one_of
from stacks.model import (
    NOT_DEPLOYED_KINDS,
    ROUTABLE_KINDS,
    WORKLOAD_KINDS,
    AnyComponent,
    AnyStack,
    ComponentOverride,
    Deployable,
    Environment,
    Function,
    Gateway,
    HybridStack,
    Job,
    StacksFile,
    Warehouse,
    Workload,
)
from stacks.naming import NAME_RULES, resource_name, service_account_id, sql_identifier, system_prefix
from stacks.rules import NameCheck
from stacks.rules.contract import Malformed, references
from stacks.yamlsource import Document, PathKey

SECRET_LIKE = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|PRIVATE_KEY|ACCESS_KEY)", re.I)


def validate_document(doc: Document) -> StacksFile:
    """The validated model of ``doc``; raises ``StacksError`` with every problem found."""
    try:
        model = StacksFile.model_validate(doc.data)
    except ValidationError as exc:
        structural = {_translate(doc, err) for err in exc.errors(include_url=False)}
        problems = sorted(structural | set(_partial_problems(doc)), key=lambda d: (d.line or 0, d.col or 0, d.path))
        raise StacksError(f"{doc.filename}: {_count(problems)} found", diagnostics=problems) from None
    problems = sorted(set(semantic_problems(doc, model)), key=lambda d: (d.line or 0, d.col or 0, d.path))
    if problems:
        raise StacksError(f"{doc.filename}: {_count(problems)} found", diagnostics=problems)
    return model


def _valid(annotation: Any, value: Any) -> Any:
    """``value`` validated as ``annotation``, or None when it has structural problems (reported elsewhere)."""
    from pydantic import TypeAdapter

    try:
        return TypeAdapter(annotation).validate_python(value)
    except ValidationError:
        return None


def _of_type(value: Any, kind: type) -> Any:
    """``value`` if it is a ``kind``, else an empty one (its structural problem is reported elsewhere)."""
    return value if isinstance(value, kind) else kind()


def _partial_model(data: Any) -> tuple[StacksFile, set[str]] | None:
    """The well-formed parts of a document that failed structural validation, and every component id it names.

    Each component, connection and stack is validated on its own; the ones that pass make up a model the
    semantic checks can run on. None when even the system or the component ids cannot be read.
    """
    if not isinstance(data, dict) or not isinstance(data.get("components"), dict):
        return None
    fields = StacksFile.model_fields
    system = _valid(fields["system"].annotation, data.get("system"))
    if system is None:
        return None
    entries = {
        "components": {k: _valid(_component_type(), v) for k, v in data["components"].items()},
        "stacks": {k: _valid(_stack_type(), v) for k, v in _of_type(data.get("stacks"), dict).items()},
    }
    connections = [
        _valid(typing.get_args(fields["connections"].annotation)[0], c) for c in _of_type(data.get("connections"), list)
    ]
    environments = _valid(fields["environments"].annotation, data.get("environments", ["dev", "staging", "prod"]))
    views = _valid(fields["views"].annotation, data.get("views", {}))
    model = StacksFile.model_construct(
        version=1,
        system=system,
        environments=environments or [],
        components={k: v for k, v in entries["components"].items() if v is not None},
        connections=[c for c in connections if c is not None],
        # Without the environment list every stack's environments would look unknown: check stacks only with it.
        stacks={k: v for k, v in entries["stacks"].items() if v is not None} if environments is not None else {},
        views=views or fields["views"].get_default(call_default_factory=True),
    )
    return model, {str(k) for k in data["components"]}


def _component_type() -> Any:
    return typing.get_args(StacksFile.model_fields["components"].annotation)[1]


def _stack_type() -> Any:
    return typing.get_args(StacksFile.model_fields["stacks"].annotation)[1]


def _partial_problems(doc: Document) -> Iterator[Diagnostic]:
    """Semantic problems of the well-formed parts, minus references to components that are only malformed."""
    partial = _partial_model(doc.data)
    if partial is None:
        return
    model, named = partial
    broken = named - set(model.components)
    for problem in semantic_problems(doc, model, named):
        quoted = re.findall(r"'([^']+)'", problem.message)
        if broken and any(q in broken for q in quoted):
            continue  # about a component whose own structural errors are already reported
        yield problem


def _count(problems: list[Diagnostic]) -> str:
    return f"{len(problems)} problem" + ("s" if len(problems) != 1 else "")


# ---------------------------------------------------------------- structural errors


def _walk(loc: tuple[int | str, ...]) -> tuple[PathKey, Any]:
    """Map a pydantic error location to a data path, and find the type expected there.

    Tagged unions add their tag to the location without a matching level in the data;
    walking the annotations alongside the location tells those steps apart.
    """
    tp: Any = StacksFile
    path: list[int | str] = []
    for part in loc:
        if part == "[key]":
            continue
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = _field_by_alias(tp, part)
            path.append(part)
            tp = field.annotation if field else None
            continue
        origin = typing.get_origin(tp)
        if origin in (typing.Union, types.UnionType):
            members = [m for m in typing.get_args(tp) if isinstance(m, type) and issubclass(m, BaseModel)]
            chosen = next((m for m in members if _tag_of(m) == part), None)
            if chosen is not None:
                tp = chosen
                continue
            tp = None
            path.append(part)
            continue
        if origin is list:
            tp = typing.get_args(tp)[0]
        elif origin is dict:
            tp = typing.get_args(tp)[1]
        else:
            tp = None
        path.append(part)
    return tuple(path), _unwrap(tp)


def _unwrap(tp: Any) -> Any:
    while True:
        if typing.get_origin(tp) is typing.Annotated:
            tp = typing.get_args(tp)[0]
            continue
        if typing.get_origin(tp) in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) == 1:
                tp = args[0]
                continue
        return tp


def _field_by_alias(model: type[BaseModel], name: Any) -> FieldInfo | None:
    for field_name, field in model.model_fields.items():
        if (field.alias or field_name) == name or field_name == name:
            return field
    return None


def _tag_of(model: type[BaseModel]) -> str | None:
    for key in ("kind", "target"):
        field = model.model_fields.get(key)
        if field is not None and typing.get_origin(field.annotation) is typing.Literal:
            return str(typing.get_args(field.annotation)[0])
    return None


def _keys_of(model: Any) -> list[str]:
    if isinstance(model, type) and issubclass(model, BaseModel):
        return [f.alias or n for n, f in model.model_fields.items()]
    return []


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (null)"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _translate(doc: Document, err: ErrorDetails) -> Diagnostic:
    loc = tuple(err["loc"])
    kind = err["type"]
    ctx = err.get("ctx") or {}
    value = err.get("input")
    is_key = bool(loc) and loc[-1] == "[key]"
    parent_path, _ = _walk(loc[:-1]) if loc else ((), None)
    path, expected_type = _walk(loc)

    if kind == "extra_forbidden":
        name = loc[-1]
        _, parent_type = _walk(loc[:-1])
        keys = _keys_of(parent_type)
        suggestion = did_you_mean(str(name), keys)
        hint = suggestion + " " if suggestion else ""
        hint += f"Allowed keys here: {one_of(keys, 30)}." if keys else "Remove it."
        return doc.diagnostic(path, f"unknown key '{name}'", hint, at_key=True)

    if kind == "missing":
        field = loc[-1]
        where = parent_path
        desc = ""
        if isinstance(expected_type, type) and issubclass(expected_type, BaseModel):
            desc = f" ({expected_type.__doc__.strip().splitlines()[0]})" if expected_type.__doc__ else ""
        return doc.diagnostic(where, f"missing required key '{field}'{desc}", f"add '{field}:' here", at_key=True)

    if kind in ("union_tag_invalid", "union_tag_not_found"):
        tag_name = ctx.get("discriminator", "kind").strip("'")
        options = [t.strip().strip("'") for t in str(ctx.get("expected_tags", "")).split(",") if t.strip()]
        if not options and typing.get_origin(expected_type) in (typing.Union, types.UnionType):
            options = [t for t in map(_tag_of, typing.get_args(expected_type)) if t]
        if kind == "union_tag_not_found":
            return doc.diagnostic(
                path, f"missing '{tag_name}'", f"set '{tag_name}:' to one of {one_of(options)}", at_key=True
            )
        tag = ctx.get("tag")
        suggestion = did_you_mean(str(tag), options)
        hint = (suggestion + " " if suggestion else "") + f"Use one of {one_of(options)}."
        return doc.diagnostic((*path, tag_name), f"unknown {tag_name} '{tag}'", hint)

    if kind == "literal_error":
        matches = re.findall(r"'([^']*)'|(\d+)", str(ctx.get("expected", "")))
        flat = [a or b for a, b in matches]
        suggestion = did_you_mean(str(value), flat)
        hint = (suggestion + " " if suggestion else "") + f"Use one of {one_of(flat, 20)}."
        return doc.diagnostic(path, f"{_describe(value)} is not allowed here", hint)

    if kind == "string_pattern_mismatch":
        return doc.diagnostic(
            path, f"{_describe(value)} has the wrong form", _pattern_hint(str(ctx.get("pattern", ""))), at_key=is_key
        )

    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return doc.diagnostic(
            path, f"expected a mapping, found {_describe(value)}", "write key: value pairs indented under this key"
        )
    if kind == "list_type":
        return doc.diagnostic(path, f"expected a list, found {_describe(value)}", "write items as '- item' lines")

    message = err["msg"]
    message = message[0].lower() + message[1:]
    if value is not None and kind.endswith(("_type", "_parsing", "_than", "_equal", "too_short", "too_long")):
        message += f", found {_describe(value)}"
    return doc.diagnostic(path, message, _generic_hint(kind, ctx), at_key=is_key)


def _pattern_hint(pattern: str) -> str:
    known = {
        r"^[a-z][a-z0-9-]{0,28}[a-z0-9]$": "use 2-30 lowercase letters, digits and '-', starting with a letter "
        "(ids become parts of cloud resource names)",
        r"^[a-z][a-z0-9-]{0,38}[a-z0-9]$": "use 2-40 lowercase letters, digits and '-', starting with a letter",
        r"^[a-z][a-z0-9]{0,11}$": "environment names take 1-12 lowercase letters and digits, no '-' "
        "(deployables are named <stack>-<environment>)",
        r"^[A-Z_][A-Z0-9_]*$": "environment variable names take uppercase letters, digits and '_'",
        r"^[a-z0-9][a-z0-9/_-]{1,126}$": "a secret is referenced by its name in the secret store "
        "(lowercase letters, digits, '/', '_', '-'), never by its value",
        r"^[a-z][a-z0-9-]{0,19}$": "stack ids take 1-20 lowercase letters, digits and '-', starting with a letter",
        r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$": "GCP project ids take 6-30 lowercase letters, digits and '-'",
        r"^/[^\s]*$": "a path starts with '/' and has no spaces, e.g. /health",
    }
    return known.get(pattern, f"the value must match {pattern}")


def _generic_hint(kind: str, ctx: dict[str, Any]) -> str | None:
    if kind.startswith("int") or kind.startswith("float"):
        return "write a number without quotes"
    if kind.startswith("bool"):
        return "write true or false"
    if kind.startswith("string"):
        return "write a string (quote it if it looks like a number or boolean)"
    if "limit_value" in ctx or "ge" in ctx or "le" in ctx:
        return "change the value to fit the range"
    return None


# ---------------------------------------------------------------- semantic checks


def semantic_problems(doc: Document, model: StacksFile, named: set[str] | None = None) -> Iterator[Diagnostic]:
    """Cross-reference and hosting problems; ``named``: every component id the file names (when some
    are malformed and left out of ``model``), so a misspelt reference still gets its "did you mean"."""
    ids = sorted(named if named is not None else model.components)
    yield from _check_connections(doc, model, ids)
    yield from _check_components(doc, model, ids)
    yield from _check_stacks(doc, model, ids)
    yield from _check_views(doc, model, ids)


# Settings of a container frontend that a static site has no use for, and why.
STATIC_UNUSED = {
    "build": "static.build builds the site; there is no image",
    "image": "the site is files, not an image",
    "command": "nothing runs: the files are served from object storage (nginx under compose)",
    "env": "the site's files are public: nothing from the environment may reach them",
    "secrets": "the site's files are public: a secret would reach every browser",
    "files": "the files served are static.output",
    "security": "nothing runs as a user: the files are served from object storage",
    "health": "object storage has no health probe",
    "ready": "object storage has no readiness probe",
    "scale": "the CDN scales by itself",
    "resources": "nothing runs: there is no CPU or memory to size",
}


def _check_static_site(doc: Document, model: StacksFile, cid: str, comp: Any) -> Iterator[Diagnostic]:
    """A static frontend: only what a site uses, and the API its API path reaches is public."""
    base = ("components", cid)
    for name in sorted(comp.model_fields_set & set(STATIC_UNUSED)):
        yield doc.diagnostic(
            (*base, name),
            f"'{name}' does not apply to the static site '{cid}': {STATIC_UNUSED[name]}",
            f"remove '{name}', or remove 'static' to run the frontend as a container",
            at_key=True,
        )
    for i, conn in enumerate(model.connections):
        callee = model.components.get(conn.to)
        if conn.from_ != cid or callee is None:
            continue
        if conn.flow != "request" or callee.kind != "service":
            # The site runs in the browser: it reaches anything else only through an API.
            yield doc.diagnostic(
                ("connections", i),
                f"the static site '{cid}' can only call a service (its {comp.static.api_path}/* route), not "
                f"{'send data to' if conn.flow != 'request' else 'call'} the {callee.kind} '{conn.to}'",
                f"connect '{cid}' to the service that reads '{conn.to}', and that service to '{conn.to}'",
            )
        elif not getattr(callee, "public", False):
            yield doc.diagnostic(
                ("connections", i, "to"),
                f"the static site '{cid}' sends {comp.static.api_path}/* to '{conn.to}' through its load balancer, "
                f"but '{conn.to}' is not public",
                f"set components.{conn.to}.public: true (the CDN's only way to it)",
            )


def _unknown_id(doc: Document, path: PathKey, ref: str, ids: list[str], what: str = "component") -> Diagnostic:
    suggestion = did_you_mean(ref, ids)
    hint = (suggestion + " " if suggestion else "") + f"Known {what}s: {one_of(ids)}."
    return doc.diagnostic(path, f"unknown {what} '{ref}'", hint)


def _check_connections(doc: Document, model: StacksFile, ids: list[str]) -> Iterator[Diagnostic]:
    seen: dict[tuple[str, str, str, str], int] = {}
    for i, conn in enumerate(model.connections):
        base = ("connections", i)
        for end, ref in (("from", conn.from_), ("to", conn.to)):
            if ref not in model.components:
                yield _unknown_id(doc, (*base, end), ref, ids)
        if conn.from_ == conn.to:
            yield doc.diagnostic(
                (*base, "to"),
                f"'{conn.to}' connects to itself",
                "a connection joins two different components: change 'from' or 'to'",
            )
        key = (conn.from_, conn.to, conn.flow, conn.label)
        if key in seen:
            yield doc.diagnostic(
                base,
                f"duplicate connection {conn.from_} -> {conn.to} ({conn.flow})",
                f"the same connection is already declared as connections[{seen[key]}]; "
                "remove one or give them different labels",
            )
        seen.setdefault(key, i)
        if conn.flow == "request" and conn.to in model.components and model.components[conn.to].kind == "user":
            yield doc.diagnostic(
                (*base, "to"),
                f"'{conn.to}' is a user and cannot receive requests",
                "reverse the connection (users call systems), or set flow: data",
            )


def _check_components(doc: Document, model: StacksFile, ids: list[str]) -> Iterator[Diagnostic]:
    envs = model.environments
    for cid, comp in model.components.items():
        base = ("components", cid)
        if comp.mode == "static":
            yield from _check_static_site(doc, model, cid, comp)
        elif isinstance(comp, Workload):
            if comp.build is None and comp.image is None:
                yield doc.diagnostic(
                    base,
                    f"{comp.kind} '{cid}' has neither 'build' nor 'image'",
                    "add 'build: {context: .}' to build it from source, or 'image: <ref>'",
                    at_key=True,
                )
            if comp.build is not None and comp.image is not None:
                yield doc.diagnostic(
                    (*base, "image"),
                    "set either 'build' or 'image', not both",
                    "remove 'image' to build from source, or 'build' to use the prebuilt image",
                )
            yield from _check_env_values(doc, (*base, "env"), comp.env)
            for var, ref in comp.secrets.items():
                problem = leaks.literal_problem(ref)
                if problem:
                    yield doc.diagnostic(
                        (*base, "secrets", var),
                        f"the secret of '{var}' {problem}",
                        "secrets: holds the name of a secret in the target's secret store (e.g. shop/db-password); "
                        "store the value there, never in stacks.yaml",
                    )
            yield from _check_bindings(doc, model, (*base, "env"), cid, comp.env)
            overlap = sorted(set(comp.env) & set(comp.secrets))
            for var in overlap:
                yield doc.diagnostic(
                    (*base, "secrets", var), f"'{var}' is set both in env and in secrets", "keep one of them"
                )
            scale = getattr(comp, "scale", None)
            if scale is not None and scale.min > scale.max:
                yield doc.diagnostic(
                    (*base, "scale", "min"),
                    f"scale.min ({scale.min}) is above scale.max ({scale.max})",
                    "lower min or raise max",
                )
        if isinstance(comp, Job):
            for j, ref in enumerate(comp.before):
                if ref not in model.components:
                    yield _unknown_id(doc, (*base, "before", j), ref, ids)
        if isinstance(comp, Function):
            yield from _check_triggers(doc, model, base, comp, ids)
        if isinstance(comp, Gateway):
            yield from _check_routes(doc, model, base, comp, ids)
        if isinstance(comp, Warehouse):
            if comp.lake is not None:
                lake = model.components.get(comp.lake)
                if lake is None:
                    yield _unknown_id(doc, (*base, "lake"), comp.lake, ids)
                elif lake.kind != "bucket":
                    yield doc.diagnostic(
                        (*base, "lake"),
                        f"'{comp.lake}' is a {lake.kind}, not a bucket",
                        "point 'lake' at a bucket component",
                    )
            yield from _check_tables(doc, base, comp)
        if isinstance(comp, Deployable) and comp.environments is not None:
            for j, env in enumerate(comp.environments):
                if env not in envs:
                    yield _unknown_id(doc, (*base, "environments", j), env, envs, "environment")


def _check_triggers(
    doc: Document, model: StacksFile, base: PathKey, comp: Function, ids: list[str]
) -> Iterator[Diagnostic]:
    """A function's queue and bucket triggers name a queue and a bucket of the model."""
    for i, trigger in enumerate(comp.triggers):
        for field, kind in (("queue", "queue"), ("bucket", "bucket")):
            ref = getattr(trigger, field)
            if ref is None:
                continue
            target = model.components.get(ref)
            if target is None:
                yield _unknown_id(doc, (*base, "triggers", i, field), ref, ids)
            elif target.kind != kind:
                yield doc.diagnostic(
                    (*base, "triggers", i, field),
                    f"'{ref}' is a {target.kind}, not a {kind}",
                    f"point '{field}' at a {kind} component",
                )


def _check_routes(
    doc: Document, model: StacksFile, base: PathKey, comp: Gateway, ids: list[str]
) -> Iterator[Diagnostic]:
    """A gateway's routes point at services, frontends or HTTP-triggered functions, each path once."""
    seen: dict[str, int] = {}
    for i, route in enumerate(comp.routes):
        path = (*base, "routes", i)
        target = model.components.get(route.to)
        if target is None:
            yield _unknown_id(doc, (*path, "to"), route.to, ids)
        elif target.kind not in ROUTABLE_KINDS:
            routable = [cid for cid, c in model.components.items() if c.kind in ROUTABLE_KINDS]
            yield doc.diagnostic(
                (*path, "to"),
                f"'{route.to}' is a {target.kind}; a gateway routes to a service, frontend or function",
                (did_you_mean(route.to, routable) or "") + f" Routable components: {one_of(routable)}.",
            )
        elif isinstance(target, Function) and not any(t.http for t in target.triggers):
            yield doc.diagnostic(
                (*path, "to"),
                f"function '{route.to}' has no http trigger, so nothing invokes it over HTTP",
                f"add '- http: true' to components.{route.to}.triggers",
            )
        if route.path in seen:
            yield doc.diagnostic(
                (*path, "path"),
                f"the path {route.path} is routed twice",
                f"routes[{seen[route.path]}] already routes it: remove one",
            )
        seen.setdefault(route.path, i)


def _check_env_values(doc: Document, base: PathKey, env: dict[str, str]) -> Iterator[Diagnostic]:
    for var, value in env.items():
        if SECRET_LIKE.search(var) and value and not value.startswith("${"):
            yield doc.diagnostic(
                (*base, var),
                f"'{var}' looks like a secret given as a plain value",
                f"move it to 'secrets: {{{var}: <secret-name>}}' so only a reference is stored",
            )
        elif leaks.credential_in_url(value):
            yield doc.diagnostic(
                (*base, var),
                f"'{var}' has a password in its URL (user:password@)",
                "keep the URL without the password and pass the password through 'secrets:' "
                "(a reference to the secret store)",
            )


def _connected(model: StacksFile, cid: str) -> set[str]:
    return {c.to for c in model.connections if c.from_ == cid} | {c.from_ for c in model.connections if c.to == cid}


def _check_bindings(
    doc: Document, model: StacksFile, base: PathKey, cid: str, env: dict[str, str]
) -> Iterator[Diagnostic]:
    """Each ``${component.output}`` in a workload's env names a connected component and one of its outputs."""
    ids = sorted(model.components)
    for var, value in env.items():
        for ref in references(value):
            path = (*base, var)
            if isinstance(ref, Malformed):
                yield doc.diagnostic(
                    path, f"'{ref.text}' is not a reference", "write ${<component>.<output>}, e.g. ${db.url}"
                )
                continue
            other = model.components.get(ref.component)
            if other is None:
                suggestion = did_you_mean(ref.component, ids)
                yield doc.diagnostic(
                    path,
                    f"unknown component '{ref.component}' in {ref.text}",
                    (suggestion + " " if suggestion else "") + f"Known components: {one_of(ids)}.",
                )
                continue
            offered = sorted(rules.outputs_of(other.kind))
            if ref.output not in offered:
                suggestion = did_you_mean(ref.output, offered)
                listing = f"a {other.kind} offers {one_of(offered)}" if offered else f"a {other.kind} offers none"
                yield doc.diagnostic(
                    path,
                    f"'{ref.component}' has no output '{ref.output}' ({ref.text})",
                    (suggestion + " " if suggestion else "") + listing + " (see docs/outputs.md).",
                )
            elif ref.component not in _connected(model, cid):
                yield doc.diagnostic(
                    path,
                    f"{cid} reads {ref.text} but is not connected to '{ref.component}'",
                    f"add a connection {{from: {cid}, to: {ref.component}}}: it grants the access the output needs",
                )


def _check_tables(doc: Document, base: PathKey, comp: Warehouse) -> Iterator[Diagnostic]:
    names: set[str] = set()
    for t, table in enumerate(comp.tables):
        tpath = (*base, "tables", t)
        if table.name in names:
            yield doc.diagnostic((*tpath, "name"), f"table '{table.name}' is declared twice", "rename or remove one")
        names.add(table.name)
        columns = {c.name: c for c in table.columns}
        if len(columns) != len(table.columns):
            yield doc.diagnostic(
                (*tpath, "columns"), f"table '{table.name}' declares a column twice", "column names must be unique"
            )
        for field in ("primary_key", "cluster_by"):
            for k, col in enumerate(getattr(table, field)):
                if col not in columns:
                    yield _unknown_id(doc, (*tpath, field, k), col, sorted(columns), "column")
        if table.partition_by is not None:
            col = columns.get(table.partition_by)
            if col is None:
                yield _unknown_id(doc, (*tpath, "partition_by"), table.partition_by, sorted(columns), "column")
            elif col.type not in ("DATE", "TIMESTAMP"):
                yield doc.diagnostic(
                    (*tpath, "partition_by"),
                    f"'{col.name}' is {col.type}; tables are partitioned by a DATE or TIMESTAMP column",
                    "pick a date column or drop partition_by",
                )


def _deployed(model: StacksFile, stack: AnyStack) -> list[str]:
    if stack.components is not None:
        return list(stack.components)
    if isinstance(stack, HybridStack):
        return list(stack.placement)
    return [cid for cid, c in model.components.items() if c.kind not in NOT_DEPLOYED_KINDS]


def _check_stacks(doc: Document, model: StacksFile, ids: list[str]) -> Iterator[Diagnostic]:
    for sid, stack in model.stacks.items():
        base = ("stacks", sid)
        for env, settings in stack.environments.items():
            epath = (*base, "environments", env)
            if env not in model.environments:
                yield doc.diagnostic(
                    epath,
                    f"unknown environment '{env}'",
                    (did_you_mean(env, model.environments) or "")
                    + f" Declared environments: {one_of(model.environments)} "
                    "(add it to the top-level 'environments' list).",
                    at_key=True,
                )
            for cid, override in settings.components.items():
                if cid not in model.components:
                    yield _unknown_id(doc, (*epath, "components", cid), cid, ids)
                else:
                    yield from _check_bindings(doc, model, (*epath, "components", cid, "env"), cid, override.env)
                yield from _check_env_values(doc, (*epath, "components", cid, "env"), override.env)
            if settings.dns_zone and not settings.domain:
                yield doc.diagnostic(
                    (*epath, "dns_zone"), "dns_zone is set without a domain", "set 'domain' too, or remove 'dns_zone'"
                )
            if settings.cdn and not settings.domain and stack.target != "compose":
                yield doc.diagnostic((*epath, "cdn"), "a CDN needs a domain", "set 'domain' for this environment")
            elif settings.cdn and not settings.dns_zone and stack.target == "aws":
                yield doc.diagnostic(
                    (*epath, "cdn"),
                    "CloudFront on aws needs dns_zone",
                    "its us-east-1 certificate is validated in the Route 53 zone: set 'dns_zone'",
                )
        if stack.components is not None:
            for j, cid in enumerate(stack.components):
                if cid not in model.components:
                    yield _unknown_id(doc, (*base, "components", j), cid, ids)
        if stack.target == "aws":
            yield from _check_region(doc, (*base, "region"), stack.region, targets.AWS_REGIONS, "AWS")
        elif stack.target == "gcp":
            yield from _check_region(doc, (*base, "region"), stack.region, targets.GCP_REGIONS, "GCP")
        elif stack.target == "hybrid":
            yield from _check_region(doc, (*base, "aws", "region"), stack.aws.region, targets.AWS_REGIONS, "AWS")
            yield from _check_region(doc, (*base, "gcp", "region"), stack.gcp.region, targets.GCP_REGIONS, "GCP")
            for cid in stack.placement:
                if cid not in model.components:
                    yield _unknown_id(doc, (*base, "placement", cid), cid, ids)
        yield from _check_hosting(doc, model, sid, stack)
        yield from _check_bound_deployed(doc, model, sid, stack)
        yield from _check_routed_deployed(doc, model, sid, stack)
        yield from _check_routed_callers(doc, model, sid, stack)
        yield from _check_plannable(doc, model, sid, stack)
        yield from _check_container_options(doc, model, sid, stack)
        for env in stack.environments:
            yield from _check_egress(doc, model, sid, stack, env)
            yield from _check_one_domain(doc, model, sid, stack, env)
            if targets.production(env, stack.environments[env]):
                yield from _plain_http(doc, model, sid, stack, env)


def _plain_http(doc: Document, model: StacksFile, sid: str, stack: AnyStack, env: str) -> Iterator[Diagnostic]:
    """Public services an environment would serve over plain HTTP: an AWS load balancer or a GCP gateway
    without a domain.

    (Cloud Run without a domain serves its own HTTPS URL; an API Gateway its execute-api one.)
    """
    if stack.target == "compose" or stack.environments[env].domain:
        return
    for cid in _deployed(model, stack):
        comp = model.components.get(cid)
        if comp is None or (
            isinstance(comp, Deployable) and comp.environments is not None and env not in comp.environments
        ):
            continue
        cloud = _cloud_of(stack, cid)
        if comp.mode == "static":  # CloudFront serves HTTPS without a domain; a GCP load balancer cannot
            if cloud == "gcp":
                yield doc.diagnostic(
                    ("stacks", sid, "environments", env),
                    f"the static site '{cid}' in {sid}-{env} would be served over plain HTTP by its load balancer "
                    "(no domain, no certificate): production serves HTTPS only",
                    f"set stacks.{sid}.environments.{env}.domain (the site answers on {cid}.<domain>) and dns_zone",
                    at_key=True,
                )
            continue
        balanced = cloud == "aws" and comp.kind in ("service", "frontend") and getattr(comp, "public", False)
        if not balanced and not (cloud == "gcp" and isinstance(comp, Gateway)):
            continue
        zone = "its Route 53 zone" if cloud == "aws" else "its Cloud DNS zone (optional)"
        yield doc.diagnostic(
            ("stacks", sid, "environments", env),
            f"'{cid}' is public in {sid}-{env}, which would serve it over plain HTTP from 0.0.0.0/0 "
            "(its API key in cleartext): production serves HTTPS only",
            f"set a domain and {zone}: stacks.{sid}.environments.{env}.domain: api.example.com and "
            "dns_zone: example.com (the certificate is issued and validated there)",
            at_key=True,
        )


def _domain_claimants(model: StacksFile, stack: AnyStack, env: str) -> list[str]:
    """The components an environment's domain would point at: its public services and frontends in the cloud."""
    claimants = []
    for cid in _deployed(model, stack):
        comp = model.components.get(cid)
        if comp is None or comp.kind not in ("service", "frontend") or not getattr(comp, "public", False):
            continue
        if comp.mode == "static":  # a static site answers on <id>.<domain>, its own name
            continue
        if comp.environments is None or env in comp.environments:
            claimants.append(cid)
    return claimants


def _check_one_domain(doc: Document, model: StacksFile, sid: str, stack: AnyStack, env: str) -> Iterator[Diagnostic]:
    """One domain names one public entry point: two public services would each get a load balancer,
    a certificate and a DNS record for the same name, which the second apply refuses."""
    if stack.target == "compose" or not stack.environments[env].domain:
        return
    claimants = _domain_claimants(model, stack, env)
    if len(claimants) < 2:
        return
    names = " and ".join(f"'{c}'" for c in claimants)
    yield doc.diagnostic(
        ("stacks", sid, "environments", env, "domain"),
        f"{names} are public in {sid}-{env}, so each would claim the domain {stack.environments[env].domain} "
        "(one load balancer, certificate and DNS record each, for one name)",
        f"keep one public entry point: set public: false on all but '{claimants[0]}' and let it call the "
        "others, or deploy them in separate stacks with a domain each",
    )


RUN_ONCE = {
    "aws": "`aws ecs run-task` with the stack outputs {job}_task_definition and {job}_security_group",
    "gcp": "`gcloud run jobs execute` with the stack output {job}_job_name",
}


def _unhonoured_before(doc: Document, model: StacksFile, sid: str, stack: AnyStack, env: str) -> Iterator[Diagnostic]:
    """``before:`` is honoured by compose only: in the cloud the job is built, and nothing runs it at deploy."""
    if stack.target == "compose":
        return
    deployed = set(_deployed(model, stack))
    for cid in sorted(deployed):
        job = model.components.get(cid)
        if job is None or job.kind != "job" or (job.environments is not None and env not in job.environments):
            continue
        waiting = [t for t in getattr(job, "before", []) if t in deployed]
        if not waiting:
            continue
        cloud = _cloud_of(stack, cid)
        names = " and ".join(f"'{t}'" for t in waiting)
        yield doc.diagnostic(
            ("stacks", sid, "environments", env),
            f"'{cid}' runs before {names} in compose only: in {sid}-{env} ({cloud}) it is built as an on-demand "
            "job and nothing runs it at deploy",
            f"run it once after the deploy ({RUN_ONCE[cloud].format(job=cid.replace('-', '_'))}), "
            f"or do its work when {names} start{'s' if len(waiting) == 1 else ''}",
            at_key=True,
        )


def validation_warnings(doc: Document, model: StacksFile) -> list[Diagnostic]:
    """What is allowed but flagged: public services over plain HTTP outside production, and jobs whose
    ``before:`` a cloud target does not honour."""
    found: list[Diagnostic] = []
    for sid, stack in model.stacks.items():
        for env, settings in stack.environments.items():
            found.extend(_unhonoured_before(doc, model, sid, stack, env))
            if not targets.production(env, settings):
                for diag in _plain_http(doc, model, sid, stack, env):
                    found.append(
                        Diagnostic(
                            diag.file,
                            diag.line,
                            diag.col,
                            diag.path,
                            diag.message.replace(": production serves HTTPS only", " (allowed outside production)"),
                            diag.hint,
                        )
                    )
    return found


def _check_egress(doc: Document, model: StacksFile, sid: str, stack: AnyStack, env: str) -> Iterator[Diagnostic]:
    """``nat: none`` leaves AWS tasks with AWS APIs only (VPC endpoints): refuse it when one must reach further."""
    if stack.target not in ("aws", "hybrid") or stack.environments[env].nat != "none":
        return
    deployed = set(_deployed(model, stack))
    for conn in model.connections:
        for cid, other in ((conn.from_, conn.to), (conn.to, conn.from_)):
            comp = model.components.get(cid)
            if cid not in deployed or comp is None or comp.kind not in WORKLOAD_KINDS or _cloud_of(stack, cid) != "aws":
                continue
            peer = model.components.get(other)
            if peer is None:
                continue
            if other in deployed and _cloud_of(stack, other) != "aws":
                why = f"reaches '{other}' on {_cloud_of(stack, other)}"
            elif peer.kind == "external" and cid == conn.from_ and conn.flow == "request":
                why = f"calls the external '{other}' on the internet"
            else:
                continue
            yield doc.diagnostic(
                ("stacks", sid, "environments", env, "nat"),
                f"'{cid}' {why}, but nat: none in {sid}-{env} gives its private subnets no route out",
                "use nat: single (one NAT gateway) or per_az",
            )


def _check_region(
    doc: Document, path: PathKey, region: str, known: tuple[str, ...], cloud: str
) -> Iterator[Diagnostic]:
    if region not in known:
        suggestion = did_you_mean(region, known)
        yield doc.diagnostic(
            path,
            f"unknown {cloud} region '{region}'",
            (suggestion + " " if suggestion else "") + f"Known regions include {one_of(known, 8)}.",
        )


def _cloud_of(stack: AnyStack, cid: str) -> str:
    return stack.placement.get(cid, "aws") if isinstance(stack, HybridStack) else stack.target


def _check_hosting(doc: Document, model: StacksFile, sid: str, stack: AnyStack) -> Iterator[Diagnostic]:
    base = ("stacks", sid)
    hosted = targets.COMPOSE_KINDS | targets.hosted_kinds("hybrid")  # what some target deploys
    for cid in _deployed(model, stack):
        comp = model.components.get(cid)
        if comp is None:
            continue
        path = (*base, "placement", cid) if stack.target == "hybrid" else (*base, "components")
        if comp.kind not in hosted:
            yield doc.diagnostic(
                path,
                f"'{cid}' is a {comp.kind}; stack '{sid}' ({stack.target}) cannot deploy it",
                f"{comp.kind}s are drawn on diagrams but never deployed: remove '{cid}' here",
            )
            continue
        cloud = _cloud_of(stack, cid)
        if comp.kind not in targets.hosted_kinds(cloud):
            yield _not_hosted(doc, sid, stack, cid, comp.kind, cloud, path)
            continue
        problem = targets.substitution_problem(comp.kind, comp.technology, cloud)
        if problem:
            message, _, hint = problem.partition(". ")
            yield doc.diagnostic(("components", cid, "technology"), f"'{cid}' in stack '{sid}': {message}", hint)
        kind_rule = rules.rule(cloud, comp.kind)
        for setting, reason in kind_rule.refusals(comp) if kind_rule else []:
            why, _, instead = reason.partition(": ")
            yield doc.diagnostic(
                ("components", cid, *setting), f"'{cid}' in stack '{sid}' ({cloud}): {why}", instead or why
            )
        if cloud == "gcp" and comp.kind == "cache" and comp.engine != "redis":
            yield doc.diagnostic(
                ("components", cid, "engine"),
                f"'{cid}' is a {comp.engine} cache; stack '{sid}' runs caches on GCP as Memorystore for Redis",
                f"set engine: redis, or deploy '{cid}' with an aws or compose stack (ElastiCache / a container)",
            )
        for env, settings in stack.environments.items():
            if isinstance(comp, Deployable) and comp.environments is not None and env not in comp.environments:
                continue
            yield from _check_sizes(doc, model, sid, stack, env, settings, cid, comp, cloud)
            yield from _check_names(doc, model, sid, env, cid, comp, cloud)


def _check_bound_deployed(doc: Document, model: StacksFile, sid: str, stack: AnyStack) -> Iterator[Diagnostic]:
    """A workload a stack deploys reads outputs only of components the same stack deploys (in each environment)."""
    deployed = [cid for cid in _deployed(model, stack) if cid in model.components]
    for env in stack.environments:
        present = {cid for cid in deployed if env in (getattr(model.components[cid], "environments", None) or [env])}
        for cid in sorted(present):
            comp = model.components[cid]
            if not isinstance(comp, Workload):
                continue
            for var, value in comp.env.items():
                for ref in references(value):
                    if isinstance(ref, Malformed) or ref.component not in model.components:
                        continue
                    if ref.component not in present:
                        yield doc.diagnostic(
                            ("components", cid, "env", var),
                            f"{cid} reads {ref.text}, but stack '{sid}' does not deploy '{ref.component}' in {env}",
                            f"deploy '{ref.component}' in stack '{sid}' too, or bind {var} per environment under "
                            f"stacks.{sid}.environments.{env}.components.{cid}.env",
                        )


def _check_routed_deployed(doc: Document, model: StacksFile, sid: str, stack: AnyStack) -> Iterator[Diagnostic]:
    """A gateway a stack deploys routes only to components the same stack deploys on the same cloud."""
    deployed = [cid for cid in _deployed(model, stack) if cid in model.components]
    for cid in deployed:
        gateway = model.components[cid]
        if not isinstance(gateway, Gateway):
            continue
        for i, route in enumerate(gateway.routes):
            if route.to not in model.components:
                continue  # reported with the routes
            if route.to not in deployed or _cloud_of(stack, route.to) != _cloud_of(stack, cid):
                yield doc.diagnostic(
                    ("components", cid, "routes", i, "to"),
                    f"gateway '{cid}' routes {route.path} to '{route.to}', which stack '{sid}' does not deploy "
                    f"on {_cloud_of(stack, cid)}",
                    f"deploy '{route.to}' in stack '{sid}' next to the gateway",
                )


def _check_routed_callers(doc: Document, model: StacksFile, sid: str, stack: AnyStack) -> Iterator[Diagnostic]:
    """On GCP a service a gateway routes to takes requests from load balancers only: a workload calling it
    directly could not reach it, so it calls through the gateway."""
    deployed = {cid for cid in _deployed(model, stack) if cid in model.components}
    routed = {
        route.to: cid
        for cid in sorted(deployed)
        if isinstance(gateway := model.components[cid], Gateway) and _cloud_of(stack, cid) == "gcp"
        for route in gateway.routes
    }
    for index, conn in enumerate(model.connections):
        caller = model.components.get(conn.from_)
        if conn.flow != "request" or conn.to not in routed or conn.from_ not in deployed:
            continue
        if caller is not None and caller.kind in WORKLOAD_KINDS:
            yield doc.diagnostic(
                ("connections", index),
                f"'{conn.from_}' calls '{conn.to}' directly in stack '{sid}', but on GCP the gateway "
                f"'{routed[conn.to]}' routes to it and it takes requests from load balancers only",
                f"connect '{conn.from_}' to '{routed[conn.to]}' instead and read ${{{routed[conn.to]}.url}}",
            )


def _check_plannable(doc: Document, model: StacksFile, sid: str, stack: AnyStack) -> Iterator[Diagnostic]:
    """What the cloud planners need beyond hosting each kind, refused here with a location instead of at plan time."""
    if stack.target not in ("gcp", "hybrid"):
        return
    deployed = {cid for cid in _deployed(model, stack) if cid in model.components}
    for cid in sorted(deployed):
        comp = model.components[cid]
        if comp.kind == "warehouse" and _cloud_of(stack, cid) == "gcp" and comp.lake not in deployed:
            yield doc.diagnostic(
                ("components", cid, "lake") if comp.lake else ("components", cid),
                f"warehouse '{cid}' runs on BigQuery in stack '{sid}', which reads its tables from a lake bucket "
                "the same stack deploys",
                f"set components.{cid}.lake to a bucket that stack '{sid}' deploys",
            )
    if stack.target != "hybrid":
        return
    # The crossings stacks.plan.hybrid.cross_cloud_links carries; tests/deploy/test_random_models.py keeps them equal.
    for index, conn in enumerate(model.connections):
        a, b = conn.from_, conn.to
        if a not in deployed or b not in deployed or _cloud_of(stack, a) == _cloud_of(stack, b):
            continue
        ca, cb = model.components[a], model.components[b]
        pair = {a: ca, b: cb}
        if any(
            c.kind == "warehouse" and _cloud_of(stack, x) == "gcp" and getattr(c, "lake", None) in pair
            for x, c in pair.items()
        ):
            continue  # the lake is mirrored to GCS for the warehouse
        workload = next((x for x in (a, b) if pair[x].kind in WORKLOAD_KINDS), None)
        other = b if workload == a else a
        if (
            workload
            and _cloud_of(stack, workload) == "aws"
            and pair[other].kind == "warehouse"
            and _cloud_of(stack, other) == "gcp"
        ):
            continue  # Workload Identity Federation
        if conn.flow == "request" and cb.kind in ("service", "frontend") and getattr(cb, "public", False):
            continue  # the callee's public URL
        yield doc.diagnostic(
            ("connections", index),
            f"the connection {a} -> {b} crosses from {_cloud_of(stack, a)} to {_cloud_of(stack, b)} in stack "
            f"'{sid}', and the hybrid plan has no keyless way to carry it",
            "hybrid stacks carry an AWS lake feeding a GCP warehouse, AWS workloads querying a GCP warehouse and "
            f"requests to public services; place both ends on one cloud (stacks.{sid}.placement)",
        )


def _check_container_options(doc: Document, model: StacksFile, sid: str, stack: AnyStack) -> Iterator[Diagnostic]:
    """Workload options a cloud target cannot honour, refused instead of silently dropped."""
    if stack.target == "compose":
        return
    for cid in _deployed(model, stack):
        comp = model.components.get(cid)
        if not isinstance(comp, Workload):
            continue
        cloud, base = _cloud_of(stack, cid), ("components", cid)
        if comp.files:
            yield doc.diagnostic(
                (*base, "files"),
                f"'{cid}' mounts files from the repository, which stack '{sid}' ({cloud}) cannot do",
                "copy the files into the image (your Dockerfile), or leave the component out of this stack",
            )
        declared = comp.security
        if cloud == "gcp" and declared is not None and (declared.read_only or declared.user is not None):
            yield doc.diagnostic(
                (*base, "security"),
                f"Cloud Run (stack '{sid}') cannot make the root filesystem read-only or pick the user",
                "Cloud Run runs the image's own USER with a writable root: set the user in the Dockerfile and "
                "drop 'security' here, or leave the component out of this stack",
            )
        if not comp.health_command:
            continue
        if cloud == "gcp":
            yield doc.diagnostic(
                (*base, "health"),
                f"Cloud Run (stack '{sid}') probes an HTTP path, not a command",
                "give health an HTTP path on the port, e.g. /health",
            )
        elif comp.kind in ("service", "frontend") and not comp.ready:
            yield doc.diagnostic(
                (*base, "health"),
                f"the load balancer of stack '{sid}' probes an HTTP path; health here is a command",
                "add ready: /path (the load balancer's probe); the command stays the container's health check",
            )


def _not_hosted(doc: Document, sid: str, stack: AnyStack, cid: str, kind: str, cloud: str, path: PathKey) -> Diagnostic:
    """A kind the model accepts but ``cloud``'s plan registry has no builder for."""
    elsewhere = sorted(c for c in ("aws", "gcp") if c != cloud and kind in targets.hosted_kinds(c))
    if stack.target == "hybrid" and elsewhere:
        hint = f"place '{cid}' on {' or '.join(elsewhere)} in stacks.{sid}.placement"
    else:
        where = f"deploy it with a {' or '.join(elsewhere)} stack, or " if elsewhere else ""
        listing = "placement" if stack.target == "hybrid" else "components"
        hint = f"{where}leave '{cid}' out of stacks.{sid}.{listing} (compose runs {kind}s locally)"
    at = path if stack.target == "hybrid" or stack.components is not None else ("components", cid, "kind")
    return doc.diagnostic(at, f"'{cid}' is a {kind}, which stack '{sid}' cannot deploy on {cloud} yet", hint)


def _effective(comp: Workload, override: ComponentOverride | None, field: str) -> Any:
    value = getattr(override, field, None) if override is not None else None
    return value if value is not None else getattr(comp, field, None)


def _check_sizes(
    doc: Document,
    model: StacksFile,
    sid: str,
    stack: AnyStack,
    env: str,
    settings: Environment,
    cid: str,
    comp: AnyComponent,
    cloud: str,
) -> Iterator[Diagnostic]:
    if not isinstance(comp, Workload):
        return
    override = settings.components.get(cid)
    resources = _effective(comp, override, "resources")
    path = (
        ("stacks", sid, "environments", env, "components", cid, "resources")
        if override is not None and override.resources is not None
        else ("components", cid, "resources")
    )
    problem = None
    if cloud == "aws" and comp.kind == "function":
        problem = targets.lambda_size_problem(resources.memory)
    elif cloud == "aws":
        problem = targets.fargate_size_problem(resources.cpu, resources.memory)
    elif cloud == "gcp" and comp.kind != "job":
        problem = targets.cloud_run_size_problem(resources.cpu, resources.memory)
    if problem:
        yield doc.diagnostic(path, f"{cid} in {sid}-{env}: {problem}", "pick a size the target offers")
    scale = override.scale if override is not None else None
    if scale is not None and scale.min > scale.max:
        yield doc.diagnostic(
            (*path[:-1], "scale"), f"{cid} in {sid}-{env}: scale.min is above scale.max", "lower min or raise max"
        )


def _check_names(
    doc: Document, model: StacksFile, sid: str, env: str, cid: str, comp: AnyComponent, cloud: str
) -> Iterator[Diagnostic]:
    """The cloud names the kind rule of ``comp`` on ``cloud`` lists, against each cloud's naming limits."""
    target = model.stacks[sid].target
    stack = model.stacks[sid]
    # Bucket names are global: the plans add the account id (S3) or the project id (GCS) to them.
    s3_suffix = "-" + "0" * 12
    gcs_prefix = (stack.gcp.project if isinstance(stack, HybridStack) else getattr(stack, "project", "")) + "-"
    kind_rule = rules.rule_for(cloud, comp) if cloud in rules.TARGETS else None
    if kind_rule is None:
        return
    for check in kind_rule.names:
        if check.hybrid_only and target != "hybrid":
            continue
        value = _checked_name(model, sid, target, env, cid, comp, check)
        if check.rule == "s3_bucket":
            value += s3_suffix
        elif check.rule == "gcs_bucket":
            value = gcs_prefix + value
        rule = NAME_RULES[check.rule]
        problem = rule.check(value)
        if problem:
            # Show the name as the model makes it; the account or project part is the plan's.
            shown = value.removesuffix(s3_suffix).removeprefix(gcs_prefix)
            added = " (with the account id appended)" if value.endswith(s3_suffix) else ""
            added = added or (" (after the project id)" if value != shown else "")
            yield doc.diagnostic(
                ("components", cid),
                f"the {rule.what} name '{shown}' for {sid}-{env} {problem}{added}",
                "shorten the system name or the component id",
                at_key=True,
            )


def _checked_name(
    model: StacksFile, sid: str, target: str, env: str, cid: str, comp: AnyComponent, check: NameCheck
) -> str:
    prefix = system_prefix(model.system.name, sid, target)
    if check.form == "account":
        return service_account_id(cid, env, sid, target)
    if check.form == "pool":
        return resource_name(prefix, "", env)
    base = model.system.name if check.base == "system" else prefix
    name = resource_name(base, cid, env, check.suffix)
    flag = getattr(comp, check.flag, None) if check.flag else None
    if flag:
        name += check.flag_suffix.format(value=flag)
    return sql_identifier(name) if check.form == "sql" else name


def _check_views(doc: Document, model: StacksFile, ids: list[str]) -> Iterator[Diagnostic]:
    for r, group in enumerate(model.views.rank):
        for j, cid in enumerate(group):
            if cid not in model.components:
                yield _unknown_id(doc, ("views", "rank", r, j), cid, ids)
    for view, settings in model.views.settings.items():
        for j, cid in enumerate(settings.exclude):
            if cid not in model.components:
                yield _unknown_id(doc, ("views", "settings", view, "exclude", j), cid, ids)
