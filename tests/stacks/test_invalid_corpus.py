"""Every file in tests/stacks/invalid/ is rejected with a located message.

expected.json gives, per file, the line the first matching diagnostic must point at
and the fragments the report must contain (the message, and the hint).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from stacks.errors import StacksError
from stacks.project import load_project

CORPUS = Path(__file__).parent / "invalid"
EXPECTED = json.loads((CORPUS / "expected.json").read_text())
LOCATED = re.compile(r"^(?P<file>[^:\n]+\.yaml):(?P<line>\d+):(?P<col>\d+): ", re.M)


def test_corpus_is_complete():
    files = {p.stem for p in CORPUS.glob("*.yaml")}
    assert files == set(EXPECTED)
    assert len(files) >= 30


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_invalid_file_is_rejected_with_location(name):
    expected = EXPECTED[name]
    with pytest.raises(StacksError) as info:
        load_project(CORPUS / f"{name}.yaml")
    report = info.value.format()
    lines = {int(m["line"]) for m in LOCATED.finditer(report)}
    assert lines, f"no file:line:col location in:\n{report}"
    assert expected["line"] in lines, f"expected a problem at line {expected['line']}, got {sorted(lines)}:\n{report}"
    for fragment in expected["contains"]:
        assert fragment in report, f"{fragment!r} not in:\n{report}"
    assert "Traceback" not in report
