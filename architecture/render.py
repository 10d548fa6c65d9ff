"""The one renderer: any ``GraphSpec`` -> a ``diagrams`` graph -> Graphviz PNG and SVG bytes.

What it fixes over plain ``diagrams``: node ids come from the spec (not
``uuid4``), so the DOT source, and with it every byte of the output, depends only
on the model; cluster names come from unique spec ids (two sibling clusters
with the same label no longer merge); ``show=False`` always and nothing is
written to disk but a private temp dir; SVG icons are inlined as ``data:`` URIs
so the file renders anywhere (no site-packages paths); PNGs carry no timestamp.

Every output carries a *source key*: a hash of the DOT source (icon paths made
relative) and the renderer and ``diagrams`` versions, in a PNG ``tEXt`` chunk and an
SVG comment. A rendering whose key matches an existing file's key is that
file's bytes, so callers may pass the current files as ``previous`` to skip
Graphviz when nothing changed; this also keeps `stacks check` from flagging
diagrams as stale on a machine whose Graphviz or fonts differ, while any model
change (a different DOT source) still does.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import os
import re
import shutil
import struct
import subprocess
import tempfile
import textwrap
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from architecture.spec import Cluster, GraphSpec, Node
from stacks.artifacts import GENERATED
from stacks.errors import StacksError

RENDERER_VERSION = "1"
FORMATS = ("png", "svg")
DOT_TIMEOUT = 120

TONES: dict[str, tuple[str, str]] = {  # tone -> (fill, border)
    "neutral": ("#F4F6F8", "#AEB6BE"),
    "system": ("#F8FAFC", "#64748B"),
    "edge": ("#FDF7E3", "#D9B44A"),
    "compute": ("#E5F5FD", "#5BA4CF"),
    "data": ("#EBF3E7", "#6AA84F"),
    "local": ("#ECE8F6", "#8E7CC3"),
    "aws": ("#FFF4E5", "#FF9900"),
    "gcp": ("#E8F0FE", "#4285F4"),
    "hybrid": ("#FAFAFA", "#64748B"),
}

GRAPH_ATTRS = {
    "pad": "0.4",
    "splines": "spline",
    "nodesep": "0.8",
    "ranksep": "1.1",
    "newrank": "true",  # rank groups may span clusters
    "fontname": "DejaVu Sans",
    "fontsize": "20",
    "labelloc": "t",
    "dpi": "96",
    # At most 40 x 40 inches (3840 px): a 300-component graph would otherwise be a 500-megapixel
    # PNG that takes Graphviz half a minute to paint. Smaller graphs are drawn at full scale.
    "size": "40,40",
    "outputorder": "edgesfirst",
}
# Past this many nodes, layout time matters more than curve quality: straight-segment edges and
# fewer crossing-minimisation / network-simplex passes (measured: 300 components, ~2x less CPU).
LARGE_GRAPH = 80
LARGE_GRAPH_ATTRS = {"splines": "polyline", "mclimit": "0.3", "nslimit": "4", "nslimit1": "4"}
NODE_ATTRS = {"fontname": "DejaVu Sans", "fontsize": "12"}
# An HTML label (icon above text) instead of diagrams' image-in-a-fixed-box: long names no
# longer run over the icon or into the neighbours, because the node is as big as its text.
NODE_OVERRIDES = {"shape": "plain", "image": "", "fixedsize": "false", "width": "0", "height": "0", "margin": "0"}
ICON_PX = 72
LIST_POINT = 10  # the text of a node's list (``Node.rows``)
LIST_ICON = "diagrams.generic.blank.Blank"  # the class behind a node drawn without an icon
EDGE_ATTRS = {"color": "#5D6D7E", "arrowsize": "0.8"}
EDGE_FONT = {"fontname": "DejaVu Sans", "fontsize": "11", "fontcolor": "#2D3436"}
CLUSTER_ATTRS = {"fontname": "DejaVu Sans", "fontsize": "14", "margin": "18", "style": "rounded,filled"}


@dataclass
class Rendering:
    name: str
    key: str
    outputs: dict[str, bytes]
    seconds: float = 0.0
    reused: bool = False
    source: str = field(default="", repr=False)


# ---------------------------------------------------------------- spec -> diagrams -> DOT


@cache
def _node_class(path: str) -> type:
    module, _, name = path.rpartition(".")
    try:
        node_class: type = getattr(importlib.import_module(module), name)
        return node_class
    except (ImportError, AttributeError) as exc:
        raise StacksError(
            f"no diagrams node class '{path}'",
            hint="Fix the entry in architecture/nodes.py (see `python -c 'import diagrams'`).",
        ) from exc


def _import_diagrams() -> ModuleType:
    try:
        return importlib.import_module("diagrams")
    except ImportError as exc:
        from stacks.bundle import missing_extra

        raise missing_extra("diagrams") or StacksError("the 'diagrams' package is not installed") from exc


def resources_dir() -> str:
    diagrams = _import_diagrams()
    return str(Path(str(diagrams.__file__)).resolve().parent.parent / "resources")


def _icon_path(cls: Any) -> str:
    """Where a diagrams node class's icon is: the class carries it as ``_icon_dir`` and ``_icon`` (untyped)."""
    icon_dir: str = cls._icon_dir
    icon: str = cls._icon
    return os.path.join(os.path.dirname(resources_dir()), icon_dir, icon)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _lines(text: str, width: int) -> str:
    return "<BR/>".join(_escape(line) for line in textwrap.wrap(text, width=width, break_on_hyphens=False) or [""])


