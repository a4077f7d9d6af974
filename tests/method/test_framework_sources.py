"""The bundled frameworks cite public documents, and their statuses follow the rules."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from pydantic import ValidationError

from natrisk.domain.framework import Framework, Sourced
from natrisk.errors import FrameworkError
from natrisk.frameworks import bundled_ids, bundled_path
from natrisk.method.classes import classify_point
from natrisk.services.frameworks import load_framework

EXPECTED = {"nl-2009", "nl-2019", "nl-2023", "nl-regional", "uk-nrr"}
# a local file (seeds/000_…, 004:561) or the project's own notes, never a public document
LOCAL = re.compile(r"seeds|METHOD\.md|\w+/\d{3}_|\.txt:|\b\d{3}:\d+", re.IGNORECASE)


def sourced(fw: Framework) -> list[tuple[str, Sourced]]:
    items: list[tuple[str, Sourced]] = [
        ("framework", fw),
        ("impact_classes", fw.impact_classes),
        ("class_values", fw.class_values),
        ("likelihood", fw.likelihood),
        ("weights", fw.weights),
    ]
    if fw.dominant is not None:
        items.append(("dominant", fw.dominant))
    items += [(f"interest {i.id}", i) for i in fw.interests]
    for c in fw.criteria:
        items.append((f"criterion {c.id}", c))
        items += [(f"criterion {p.id}", p) for p in c.parts or []]
    return items


def test_every_expected_framework_is_bundled() -> None:
    assert set(bundled_ids()) >= EXPECTED


@pytest.mark.parametrize("fid", sorted(EXPECTED))
def test_framework_loads(fid: str) -> None:
    fw = load_framework(fid)
    assert fw.id == fid
    assert fw.criteria


@pytest.mark.parametrize("fid", sorted(EXPECTED))
def test_no_local_file_is_cited(fid: str) -> None:
    """Sources, says, references and comments name public documents only."""
    path = bundled_path(fid)
    assert path is not None
    found = [
        f"{n}: {line.strip()}"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if LOCAL.search(line)
    ]
    assert found == []
    fw = load_framework(fid)
    texts = [*fw.references, *(t for _, i in sourced(fw) for t in (i.source, i.says or ""))]
    assert [t for t in texts if LOCAL.search(t)] == []


@pytest.mark.parametrize("fid", sorted(EXPECTED))
def test_statuses_are_cited(fid: str) -> None:
    for where, item in sourced(load_framework(fid)):
        if item.status in ("verified", "contradicted"):
            assert item.source.strip(), where
        if item.status == "contradicted":
            assert (item.says or "").strip(), where


def test_nl_2023_adds_allies_and_neighbouring_states() -> None:
    fw = load_framework("nl-2023")
    assert len(fw.criteria) == 18
    assert {"1.4", "6.5"} <= set(fw.criterion_ids)
    six = next(i for i in fw.interests if i.id == "6")
    assert six.name.en == "International legal order and stability"
    assert six.counts_from == "C"
    assert fw.criterion("6.5").interest == "6"
    assert fw.likelihood.horizon_years == 5 and fw.likelihood.positions


def test_nl_2019_names_allied_territory_and_costs_are_contradicted() -> None:
    fw = load_framework("nl-2019")
    assert len(fw.criteria) == 16
    assert "allied" in fw.criterion("1.1").name.en
    assert "bondgenootschappelijk" in fw.criterion("1.1").name.nl
    costs = fw.criterion("3.1")
    assert costs.status == "contradicted"
    assert "13 billion" in (costs.says or "")
    assert fw.likelihood.positions
    rule = fw.dominant_rule()
    assert rule is not None and rule.rule == "impact-and-likelihood"
    assert (rule.impact_from, rule.likelihood_from) == ("C", "B")
    assert fw.dominant_rule("impact-only").rule == "impact-only"


def cost_class(fw: Framework, euros: float) -> str:
    crit = fw.criterion("3.1")
    assert crit is not None and crit.thresholds
    order = [c for c in fw.impact_classes.ids[1:] if c in crit.thresholds]
    bounds = np.array([crit.thresholds[c] for c in order])
    index = classify_point(euros, bounds)
    return fw.impact_classes.none if index == 0 else order[index - 1]


def test_nl_2023_costs_follow_the_published_scores() -> None:
    """NRA 6 (2014) scores EUR 13 billion (flood) and EUR 5 billion (lost turnover) as D."""
    fw = load_framework("nl-2023")
    assert cost_class(fw, 13e9) == "D"
    assert cost_class(fw, 5e9) == "D"
    assert cost_class(load_framework("nl-2019"), 13e9) == "C"  # the contradicted bands


def test_nl_regional_has_administrative_impact_and_cultural_heritage() -> None:
    fw = load_framework("nl-regional")
    names = {c.name.en.lower(): c for c in fw.criteria}
    assert any("administrative" in n for n in names)
    heritage = [i for i in fw.interests if "cultural heritage" in i.name.en.lower()]
    assert len(heritage) == 1
    assert any(c.interest == heritage[0].id for c in fw.criteria)
    assert fw.dominant_rule().rule == "impact-only"


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    path = bundled_path("nl-2019")
    assert path is not None
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_verified_without_source_is_refused(raw: dict[str, Any]) -> None:
    data = copy.deepcopy(raw)
    data["class_values"]["source"] = ""
    data["class_values"]["status"] = "verified"
    with pytest.raises(ValidationError, match="needs a source"):
        Framework.model_validate(data)


def test_contradicted_without_says_is_refused(raw: dict[str, Any]) -> None:
    data = copy.deepcopy(raw)
    costs = next(c for c in data["criteria"] if c["id"] == "3.1")
    costs.pop("says", None)
    with pytest.raises(ValidationError, match="needs 'says'"):
        Framework.model_validate(data)


def test_a_framework_file_without_says_names_the_field(raw: dict[str, Any], tmp_path: Path) -> None:
    data = copy.deepcopy(raw)
    data["id"] = "my-2019"
    data["impact_classes"]["status"] = "contradicted"
    data["impact_classes"].pop("says", None)
    path = tmp_path / "my-2019.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(FrameworkError) as exc:
        load_framework(str(path))
    assert "impact_classes" in str(exc.value)
    assert "says" in str(exc.value)
