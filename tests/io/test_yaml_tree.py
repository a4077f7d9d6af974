"""The fast YAML reader (rapidyaml's tree after libyaml's verdict) against PyYAML's nodes:
the same data, the same lines, the same refusals, for any document."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from natrisk.errors import WorkbookError
from natrisk.io.workbook import FastYamlLoader, _read_yaml, _read_yaml_nodes
from natrisk.io.yaml_tree import read_tree

# scalars a workbook holds, and the ones YAML 1.1 types by their look
words = st.text(
    st.characters(
        codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x85\u2028\u2029\r"
    ),
    max_size=30,
)
looks = st.sampled_from(
    [
        "yes",
        "No",
        "on",
        "~",
        "null",
        "1_000",
        "1:30",
        "0x1F",
        "012",
        "0o17",
        "5.0e9",
        ".inf",
        "-.NaN",
        "2026-01-01",
        "2026-01-01 10:00:00",
        "1.1",
        "B-low",
        "A",
        "",
        " x ",
        "#x",
        "- a",
    ]
)
scalars = st.one_of(
    words,
    looks,
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
    st.dates(min_value=dt.date(1900, 1, 1)),
)
keys = st.one_of(words.filter(bool), looks, st.integers(0, 99))


def distinct_texts(mapping: dict[Any, Any]) -> bool:
    """No two keys written alike (the string '0' and the number 0): a place is found by the
    key as written, so such a pair has one place between them."""
    texts = {str(k).lower() if isinstance(k, bool) else str(k) for k in mapping}
    return len(texts) == len(mapping)


documents = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.dictionaries(keys, inner, max_size=5).filter(distinct_texts),
    ),
    max_leaves=40,
)
styles = st.sampled_from(
    [
        {},
        {"default_flow_style": True},
        {"allow_unicode": True},
        {"default_style": '"'},
        {"default_style": "'"},
        {"default_style": "|"},
        {"width": 12, "allow_unicode": True},
        {"explicit_start": True, "indent": 4},
    ]
)


def same(a: Any, b: Any) -> bool:
    """Equal, with the same types all the way down (1 is not True, 1.0 is not 1)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents, styles)
def test_the_tree_reads_any_document_as_pyyaml_does(doc: Any, style: dict[str, Any]) -> None:
    text = yaml.safe_dump(doc, sort_keys=False, **style)
    fast, places = _read_yaml(text, "doc.yaml")
    slow, lines = _read_yaml_nodes(text, "doc.yaml")
    assert same(fast, slow)
    for path, line in lines.items():
        assert places.get(path) == line, (path, text)
    assert places.get(("no such key", 12345)) is None


def test_the_tree_is_used_for_plain_workbooks() -> None:
    text = "format: natrisk/1\nscenarios:\n  - id: a\n    impacts:\n      '1.1': {class: B}\n"
    found = read_tree(text, FastYamlLoader(""), dict)
    assert found is not None
    data, places = found
    assert data["scenarios"][0]["impacts"]["1.1"] == {"class": "B"}
    assert places[("scenarios", 0, "impacts", "1.1", "class")] == "line 5"
    assert ("scenarios", 0, "id") in places and ("scenarios", 1) not in places


@pytest.mark.parametrize(
    "text",
    [
        "a: &x 1\nb: *x\n",  # anchors and aliases
        "a: !!str 1\n",  # tags
        "<<: {a: 1}\nb: 2\n",  # merge keys
        "a: 1\n---\nb: 2\n",  # two documents
        "a: 1\rb: 2\r",  # lone CR line breaks
        "a: x\x85y\n",  # NEL, a line break in YAML 1.1
    ],
)
def test_what_only_pyyaml_resolves_takes_its_path(text: str) -> None:
    assert read_tree(text, FastYamlLoader(""), dict) is None
    try:
        expected: Any = _read_yaml_nodes(text, "doc.yaml")
    except WorkbookError as exc:
        expected = exc.problems
    try:
        got: Any = _read_yaml(text, "doc.yaml")
    except WorkbookError as exc:
        got = exc.problems
    assert got == expected


@pytest.mark.parametrize(
    "text",
    ["a: [1, 2\n", "a: b: c\n", '"open\n', "a:\n\tb: 1\n", "- a\nb: 1\n", "a: 1\n a: 2\n"],
)
def test_bad_yaml_is_refused_with_pyyamls_message_and_line(text: str) -> None:
    with pytest.raises(WorkbookError) as fast:
        _read_yaml(text, "doc.yaml")
    with pytest.raises(WorkbookError) as slow:
        _read_yaml_nodes(text, "doc.yaml")
    assert fast.value.problems == slow.value.problems
    assert "invalid YAML" in fast.value.problems[0].message


def test_an_empty_flow_item_is_placed_at_its_own_line() -> None:
    text = "items:\n  - a\n  - {}\n  - []\n  -\n"
    _, places = _read_yaml(text, "doc.yaml")
    assert [places[("items", i)] for i in range(4)] == ["line 2", "line 3", "line 4", "line 5"]
