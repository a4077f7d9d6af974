"""Writing scenarios in the application: create, change, duplicate, withdraw and restore.

Every change sends the scenario's version; a stale one is a conflict that carries the
stored texts, so the writer can merge instead of losing either text. Every change is an
audit entry under the scenario's key; its history shows the differences between versions.
"""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from natrisk.domain.edition import Likelihood, Scenario
from natrisk.errors import Conflict, InputError, Problem, WorkbookError
from natrisk.security import level_index, level_name
from natrisk.services import audit
from natrisk.services.access import Actor, NotFound, edition_for, scenario_for
from natrisk.services.editing import _check_against_framework, _flush, _probe_book, require_version
from natrisk.services.scoring import resolve
from natrisk.services.workspace import (
    bump_revision,
    framework_of,
    require_editable,
    score_record,
)
from natrisk.store.models import AuditEntry, Edition, ScenarioRecord

TEXTS = ("title", "theme", "description", "assumptions")
FIELDS = (*TEXTS, "malicious", "classification", "likelihood")
# a new scenario's description starts from the questions the method asks of every story
TEMPLATE = "**What happens.** …\n\n**Who and what is hit.** …\n\n**How it unfolds over time.** …\n"


class ScenarioConflict(Conflict):
    """The scenario changed since it was read; ``problems`` hold the stored values."""

    def __init__(self, message: str, problems: list[Problem], version: int) -> None:
        super().__init__(message)
        self.problems = problems
        self.version = version


def scenario_key(edition_id: int, slug: str) -> str:
    """The audit key of a scenario's own fields (its scores have keys below it)."""
    return f"edition:{edition_id}:scenario:{slug}"


def themes_of(session: Session, edition: Edition) -> list[tuple[str, dict[str, str]]]:
    """The themes a scenario of this edition may have: the framework's, then the edition's."""
    fw = framework_of(session, edition)
    out = [(t.id, {"en": t.name.get("en"), "nl": t.name.get("nl")}) for t in fw.themes]
    known = {tid for tid, _ in out}
    for theme in edition.extra.get("themes") or []:
        if isinstance(theme, dict) and theme.get("id") and theme["id"] not in known:
            name = str(theme.get("name") or theme["id"])
            out.append((str(theme["id"]), {"en": name, "nl": name}))
    return out


def _text(value: Any, name: str, limit: int, problems: list[Problem], required: bool) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if value is not None and not isinstance(value, str):
        problems.append(Problem("", "", name, "must be text"))
    elif required and not text:
        problems.append(Problem("", "", name, "is required (more than spaces)"))
    elif len(text) > limit:
        problems.append(
            Problem("", "", name, f"is too long ({len(text):,} of {limit:,} characters)")
        )
    return text


def _likelihood(value: Any, problems: list[Problem]) -> dict[str, Any] | None:
    try:
        lik = Likelihood.model_validate(value)
    except ValidationError as exc:
        message = exc.errors()[0]["msg"].removeprefix("Value error, ")
        problems.append(Problem("", "", "likelihood", message))
        return None
    return lik.model_dump(mode="json", by_alias=True, exclude_none=True)


def _fields(
    session: Session, actor: Actor, edition: Edition, data: dict[str, Any], partial: bool
) -> dict[str, Any]:
    """The checked values of the fields ``data`` names; every problem raised at once."""
    problems: list[Problem] = []
    out: dict[str, Any] = {}
    limits = {"title": 500, "theme": 200, "description": 100_000, "assumptions": 100_000}
    for name in TEXTS:
        if name in data or not partial:
            required = name in ("title", "theme")
            out[name] = _text(data.get(name), name, limits[name], problems, required)
    if "theme" in out and out["theme"]:
        known = [tid for tid, _ in themes_of(session, edition)]
        if known and out["theme"] not in known:
            problems.append(
                Problem(
                    "", "", "theme", f"unknown theme {out['theme']!r}; themes: {', '.join(known)}"
                )
            )
    if "malicious" in data or not partial:
        out["malicious"] = bool(data.get("malicious"))
    if "classification" in data or not partial:
        try:
            out["classification"] = level_index(data.get("classification"))
            if out["classification"] > actor.clearance:
                problems.append(Problem("", "", "classification", "above your own clearance"))
        except InputError as exc:
            problems.append(Problem("", "", "classification", exc.message))
    if "likelihood" in data or not partial:
        out["likelihood"] = _likelihood(data.get("likelihood"), problems)
    if out.get("likelihood") is not None:
        problems += _likelihood_problems(session, edition, out["likelihood"])
    if problems:
        raise WorkbookError(_n_problems(len(problems), "the scenario"), problems)
    return out


