"""The assessment's JSON, built from cached pieces, is byte for byte what json.dumps writes.

The API serves the pieced bytes (services/assessment_json.py); the command line's --json
and results.json use Assessment.to_json. Both must say the same, through changes of scores,
titles and methods, in any order (the pieces are kept across calls).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from natrisk.io.workbook import dump_workbook, load_workbook, parse_workbook
from natrisk.services.assessment import assess, resolve_settings
from natrisk.services.assessment_json import assessment_bytes
from natrisk.services.edition import open_edition
from natrisk.services.scoring import resolve

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "nl-2026.yaml"
OPENED = open_edition(EXAMPLE)
RAW = dump_workbook(load_workbook(EXAMPLE))
CLASSES = ["A", "B", "C", "D", "E"]


def _plain(result: object) -> bytes:
    return json.dumps(result.to_json(), ensure_ascii=False).encode("utf-8")  # type: ignore[attr-defined]


@pytest.mark.parametrize("method", ["weighted-sum", "medal", "evamix"])
def test_the_bytes_equal_json_dumps(method: str) -> None:
    result = assess(OPENED.table, OPENED.book, resolve_settings(OPENED.framework, method))
    assert assessment_bytes(result) == _plain(result)
    assert assessment_bytes(result) == _plain(result)  # from the kept pieces, too


@settings(max_examples=25, deadline=None)
@given(
    changes=st.lists(
        st.tuples(st.integers(0, len(RAW["scenarios"]) - 1), st.sampled_from(CLASSES)),
        min_size=1,
        max_size=6,
    ),
    title=st.text(min_size=1, max_size=30).filter(lambda t: t.strip() != ""),
    method=st.sampled_from(["weighted-sum", "medal", "evamix"]),
)
def test_changed_scores_and_titles_give_the_same_bytes(
    changes: list[tuple[int, str]], title: str, method: str
) -> None:
    raw = json.loads(json.dumps(RAW))
    for index, klass in changes:
        impacts = raw["scenarios"][index]["impacts"]
        criterion = next(c for c, v in impacts.items() if isinstance(v, dict) and "class" in v)
        impacts[criterion] = {"class": klass}
    raw["scenarios"][changes[0][0]]["title"] = title
    book = parse_workbook(raw, {}, "changed")
    table = resolve(book, OPENED.framework, "changed")
    result = assess(table, book, resolve_settings(OPENED.framework, method))
    assert assessment_bytes(result) == _plain(result)