def _cell(text: str, bold: bool = False) -> str:
    if not text:
        return "<TD></TD>"  # Graphviz rejects an empty <FONT></FONT> (a merged line with nothing beside it)
    body = '<BR ALIGN="LEFT"/>'.join(_escape(line) for line in text.split("\n"))
    body = f"<B>{body}</B>" if bold else body
    tail = '<BR ALIGN="LEFT"/>' if "\n" in text else ""
    return f'<TD ALIGN="LEFT" BALIGN="LEFT"><FONT POINT-SIZE="{LIST_POINT}" COLOR="#334155">{body}{tail}</FONT></TD>'


def _list_table(node: Node) -> str:
    """``heading`` and ``rows`` as a white box of small left-aligned text: what the node stands for."""
    lines = [("<TR>" + "".join(_cell(h, bold=True) for h in node.heading) + "</TR>")] if node.heading else []
    lines += ["<TR>" + "".join(_cell(c) for c in row) + "</TR>" for row in node.rows]
    return (
        f'<TR><TD><TABLE BORDER="1" COLOR="#CBD5E1" BGCOLOR="#FFFFFF" STYLE="rounded" CELLBORDER="0" '
        f'CELLSPACING="0" CELLPADDING="3">{"".join(lines)}</TABLE></TD></TR>'
    )


def html_label(node: Node, icon: str) -> str:
    """Icon on top, name below, detail in small grey type: the node grows to fit its text.

    A node without an icon (``icon=""``) is a titled list; ``heading``/``rows`` add the list below.
    """
    rows = []
    if node.icon:
        rows.append(
            f'<TR><TD FIXEDSIZE="TRUE" WIDTH="{ICON_PX}" HEIGHT="{ICON_PX}">'
            f'<IMG SRC="{_escape(icon)}" SCALE="TRUE"/></TD></TR>'
        )
    rows.append(f"<TR><TD>{_lines(node.label, 22)}</TD></TR>")
    if node.detail:
        rows.append(f'<TR><TD><FONT POINT-SIZE="10" COLOR="#52606D">{_lines(node.detail, 28)}</FONT></TD></TR>')
    if node.heading or node.rows:
        rows.append(_list_table(node))
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">{"".join(rows)}</TABLE>>'


def _pairs(attrs: Iterable[tuple[str, str]]) -> dict[str, str]:
    return dict(attrs)