def _likelihood_problems(
    session: Session, edition: Edition, likelihood: dict[str, Any]
) -> list[Problem]:
    """The framework's findings on a likelihood (a class it does not have, and so on)."""
    probe = Scenario.model_validate(
        {"id": "probe", "title": "probe", "theme": "probe", "likelihood": likelihood}
    )
    try:
        resolve(_probe_book(edition, probe), framework_of(session, edition), "likelihood")
    except WorkbookError as exc:
        return [Problem("", "", "likelihood", p.message) for p in exc.problems] or [
            Problem("", "", "likelihood", exc.message)
        ]
    return []


def _n_problems(n: int, what: str) -> str:
    return f"{what} has {n} problem" + ("" if n == 1 else "s")


def _check_slug(session: Session, edition: Edition, slug: Any) -> str:
    """A new scenario id: letters, digits, '.', '_', '-', at most 100, not yet in the edition."""
    text = slug.strip() if isinstance(slug, str) else ""
    problem = None
    if not text:
        problem = "is required"
    elif len(text) > 100:
        problem = f"is too long ({len(text):,} characters; at most 100)"
    else:
        try:
            Scenario.model_validate({"id": text, "title": "t", "theme": "t", "likelihood": "A"})
        except ValidationError as exc:
            problem = exc.errors()[0]["msg"].removeprefix("Value error, ")
    if problem is None and _exists(session, edition, text):
        problem = f"{text!r} already exists in this edition; choose another id"
    if problem is not None:
        raise WorkbookError(_n_problems(1, "the scenario"), [Problem("", "", "id", problem)])
    return text


def _exists(session: Session, edition: Edition, slug: str) -> bool:
    # a hidden scenario's id is taken too; the message does not say by what
    stmt = select(ScenarioRecord.id).where(
        ScenarioRecord.edition_id == edition.id, ScenarioRecord.slug == slug
    )
    return session.scalars(stmt).first() is not None


def create(
    session: Session, actor: Actor, edition_id: int, data: dict[str, Any], reason: str = ""
) -> ScenarioRecord:
    """A new scenario from the framework's template; ``data`` may give first scores."""
    edition, _ = edition_for(session, actor, edition_id, "edit")
    require_editable(edition)
    slug = _check_slug(session, edition, data.get("id"))
    values = _fields(session, actor, edition, data, partial=False)
    if not values["description"]:
        values["description"] = TEMPLATE
    position = session.scalar(
        select(func.coalesce(func.max(ScenarioRecord.position), -1)).where(
            ScenarioRecord.edition_id == edition.id
        )
    )
    rec = ScenarioRecord(
        edition_id=edition.id, slug=slug, position=int(position or 0) + 1, extra={}
    )
    for name, value in values.items():
        setattr(rec, name, value)
    rec.revision = bump_revision(session, edition.id)
    session.add(rec)
    _add_scores(session, edition, rec, data.get("scores") or {})
    _flush(session, f"scenario {slug}")
    audit.record(
        session,
        actor.username,
        "scenario",
        scenario_key(edition.id, slug),
        None,
        _snapshot(rec),
        reason or "created",
        edition.id,
        rec.classification,
    )
    return rec


def _add_scores(session: Session, edition: Edition, rec: ScenarioRecord, scores: Any) -> None:
    """First classes per criterion (a class, a range or an estimate), checked like any score."""
    from natrisk.services.editing import parse_score

    if not isinstance(scores, dict):
        raise InputError("scores are a mapping of criterion id to a class")
    fw = framework_of(session, edition)
    for position, (cid, value) in enumerate(scores.items()):
        if value in (None, ""):
            continue
        if fw.criterion(str(cid)) is None:
            raise WorkbookError(
                _n_problems(1, "the scenario"),
                [Problem("", "", f"scores.{cid}", f"no criterion {cid!r} in {fw.id}")],
            )
        score = parse_score(value)
        _check_against_framework(session, edition, rec, str(cid), score)
        rec.scores.append(score_record(str(cid), score, position))


