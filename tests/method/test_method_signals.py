"""Near-duplicates, candidate threats, changes between scans and re-assessment flags
(method/similarity.py, method/horizon.py), by property and by example."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from natrisk.method import similarity
from natrisk.method.horizon import State, changes, reassessment_flags

WORDS = [
    "overstroming",
    "dijk",
    "storm",
    "cyberaanval",
    "ziekenhuis",
    "stroomstoring",
    "gastekort",
    "desinformatie",
    "verkiezingen",
    "pandemie",
    "droogte",
    "sabotage",
    "kabel",
    "noordzee",
    "spionage",
    "flood",
    "dike",
    "ransomware",
    "hospital",
    "outage",
    "grid",
    "shortage",
    "election",
    "extremist",
    "virus",
    "drought",
    "pipeline",
    "espionage",
    "drone",
]
text = st.lists(st.sampled_from(WORDS), min_size=2, max_size=12).map(" ".join)
STATUSES = ("new", "assessed", "watch", "escalated", "absorbed", "dismissed")
JUDGED = ("assessed", "watch", "escalated")
SCENARIOS = ("a", "b", "c", "d")


@st.composite
def state(draw: st.DrawFn) -> State:
    status = draw(st.sampled_from(STATUSES))
    judged = status != "new"
    return State(
        status,
        draw(st.sampled_from(("weak", "moderate", "strong"))) if judged else None,
        draw(st.sampled_from(("rising", "stable", "falling"))) if judged else None,
        tuple(draw(st.lists(st.sampled_from(SCENARIOS), unique=True, max_size=3))),
    )


states = st.dictionaries(st.from_regex(r"s[0-9]{1,3}", fullmatch=True), state(), max_size=25)


@settings(max_examples=60, deadline=None)
@given(st.lists(text, min_size=1, max_size=30), st.data())
def test_an_exact_duplicate_always_lands_in_its_cluster(
    texts: list[str], data: st.DataObject
) -> None:
    i = data.draw(st.integers(0, len(texts) - 1))
    position = data.draw(st.integers(0, len(texts)))
    with_copy = texts[:position] + [texts[i]] + texts[position:]
    original = i if i < position else i + 1
    labels = similarity.clusters(with_copy, data.draw(st.floats(0.05, 1.0)))
    assert labels[original] == labels[position]


@settings(max_examples=40, deadline=None)
@given(st.lists(text, min_size=2, max_size=20, unique=True))
def test_an_exact_duplicate_is_a_near_duplicate_of_similarity_one(texts: list[str]) -> None:
    pairs = similarity.near_duplicates(similarity.vectorise([*texts, texts[0]]))
    assert (0, len(texts), 1.0) in pairs
    assert all(i < j and 0.8 - 1e-6 <= s <= 1.0 for i, j, s in pairs)


@settings(max_examples=100, deadline=None)
@given(states)
def test_the_change_report_of_a_scan_against_itself_is_empty(seen: dict[str, State]) -> None:
    assert changes(seen, seen).empty()
    assert changes(seen, seen, latest=seen).empty()


@settings(max_examples=150, deadline=None)
@given(states, st.data())
def test_dismissing_a_signal_never_adds_a_flag(seen: dict[str, State], data: st.DataObject) -> None:
    if not seen:
        return
    sid = data.draw(st.sampled_from(sorted(seen)))
    before = reassessment_flags(seen.items(), SCENARIOS)
    old = seen[sid]
    dismissed = {**seen, sid: State("dismissed", old.strength, old.direction, old.scenarios)}
    after = reassessment_flags(dismissed.items(), SCENARIOS)
    assert set(after) <= set(before)
    for scen, flag in after.items():
        assert sid not in flag.signals
        assert sum(n for *_, n in flag.counts) <= sum(n for *_, n in before[scen].counts)


def test_three_strong_rising_signals_flag_their_scenario_with_the_count() -> None:
    seen = {f"s{i}": State("watch", "strong", "rising", ("flood",)) for i in range(3)}
    seen["quiet"] = State("assessed", "weak", "stable", ("storm",))
    flags = reassessment_flags(seen.items(), ("flood", "storm"))
    assert list(flags) == ["flood"]
    assert flags["flood"].counts == (("strong", "rising", 3),)
    assert flags["flood"].escalated == 0


def test_one_moderate_rising_signal_is_not_enough_but_two_are() -> None:
    one = {"a": State("assessed", "moderate", "rising", ("x",))}
    assert reassessment_flags(one.items(), ["x"]) == {}
    two = {**one, "b": State("watch", "moderate", "rising", ("x",))}
    assert list(reassessment_flags(two.items(), ["x"])) == ["x"]


def test_unjudged_closed_and_unknown_links_do_not_flag() -> None:
    seen = {
        "new": State("new", None, None, ("x",)),
        "gone": State("dismissed", "strong", "rising", ("x",)),
        "taken": State("absorbed", "strong", "rising", ("x",)),
        "elsewhere": State("escalated", "strong", "rising", ("not-in-the-picture",)),
    }
    assert reassessment_flags(seen.items(), ["x"]) == {}


def test_changes_name_new_escalated_faded_and_absorbed() -> None:
    spring = {
        "stays": State("watch", "moderate", "stable"),
        "grows": State("watch", "moderate", "rising"),
        "fades": State("watch", "strong", "stable"),
        "dropped": State("watch", "weak", "stable"),
        "taken": State("assessed", "strong", "rising"),
    }
    autumn = {
        "stays": State("watch", "moderate", "stable"),
        "grows": State("escalated", "strong", "rising"),
        "fades": State("watch", "weak", "stable"),
        "fresh": State("new"),
    }
    latest = {"taken": State("absorbed", "strong", "rising"), "dropped": State("dismissed")}
    found = changes(spring, autumn, latest)
    assert found.new == ["fresh"]
    assert found.escalated == ["grows"]
    assert found.faded == ["dropped", "fades"]
    assert found.absorbed == ["taken"]


def test_dutch_and_english_near_duplicates_are_found_and_unrelated_texts_are_not() -> None:
    texts = [
        "Verdachte schepen bij kabels en leidingen in de Noordzee gezien door de kustwacht",
        "Verdachte schepen bij kabels en leidingen in de Noordzee, gezien door de kustwacht.",
        "Suspicious vessels near North Sea cables and pipelines seen by the coastguard",
        "Suspicious vessels seen near North Sea cables and pipelines by the coastguard",
        "Ransomware group targets hospitals in neighbouring countries",
    ]
    pairs = {(i, j) for i, j, _ in similarity.near_duplicates(similarity.vectorise(texts))}
    assert pairs == {(0, 1), (2, 3)}
    labels = similarity.clusters(texts)
    assert labels[0] == labels[1] and labels[2] == labels[3]
    assert labels[4] not in (labels[0], labels[2])


def test_accents_and_case_do_not_make_texts_different() -> None:
    assert similarity.normalise("Cocaïne-SMOKKEL!") == similarity.normalise("cocaine smokkel")
    assert similarity.clusters(["Cocaïne-SMOKKEL!", "cocaine smokkel", "gas"]).tolist()[:2] == [
        0,
        0,
    ]


def test_the_large_path_keeps_duplicates_together() -> None:
    base = [
        " ".join(WORDS[(i * 7 + k) % len(WORDS)] for k in range(8)) + f" {i}" for i in range(60)
    ]
    texts = base * 70  # 4,200 texts over the dense limit, each 70 times
    old = similarity.DENSE_LIMIT
    similarity.DENSE_LIMIT = 30  # the distinct texts (60) take the sparse path
    try:
        labels = similarity.clusters(texts, 0.5)
    finally:
        similarity.DENSE_LIMIT = old
    for i in range(60):
        assert len({labels[i + 60 * k] for k in range(70)}) == 1


@settings(max_examples=30, deadline=None)
@given(st.lists(text, min_size=2, max_size=25, unique_by=similarity.normalise))
def test_analyse_gives_what_the_two_functions_give(texts: list[str]) -> None:
    # distinct texts: the IDF of a collection with copies differs, and so may a borderline pair
    pairs, labels = similarity.analyse(texts)
    assert labels.tolist() == similarity.clusters(texts).tolist()
    expected = similarity.near_duplicates(similarity.vectorise(texts))
    assert [(i, j) for i, j, _ in pairs] == [(i, j) for i, j, _ in expected]