def build_dot(spec: GraphSpec) -> Any:  # a graphviz.Digraph (graphviz ships no type information)
    """The ``graphviz.Digraph`` that ``diagrams`` builds for ``spec`` (nothing is rendered)."""
    diagrams = _import_diagrams()
    from diagrams import Cluster as DCluster
    from diagrams import Diagram, Edge

    large = LARGE_GRAPH_ATTRS if len(spec.all_nodes()) > LARGE_GRAPH else {}
    graph_attr = {**GRAPH_ATTRS, **large, **_pairs(spec.attrs)}
    diagram = Diagram(
        spec.title,
        filename=spec.name,
        direction=spec.direction,
        show=False,
        graph_attr=graph_attr,
        node_attr=NODE_ATTRS,
        edge_attr=EDGE_ATTRS,
    )
    # Enter the context by hand: Diagram.__exit__ would render into the working directory.
    diagrams.setdiagram(diagram)
    diagrams.setcluster(None)
    try:
        made: dict[str, object] = {}

        def add_node(node: Node) -> None:
            cls = _node_class(node.icon or LIST_ICON)
            attrs = {**NODE_OVERRIDES, **_pairs(node.attrs)}
            if node.tooltip:
                attrs["tooltip"] = node.tooltip
            made[node.id] = cls(html_label(node, _icon_path(cls)), nodeid=node.id, **attrs)

        def add_cluster(cluster: Cluster) -> None:
            fill, border = TONES.get(cluster.tone, TONES["neutral"])
            attrs = {**CLUSTER_ATTRS, "bgcolor": fill, "pencolor": border, **_pairs(cluster.attrs)}
            with DCluster(cluster.label, direction=spec.direction, graph_attr=attrs) as made_cluster:
                # diagrams names a cluster after its label; equal labels would merge into one box.
                made_cluster.name = made_cluster.dot.name = f"cluster_{cluster.id}"
                for node in cluster.nodes:
                    add_node(node)
                for child in cluster.clusters:
                    add_cluster(child)

        for node in spec.nodes:
            add_node(node)
        for cluster in spec.clusters:
            add_cluster(cluster)
        for group in spec.ranks:
            if len(group) > 1:
                members = "; ".join(f'"{m}"' for m in group)
                diagram.dot.body.append(f"\t{{rank=same; {members};}}\n")
        for edge in spec.edges:
            attrs = _pairs(edge.attrs)
            if edge.style != "solid":
                attrs["style"] = edge.style
            if edge.color:
                attrs["color"] = edge.color
                attrs["fontcolor"] = edge.color
            link = Edge(forward=not edge.both, label=edge.label, **{**EDGE_FONT, **attrs})
            if edge.both:
                link.forward = link.reverse = True
            diagram.connect(made[edge.source], made[edge.target], link)
        return diagram.dot
    finally:
        diagrams.setcluster(None)
        diagrams.setdiagram(None)


def dot_source(spec: GraphSpec) -> str:
    """The DOT text for ``spec`` with icon paths made relative to the diagrams resources dir."""
    source: str = build_dot(spec).source
    return source.replace(resources_dir() + os.sep, "")


def source_key(source: str) -> str:
    diagrams_version = _diagrams_version()
    return hashlib.sha256(f"{RENDERER_VERSION}\n{diagrams_version}\n{source}".encode()).hexdigest()


@cache
def _diagrams_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("diagrams")
    except PackageNotFoundError:  # pragma: no cover - a source checkout of diagrams
        return "unknown"


# ---------------------------------------------------------------- Graphviz


@cache
def dot_binary() -> str:
    found = shutil.which("dot")
    if not found:
        raise StacksError(
            "Graphviz is not installed (the 'dot' command is missing)",
            hint="Run `make setup`, or install it: `sudo apt-get install graphviz` (macOS: `brew install graphviz`).",
        )
    return found


RANK_GROUP = re.compile(r"^\t\{rank=same; [^\n]*\}\n", re.M)


def _run_dot(source: str, formats: tuple[str, ...]) -> dict[str, bytes]:
    with tempfile.TemporaryDirectory(prefix="stacks-dot-") as tmp:
        args = [dot_binary()]
        for fmt in formats:
            args += [f"-T{fmt}", "-o", os.path.join(tmp, f"out.{fmt}")]
        proc = subprocess.run(args, input=source.encode(), capture_output=True, timeout=DOT_TIMEOUT, check=False)
        if proc.returncode != 0 and b"trouble in init_rank" in proc.stderr:
            # A known Graphviz ranking bug with same-rank groups across clusters: the groups only align
            # boxes, so draw without them rather than fail.
            relaxed = RANK_GROUP.sub("", source)
            proc = subprocess.run(args, input=relaxed.encode(), capture_output=True, timeout=DOT_TIMEOUT, check=False)
        if proc.returncode != 0:
            raise StacksError(
                f"Graphviz failed: {proc.stderr.decode(errors='replace').strip()[:500]}",
                hint="Re-run with `stacks --debug`; this is a bug in a view if the model is valid.",
            )
        return {fmt: Path(tmp, f"out.{fmt}").read_bytes() for fmt in formats}


# ---------------------------------------------------------------- post-processing


def _png_chunks(data: bytes) -> Iterator[tuple[bytes, bytes, bytes]]:
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise StacksError("Graphviz did not produce a PNG")
    pos = 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        yield kind, data[pos + 8 : pos + 8 + length], data[pos : pos + 12 + length]
        pos += 12 + length


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def finish_png(data: bytes, key: str) -> bytes:
    """Drop time and text chunks, then add the generated-file comment and the source key."""
    out = [data[:8]]
    for kind, _, raw in _png_chunks(data):
        if kind in (b"tIME", b"tEXt", b"zTXt", b"iTXt"):
            continue
        out.append(raw)
        if kind == b"IHDR":
            out.append(_chunk(b"tEXt", b"Comment\x00" + GENERATED.encode()))
            out.append(_chunk(b"tEXt", b"stacks-source\x00" + key.encode()))
    return b"".join(out)