def _snapshot(rec: ScenarioRecord) -> dict[str, Any]:
    """The scenario's own fields as the audit trail keeps them."""
    return {
        "title": rec.title,
        "theme": rec.theme,
        "malicious": rec.malicious,
        "description": rec.description,
        "assumptions": rec.assumptions,
        "classification": level_name(rec.classification),
        "likelihood": rec.likelihood,
        "withdrawn": rec.withdrawn,
    }


def update(
    session: Session,
    actor: Actor,
    edition_id: int,
    slug: str,
    data: dict[str, Any],
    version: int | None,
    reason: str = "",
) -> ScenarioRecord:
    """Change any of the scenario's own fields; a stale version is a conflict with both texts."""
    edition, _ = edition_for(session, actor, edition_id, "edit")
    require_editable(edition)
    rec = scenario_for(session, actor, edition, slug)
    require_version(version, f"scenario {slug}")
    if version != rec.version:
        raise _conflict(session, rec, data, version)
    values = _fields(session, actor, edition, {k: v for k, v in data.items() if k in FIELDS}, True)
    old = _snapshot(rec)
    changed = {k: v for k, v in values.items() if getattr(rec, k) != v}
    if not changed:
        return rec
    rec.revision = bump_revision(session, edition.id)  # first: its UPDATE autoflushes
    for name, value in changed.items():
        setattr(rec, name, value)
    _flush(session, f"scenario {slug}")
    new = _snapshot(rec)
    keys = [k for k in new if old[k] != new[k]]
    audit.record(
        session,
        actor.username,
        "scenario",
        scenario_key(edition.id, slug),
        {k: old[k] for k in keys},
        {k: new[k] for k in keys},
        reason,
        edition.id,
        max(rec.classification, level_index(old["classification"])),
    )
    return rec


def _conflict(
    session: Session, rec: ScenarioRecord, data: dict[str, Any], version: int | None
) -> ScenarioConflict:
    """The conflict, with the stored value of every field the writer sent differently."""
    stored = _snapshot(rec)
    problems = [
        Problem("", f"version {rec.version}", name, _shown(stored[name]))
        for name in FIELDS
        if name in data and _shown(stored[name]) != _shown(data[name])
    ]
    last = session.scalars(
        select(AuditEntry.actor)
        .where(AuditEntry.key == scenario_key(rec.edition_id, rec.slug))
        .order_by(AuditEntry.id.desc())
    ).first()
    by = f" by {last}" if last else ""
    return ScenarioConflict(
        f"scenario {rec.slug} was changed{by} since you read it (version {rec.version}, you "
        f"sent {version}); nothing was stored. Both texts are shown: merge them and save again",
        problems,
        rec.version,
    )


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        from natrisk.domain.edition import class_text

        try:
            return class_text(Likelihood.model_validate(value)) or str(value)
        except ValidationError:
            return str(value)
    return str(value).strip() if value is not None else ""


def set_withdrawn(
    session: Session,
    actor: Actor,
    edition_id: int,
    slug: str,
    withdrawn: bool,
    version: int | None,
    reason: str = "",
) -> ScenarioRecord:
    """Withdraw a scenario from the picture (kept, with its history) or restore it."""
    edition, _ = edition_for(session, actor, edition_id, "edit")
    require_editable(edition)
    rec = scenario_for(session, actor, edition, slug)
    require_version(version, f"scenario {slug}")
    if version != rec.version:
        raise _conflict(session, rec, {}, version)
    if rec.withdrawn == withdrawn:
        state = "withdrawn" if withdrawn else "in the picture"
        raise Conflict(f"scenario {slug} is already {state}")
    rec.revision = bump_revision(session, edition.id)
    rec.withdrawn = withdrawn
    _flush(session, f"scenario {slug}")
    audit.record(
        session,
        actor.username,
        "scenario",
        scenario_key(edition.id, slug),
        {"withdrawn": not withdrawn},
        {"withdrawn": withdrawn},
        reason or ("withdrawn" if withdrawn else "restored"),
        edition.id,
        rec.classification,
    )
    return rec


def duplicate(
    session: Session, actor: Actor, edition_id: int, slug: str, new_slug: str, title: str = ""
) -> ScenarioRecord:
    """A copy of a scenario under a new id, with its scores (and their classifications)."""
    edition, _ = edition_for(session, actor, edition_id, "edit")
    require_editable(edition)
    source = scenario_for(session, actor, edition, slug)
    data = _snapshot(source) | {"id": new_slug}
    data["title"] = title.strip() or f"{source.title} (copy)"
    data.pop("withdrawn")
    rec = create(session, actor, edition_id, data, f"duplicate of {slug}")
    for pos, score in enumerate(source.scores):
        copy = score_record(score.criterion, _score_model(score), pos)
        copy.rationale_classification = score.rationale_classification
        rec.scores.append(copy)
    rec.extra = dict(source.extra)
    _flush(session, f"scenario {new_slug}")
    return rec


