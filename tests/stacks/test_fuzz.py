"""Fuzzing: whatever the input, validation succeeds or fails with located diagnostics.

Never an uncaught exception: mutations of the default stacks.yaml (structure and
raw text) and random YAML documents.
"""

from __future__ import annotations

import copy
import re

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stacks.errors import StacksError
from stacks.project import project_from_text
from tests.conftest import ROOT

DEFAULT_TEXT = (ROOT / "stacks.yaml").read_text()
DEFAULT = yaml.safe_load(DEFAULT_TEXT)
LOCATED = re.compile(r"^stacks\.yaml:\d+:\d+: ", re.M)
FUZZ = settings(
    max_examples=int(__import__("os").environ.get("FUZZ_EXAMPLES", "250")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.sampled_from(["service", "aws", "eu-west-1", "prod", "api", "", "-", "0.0.0.0/0"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=12,
)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, (*prefix, i))


ALL_PATHS = [p for p in _paths(DEFAULT) if p]


def _outcome(text: str) -> None:
    try:
        project_from_text(text)
    except StacksError as exc:
        report = exc.format()
        assert exc.diagnostics, f"an error without a location: {report}"
        assert LOCATED.search(report), report
        assert all(d.line is not None and d.line >= 1 for d in exc.diagnostics)


@FUZZ
@given(
    st.lists(
        st.tuples(
            st.sampled_from(ALL_PATHS),
            st.sampled_from(["set", "delete", "add", "rename"]),
            values,
            st.text(min_size=1, max_size=10),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_structural_mutations_of_the_default_file(mutations):
    data = copy.deepcopy(DEFAULT)
    for path, action, value, key in mutations:
        parent = data
        try:
            for part in path[:-1]:
                parent = parent[part]
            last = path[-1]
            if action == "set":
                parent[last] = value
            elif action == "delete":
                del parent[last]
            elif action == "add" and isinstance(parent[last], dict):
                parent[last][key] = value
            elif action == "rename" and isinstance(parent, dict):
                parent[key] = parent.pop(last)
        except (KeyError, IndexError, TypeError):
            continue
    _outcome(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


@FUZZ
@given(
    st.lists(
        st.tuples(
            st.integers(0, len(DEFAULT_TEXT)),
            st.integers(0, 8),
            st.text(alphabet=st.sampled_from(list(":-[]{}&*!|>'\"#%@\t \n\\,?abc123")), max_size=6),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_text_mutations_of_the_default_file(edits):
    text = DEFAULT_TEXT
    for position, delete, insert in edits:
        position = min(position, len(text))
        text = text[:position] + insert + text[position + delete :]
    _outcome(text)


@FUZZ
@given(values)
def test_random_yaml_documents(value):
    _outcome(yaml.safe_dump(value, allow_unicode=True))


@FUZZ
@given(st.text(max_size=200))
def test_random_text(text):
    _outcome(text)