def png_key(data: bytes) -> str | None:
    try:
        for kind, body, _ in _png_chunks(data):
            if kind == b"tEXt" and body.startswith(b"stacks-source\x00"):
                key: str = body.split(b"\x00", 1)[1].decode()
                return key
            if kind == b"IDAT":
                return None
    except (StacksError, struct.error):
        return None
    return None


_HREF = re.compile(r'xlink:href="([^"]+)"')
_SVG_KEY = re.compile(r"<!-- stacks-source: ([0-9a-f]{64}) -->")


@cache
def _data_uri(path: str) -> str:
    data = Path(path).read_bytes()
    mime = (
        "image/png"
        if path.endswith(".png")
        else "image/jpeg"
        if path.endswith((".jpg", ".jpeg"))
        else ("image/svg+xml")
    )
    return f"data:{mime};base64," + base64.b64encode(data).decode()


def finish_svg(data: bytes, key: str) -> bytes:
    """Inline every icon as a data URI and stamp the generated-file comment and the source key."""
    text = data.decode("utf-8")

    def inline(match: re.Match[str]) -> str:
        target = match.group(1)
        if target.startswith(("data:", "#", "http://", "https://")):
            return match.group(0)
        if not os.path.isfile(target):
            raise StacksError(
                f"an icon of the SVG is missing: {target}", hint="Reinstall the diagrams package (`make setup`)."
            )
        return f'xlink:href="{_data_uri(target)}"'

    text = _HREF.sub(inline, text)
    stamp = f"<!-- {GENERATED} -->\n<!-- stacks-source: {key} -->\n"
    if text.startswith("<?xml"):
        head, _, rest = text.partition("\n")
        text = f"{head}\n{stamp}{rest}"
    else:
        text = stamp + text
    return text.encode("utf-8")


def svg_key(data: bytes) -> str | None:
    match = _SVG_KEY.search(data[:2000].decode("utf-8", errors="replace"))
    return match.group(1) if match else None


KEY_READERS: dict[str, Callable[[bytes], str | None]] = {"png": png_key, "svg": svg_key}
FINISHERS: dict[str, Callable[[bytes, str], bytes]] = {"png": finish_png, "svg": finish_svg}


# ---------------------------------------------------------------- entry points


def render_spec(
    spec: GraphSpec, formats: Iterable[str] = FORMATS, previous: Callable[[str, str], bytes | None] | None = None
) -> Rendering:
    """Render one spec; ``previous(name, fmt)`` returns the current file's bytes to reuse on a key match."""
    started = time.perf_counter()
    formats = tuple(formats)
    for fmt in formats:
        if fmt not in FINISHERS:
            raise StacksError(f"unknown diagram format '{fmt}'", hint=f"Formats: {', '.join(FINISHERS)}.")
    raw_source = build_dot(spec).source
    source = raw_source.replace(resources_dir() + os.sep, "")
    key = source_key(source)
    if previous is not None:
        old = {fmt: previous(spec.name, fmt) for fmt in formats}
        reusable = {fmt: data for fmt, data in old.items() if data is not None and KEY_READERS[fmt](data) == key}
        if len(reusable) == len(old):
            return Rendering(spec.name, key, reusable, time.perf_counter() - started, True, source)
    # Graphviz reads icons by absolute path; the relative source is only for the key.
    raw = _run_dot(raw_source, formats)
    outputs = {fmt: FINISHERS[fmt](raw[fmt], key) for fmt in formats}
    return Rendering(spec.name, key, outputs, time.perf_counter() - started, False, source)


def render_specs(
    specs: list[GraphSpec],
    formats: Iterable[str] = FORMATS,
    previous: Callable[[str, str], bytes | None] | None = None,
    workers: int | None = None,
    on_done: Callable[[Rendering], None] | None = None,
) -> list[Rendering]:
    """Render independent views in parallel (Graphviz runs in subprocesses), in input order."""
    formats = tuple(formats)
    workers = workers or min(len(specs), os.cpu_count() or 1, 4) or 1
    _import_diagrams()
    dot_binary()
    if workers <= 1 or len(specs) <= 1:
        done = []
        for spec in specs:
            done.append(render_spec(spec, formats, previous))
            if on_done:
                on_done(done[-1])
        return done
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="diagram") as pool:
        futures = [pool.submit(render_spec, spec, formats, previous) for spec in specs]
        results = []
        for future in futures:
            results.append(future.result())
            if on_done:
                on_done(results[-1])
        return results