def _score_model(score: Any) -> Any:
    from natrisk.services.workspace import score_of

    return score_of(score, 10**6).model_copy(update={"classification": None})


def history(session: Session, actor: Actor, edition_id: int, slug: str) -> list[dict[str, Any]]:
    """Every change to the scenario and its scores the actor may see, newest first, with the
    differences of each text between the versions."""
    edition, _ = edition_for(session, actor, edition_id, "read")
    scenario_for(session, actor, edition, slug)
    key = scenario_key(edition.id, slug)
    stmt = (
        select(AuditEntry)
        .where(
            (AuditEntry.key == key) | AuditEntry.key.startswith(f"{key}:", autoescape=True),
            AuditEntry.classification <= actor.clearance,
        )
        .order_by(AuditEntry.id.desc())
    )
    return [_entry(e, key) for e in session.scalars(stmt)]


def _entry(e: AuditEntry, key: str) -> dict[str, Any]:
    what = e.key[len(key) + 1 :] if e.key != key else ""
    changes = []
    old = e.old if isinstance(e.old, dict) else {}
    new = e.new if isinstance(e.new, dict) else {}
    if e.entity == "scenario":
        for name in [k for k in new if k in old or not old] + [k for k in old if k not in new]:
            changes.append(_change(name, old.get(name), new.get(name)))
    else:  # a score or the likelihood: one value
        changes.append(_change(what.replace("score:", "") or e.entity, e.old, e.new))
    return {"at": e.at, "by": e.actor, "reason": e.reason, "what": what, "changes": changes}


def _change(name: str, old: Any, new: Any) -> dict[str, Any]:
    before, after = value_text(old), value_text(new)
    return {"field": name, "old": before, "new": after, "diff": word_diff(before, after)}


def value_text(value: Any, rationale: bool = True) -> str:
    """A stored value as a reader reads it: a class as 'C (B-E)', a quantity as '10 – 100'."""
    if value is None:
        return ""
    if isinstance(value, dict):
        from natrisk.domain.edition import Score

        quantity = value.get("quantity") or value.get("probability")
        if isinstance(value.get("class"), str):
            try:
                from natrisk.domain.edition import class_text

                model = Score if "quantity" in value or "axes" in value else Likelihood
                text = class_text(model.model_validate(value)) or ""
            except ValidationError:
                text = value["class"]
        elif isinstance(quantity, dict):
            low, high = quantity.get("min"), quantity.get("max")
            text = _number(low) if low == high else f"{_number(low)} – {_number(high)}"
        elif isinstance(value.get("axes"), dict):
            text = "; ".join(
                f"{k} {_number(r.get('min'))}–{_number(r.get('max'))}"
                for k, r in value["axes"].items()
            )
        else:
            text = ""
        grounds = value.get("rationale") if rationale else None
        return f"{text} — {grounds}" if grounds else text
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _number(value: Any) -> str:
    """A number as people write it: 5,000,000,000 rather than 5e+09."""
    if not isinstance(value, int | float):
        return str(value)
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.6g}"


def word_diff(before: str, after: str) -> list[tuple[str, str]]:
    """The difference of two texts word by word: (kind, text) with kind '=', '-' or '+',
    the old text first (what was removed), then what replaced it."""
    a, b = _words(before), _words(after)
    out: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(("=", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(("-", "".join(a[i1:i2])))
        if j2 > j1:
            out.append(("+", "".join(b[j1:j2])))
    return out


def _words(text: str) -> list[str]:
    import re

    return re.findall(r"\s+|[^\s]+", text)


def withdrawn_of(session: Session, actor: Actor, edition: Edition) -> list[ScenarioRecord]:
    """The edition's withdrawn scenarios the actor may see (to restore them)."""
    stmt = (
        select(ScenarioRecord)
        .where(ScenarioRecord.edition_id == edition.id, ScenarioRecord.withdrawn.is_(True))
        .order_by(ScenarioRecord.position)
    )
    return [r for r in session.scalars(stmt) if r.classification <= actor.clearance]


__all__ = ["NotFound", "ScenarioConflict", "create", "duplicate", "history", "set_withdrawn"]
