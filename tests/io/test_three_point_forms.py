"""Every form of a three-point estimate survives every way natrisk stores it (property tests).

Forms: the mapping {expected, low, high} (positions 'B-high' on likelihoods), one text
'C (B-E)', and the stored model dump (database rows keep scores and likelihoods as JSON).
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from natrisk.domain.edition import Likelihood, Score, class_text
from natrisk.io.workbook import _dump_value

IDS = "ABCDE"
POSITION = st.sampled_from([None, "low", "middle", "high"])


@st.composite
def estimate(draw: st.DrawFn, positions: bool) -> dict[str, str]:
    lo = draw(st.integers(0, 4))
    mode = draw(st.integers(lo, 4))
    hi = draw(st.integers(mode, 4))

    def at(i: int) -> str:
        where = draw(POSITION) if positions else None
        return f"{IDS[i]}-{where}" if where else IDS[i]

    return {"expected": at(mode), "low": at(lo), "high": at(hi)}


@given(estimate(positions=False))
def test_impact_estimates_survive_every_form(form: dict[str, str]) -> None:
    score = Score.model_validate(form)
    assert score.expected == form["expected"]
    text = class_text(score)
    assert text is not None and Score.model_validate(text) == score
    assert Score.model_validate(_dump_value(score, "quantity")) == score
    assert Score.model_validate(score.model_dump(by_alias=True)) == score
    assert Score.model_validate(score.model_dump()) == score


@given(estimate(positions=True))
def test_likelihood_estimates_with_positions_survive_every_form(form: dict[str, str]) -> None:
    lik = Likelihood.model_validate(form)
    text = class_text(lik)
    assert text is not None and Likelihood.model_validate(text) == lik
    assert Likelihood.model_validate(_dump_value(lik, "probability")) == lik
    assert Likelihood.model_validate(lik.model_dump(by_alias=True)) == lik
    assert Likelihood.model_validate(lik.model_dump()) == lik


@given(st.sampled_from(IDS), st.sampled_from(["low", "middle", "high"]))
def test_a_placed_class_survives_every_form(klass: str, where: str) -> None:
    lik = Likelihood.model_validate(f"{klass}-{where}")
    assert (lik.klass, lik.position) == (klass, where)
    assert Likelihood.model_validate({"class": klass, "position": where}) == lik
    assert Likelihood.model_validate(_dump_value(lik, "probability")) == lik
    assert Likelihood.model_validate(lik.model_dump(by_alias=True)) == lik
