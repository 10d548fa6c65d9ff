"""The renderer: real Graphviz output that decodes, parses, is self-contained and byte-deterministic."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

import pytest

from architecture import render
from architecture.render import FORMATS, png_key, render_spec, render_specs, svg_key
from stacks.artifacts import GENERATED
from stacks.errors import StacksError

XLINK = "{http://www.w3.org/1999/xlink}href"


def _pil():
    try:
        from PIL import Image
    except ImportError:
        pytest.fail("Pillow is missing: run `make test` (requirements/dev.txt installs it)")
    return Image


@pytest.fixture(scope="module")
def rendered(specs):
    return {r.name: r for r in render_specs(list(specs.values()))}


def test_every_png_decodes_with_sane_dimensions(rendered):
    image_mod = _pil()
    for name, r in rendered.items():
        image = image_mod.open(io.BytesIO(r.outputs["png"]))
        image.load()  # decodes every pixel
        assert image.format == "PNG"
        width, height = image.size
        assert 300 <= width <= 6000 and 200 <= height <= 6000, (name, image.size)
        assert image.getextrema() != ((255, 255), (255, 255), (255, 255), (255, 255))[: len(image.getbands())]


def test_png_has_no_timestamp_and_carries_the_header_and_key(rendered):
    for r in rendered.values():
        data = r.outputs["png"]
        chunks = [kind for kind, _, _ in render._png_chunks(data)]
        assert b"tIME" not in chunks
        assert GENERATED.encode() in data
        assert png_key(data) == r.key


def test_every_svg_parses_and_references_no_file(rendered):
    for name, r in rendered.items():
        text = r.outputs["svg"].decode("utf-8")
        root = ET.fromstring(text.split("\n", 1)[1].split("-->", 2)[2])  # past the xml decl and our comments
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        images = root.findall(".//{http://www.w3.org/2000/svg}image")
        assert images, f"{name}: no icons at all"
        for image in images:
            assert image.get(XLINK).startswith("data:image/png;base64,"), name
        hrefs = re.findall(r'href="([^"]*)"', text)
        assert all(h.startswith(("data:", "#")) for h in hrefs), name
        assert "site-packages" not in text and "/work/" not in text and "file:" not in text
        assert svg_key(r.outputs["svg"]) == r.key
        assert f"<!-- {GENERATED} -->" in text.splitlines()[1]


def test_two_renders_are_byte_identical(specs):
    for spec in specs.values():
        first = render_spec(spec)
        second = render_spec(spec)
        assert not first.reused and not second.reused
        for fmt in FORMATS:
            assert first.outputs[fmt] == second.outputs[fmt], (spec.name, fmt)


def test_parallel_and_serial_renders_agree(specs):
    serial = render_specs(list(specs.values()), workers=1)
    parallel = render_specs(list(specs.values()), workers=2)
    assert [r.name for r in parallel] == list(specs)
    assert [r.outputs for r in serial] == [r.outputs for r in parallel]


def test_a_matching_key_reuses_the_previous_file_without_graphviz(specs, rendered, monkeypatch):
    spec = specs["containers"]
    previous = rendered["containers"].outputs

    def no_dot(*_):
        raise AssertionError("Graphviz ran although the source key matched")

    monkeypatch.setattr(render, "_run_dot", no_dot)
    again = render_spec(spec, previous=lambda name, fmt: previous[fmt])
    assert again.reused and again.outputs == previous


def test_a_changed_source_renders_again(specs, rendered):
    from dataclasses import replace

    spec = replace(specs["containers"], title="Another title")
    previous = rendered["containers"].outputs
    again = render_spec(spec, previous=lambda name, fmt: previous[fmt])
    assert not again.reused and again.key != rendered["containers"].key
    assert again.outputs["png"] != previous["png"]


def test_missing_graphviz_says_how_to_install(specs, monkeypatch):
    render.dot_binary.cache_clear()
    monkeypatch.setattr(render.shutil, "which", lambda _: None)
    try:
        with pytest.raises(StacksError) as info:
            render_spec(specs["system"])
        assert "Graphviz is not installed" in info.value.message and "apt-get install graphviz" in info.value.hint
    finally:
        render.dot_binary.cache_clear()


def test_unknown_format_is_rejected(specs):
    with pytest.raises(StacksError, match="unknown diagram format 'gif'"):
        render_spec(specs["system"], ["gif"])


def test_labels_are_escaped_in_html_labels(edited):
    from architecture.registry import project_views

    def change(data):
        data["components"]["api"]["label"] = 'API <v2> & "friends"'

    spec = project_views(edited(change), ["containers"])[0]
    out = render_spec(spec, ["svg"]).outputs["svg"].decode()
    assert "API &lt;v2&gt; &amp; &quot;friends&quot;" in out
