"""Search over everything a user may see: scenarios, measures, capabilities, and more kinds.

Each kind of thing is one :class:`Kind`, registered with :func:`register`: the table its
rows live in, the columns it reads, and a function that turns one row into its entries.
The index (``search_entries``) follows every write: a listener on every flush replaces the
entries of each changed row of a registered table, inside the same transaction, so what is
committed is what is found. The database's own full-text search does the matching
(``store/fulltext.py``).

What a user finds is filtered in the query itself: the entry's classification, its
edition's classification, and a role on that edition (optionally one of the kind's roles),
so a hit, a page count and a count per kind never include what the user may not see.

Adding a kind (trends, say) is one registration, here or in the kind's own module::

    search.register(search.Kind(
        name="trend", label=N_("Trends"), table="trends",
        columns=("id", "edition_id", "slug", "title", "description", "classification"),
        entries=lambda row, get: [search.Entry("trend", f"trends:{row.id}", row.edition_id,
                                  row.classification, row.title, f"/trends/{row.id}",
                                  row.description)],
    ))

(a module of its own is named in :data:`PLUGINS`, so a rebuild knows it); a migration fills
the index for rows stored before with ``search.rebuild(connection, ["trend"])``. The entries
of a kind obey the edition's roles and both classifications; ``roles=`` narrows the roles.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from natrisk.errors import InputError
from natrisk.services.access import Actor
from natrisk.store import fulltext
from natrisk.store.models import Base, Edition, Membership, SearchEntry

ENTRIES: sa.Table = SearchEntry.__table__  # type: ignore[assignment]
PER_PAGE = 20
MAX_QUERY = 200
PLUGINS: tuple[str, ...] = ()  # modules that register more kinds when imported
Getter = Callable[[str, int], Any]  # (table, id) -> a row of another table, or None


def N_(message: str) -> str:
    """Mark a label for translation; pages translate it when they show it."""
    return message


@dataclass(frozen=True)
class Entry:
    """One searchable thing, as stored in ``search_entries``."""

    kind: str
    key: str
    edition_id: int
    classification: int
    title: str
    link: str
    body: str = ""
    title_nl: str = ""


@dataclass(frozen=True)
class Kind:
    """A kind of thing to find: where its rows are and what their entries are."""

    name: str
    label: str  # English, marked for translation
    table: str  # the table whose rows it is made of
    columns: tuple[str, ...]  # the columns ``entries`` reads (rebuilds select only these)
    entries: Callable[[Any, Getter], list[Entry]]  # a row -> its entries ([] = not findable)
    roles: frozenset[str] | None = None  # roles on the edition that may find it; None: any


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> None:
    """Make a kind findable from now on (its rows are indexed on every flush)."""
    KINDS[kind.name] = kind


def _source(table: str, row_id: Any) -> str:
    return f"{table}:{row_id}"


# ------------------------------------------------------------------------- the built-in kinds


def _words(*parts: Any) -> str:
    return "\n".join(str(p) for p in parts if p)


def _texts(value: Any) -> tuple[str, str]:
    """(English, Dutch) of a plan text, which is a string or {en, nl}."""
    if isinstance(value, dict):
        en = str(value.get("en") or "")
        nl = str(value.get("nl") or "")
        return en or nl, nl if nl != en else ""
    return str(value or ""), ""


def _scenario(row: Any, get: Getter) -> list[Entry]:
    if row.withdrawn:  # out of the picture: found again once restored
        return []
    likelihood = row.likelihood if isinstance(row.likelihood, dict) else {}
    body = _words(
        str(row.theme).replace("-", " "),
        row.description,
        row.assumptions,
        likelihood.get("rationale"),
    )
    return [
        Entry(
            "scenario",
            _source("scenarios", row.id),
            row.edition_id,
            row.classification,
            row.title,
            f"/editions/{row.edition_id}/scenarios/{row.slug}",
            body,
        )
    ]


def _measure(row: Any, get: Getter) -> list[Entry]:
    plan = get("plans", row.plan_id)
    if plan is None:
        return []
    doc = row.document or {}
    body = _words(
        row.owner,
        doc.get("budget"),
        *(m.get("title") for m in doc.get("milestones", [])),
        *(i.get("title") for i in doc.get("indicators", [])),
        *(p.get("note") for p in doc.get("progress", [])),
    )
    return [
        Entry(
            "measure",
            _source("measures", row.id),
            plan.edition_id,
            max(row.classification, plan.classification),
            str(doc.get("title") or row.slug),
            f"/plans/{row.plan_id}/measures/{row.slug}",
            body,
        )
    ]


def _capabilities(row: Any, get: Getter) -> list[Entry]:
    out = []
    for cap in (row.document or {}).get("capabilities", []):
        en, nl = _texts(cap.get("title"))
        body = _words(cap.get("holder"), cap.get("owner"), cap.get("phase"), cap.get("rationale"))
        out.append(
            Entry(
                "capability",
                f"plans:{row.id}/capability:{cap.get('id')}",
                row.edition_id,
                row.classification,
                en or str(cap.get("id")),
                f"/plans/{row.id}/capabilities/{cap.get('id')}",
                body,
                nl,
            )
        )
    return out


register(
    Kind(
        "scenario",
        N_("Scenarios"),
        "scenarios",
        (
            "id",
            "edition_id",
            "slug",
            "title",
            "theme",
            "description",
            "assumptions",
            "likelihood",
            "classification",
            "withdrawn",
        ),
        _scenario,
    )
)
register(
    Kind(
        "measure",
        N_("Measures"),
        "measures",
        ("id", "plan_id", "slug", "owner", "classification", "document"),
        _measure,
    )
)
register(
    Kind(
        "capability",
        N_("Capabilities"),
        "plans",
        ("id", "edition_id", "classification", "document"),
        _capabilities,
    )
)


def _signal(row: Any, get: Getter) -> list[Entry]:
    return [
        Entry(
            "signal",
            _source("signals", row.id),
            row.edition_id,
            row.classification,
            row.title,
            f"/editions/{row.edition_id}/signals/{row.slug}",
            _words(row.description, row.organisation),
        )
    ]


register(
    Kind(
        "signal",
        N_("Signals"),
        "signals",
        ("id", "edition_id", "slug", "title", "description", "organisation", "classification"),
        _signal,
    )
)


def _load_plugins() -> None:
    for name in PLUGINS:
        importlib.import_module(name)


# ------------------------------------------------------------------------- keeping it current


def _rows(entries: Iterable[Entry], source: str) -> list[dict[str, Any]]:
    return [{**e.__dict__, "source": source} for e in entries]


def _replace(conn: Connection, kind: Kind, sources: list[str], rows: list[dict[str, Any]]) -> None:
    """Put ``rows`` in place of every entry the kind made from ``sources``."""
    for i in range(0, len(sources), 500):
        conn.execute(
            sa.delete(ENTRIES).where(
                ENTRIES.c.kind == kind.name, ENTRIES.c.source.in_(sources[i : i + 500])
            )
        )
    if rows:
        conn.execute(sa.insert(ENTRIES), rows)


def _after_flush(session: Session, _context: Any) -> None:
    """Re-index every changed row of a registered table, in the flush's own transaction."""
    if not KINDS:
        return
    tables: dict[str, list[Kind]] = {}
    for kind in KINDS.values():
        tables.setdefault(kind.table, []).append(kind)
    touched: dict[tuple[str, Any], tuple[Any, bool]] = {}
    for objects, gone in ((session.new, False), (session.dirty, False), (session.deleted, True)):
        for obj in objects:
            table = getattr(type(obj), "__tablename__", None)
            if table in tables:
                touched[(table, obj.id)] = (obj, gone)
    if not touched:
        return

    def get(table: str, row_id: int) -> Any:
        cls = _MAPPED.get(table)
        return session.get(cls, row_id) if cls is not None else None

    conn = session.connection()
    for table, kinds in tables.items():
        found = [(k, v) for k, v in touched.items() if k[0] == table]
        if not found:
            continue
        for kind in kinds:
            rows: list[dict[str, Any]] = []
            for (_, row_id), (obj, gone) in found:
                if not gone:
                    rows += _rows(kind.entries(obj, get), _source(table, row_id))
            _replace(conn, kind, [_source(table, k[1]) for k, _ in found], rows)


_MAPPED = {m.class_.__tablename__: m.class_ for m in Base.registry.mappers}
event.listen(Session, "after_flush", _after_flush)


def rebuild(conn: Connection, kinds: Iterable[str] | None = None) -> int:
    """Index every row of the given kinds (all) afresh; the number of entries made.

    Reads only the columns each kind declares, through plain tables, so a migration may
    call it whatever columns later migrations add.
    """
    _load_plugins()
    chosen = [KINDS[k] for k in kinds] if kinds is not None else list(KINDS.values())
    cache: dict[tuple[str, int], Any] = {}

    def get(table: str, row_id: int) -> Any:
        if (table, row_id) not in cache:
            t = sa.table(table, sa.column("id"), sa.column("edition_id"))
            t.append_column(sa.column("classification"))
            cache[(table, row_id)] = conn.execute(sa.select(t).where(t.c.id == row_id)).first()
        return cache[(table, row_id)]

    made = 0
    for kind in chosen:
        json_columns = {"likelihood", "document", "extra"}
        t = sa.table(
            kind.table,
            *(sa.column(c, sa.JSON) if c in json_columns else sa.column(c) for c in kind.columns),
        )
        conn.execute(sa.delete(ENTRIES).where(ENTRIES.c.kind == kind.name))
        rows: list[dict[str, Any]] = []
        for row in conn.execute(sa.select(t)):
            rows += _rows(kind.entries(row, get), _source(kind.table, row.id))
        if rows:
            conn.execute(sa.insert(ENTRIES), rows)
        made += len(rows)
    return made


# ------------------------------------------------------------------------- finding


@dataclass(frozen=True)
class Hit:
    """One thing found, as the requester may see it."""

    kind: str
    title: str
    title_nl: str
    link: str
    snippet: str  # with fulltext.MARK_START/MARK_END around the matched words
    edition_id: int
    edition_title: str


@dataclass(frozen=True)
class Results:
    """A page of hits, with counts that include only what the requester may see."""

    query: str
    kind: str
    page: int
    per_page: int
    total: int  # of the chosen kind (all kinds when none is chosen)
    counts: dict[str, int] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)

    @property
    def pages(self) -> int:
        """How many pages the hits fill."""
        return max(1, math.ceil(self.total / self.per_page))


def _visible(actor: Actor) -> sa.ColumnElement[bool]:
    """Entries the actor may see: cleared, and a role on the edition (and on the kind)."""
    editions = Edition.__table__
    members = Membership.__table__
    mine = sa.select(members.c.edition_id).where(members.c.user_id == actor.user_id)
    own_org = editions.c.organisation_id == actor.organisation_id
    seen = sa.or_(editions.c.id.in_(mine), own_org) if actor.is_admin else editions.c.id.in_(mine)
    clauses = [
        ENTRIES.c.classification <= actor.clearance,
        editions.c.classification <= actor.clearance,
        seen,
    ]
    for kind in KINDS.values():
        if kind.roles is None:
            continue
        with_role: sa.ColumnElement[bool] = editions.c.id.in_(
            mine.where(members.c.role.in_(kind.roles))
        )
        if actor.is_admin and "administrator" in kind.roles:
            with_role = sa.or_(with_role, own_org)
        clauses.append(sa.or_(ENTRIES.c.kind != kind.name, with_role))
    return sa.and_(*clauses)


def search(
    session: Session,
    actor: Actor,
    text: str,
    kind: str = "",
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Results:
    """The things matching every word of ``text`` that the actor may see, best first."""
    _load_plugins()
    text = (text or "").strip()
    if len(text) > MAX_QUERY:
        raise InputError(f"the search is too long ({len(text)} characters; at most {MAX_QUERY})")
    if kind and kind not in KINDS:
        raise InputError(f"unknown kind {kind!r}; choose one of: {', '.join(KINDS)}")
    if page < 1:
        raise InputError("the page must be 1 or more")
    words = fulltext.terms(text)
    if not words:
        return Results(text, kind, page, per_page, 0, dict.fromkeys(KINDS, 0))
    editions = Edition.__table__
    m = fulltext.match(session.get_bind().dialect.name, ENTRIES, words)
    base = ENTRIES.join(editions, editions.c.id == ENTRIES.c.edition_id)
    if m.join is not None and m.on is not None:
        base = base.join(m.join, m.on)
    where = sa.and_(m.where, _visible(actor))
    counts = dict.fromkeys(KINDS, 0)
    for name, n in session.execute(
        sa.select(ENTRIES.c.kind, sa.func.count())
        .select_from(base)
        .where(where)
        .group_by(ENTRIES.c.kind)
    ):
        counts[name] = int(n)
    chosen = sa.and_(where, ENTRIES.c.kind == kind) if kind else where
    total = counts[kind] if kind else sum(counts.values())
    stmt = (
        sa.select(
            ENTRIES.c.kind,
            ENTRIES.c.title,
            ENTRIES.c.title_nl,
            ENTRIES.c.link,
            m.snippet.label("snippet"),
            ENTRIES.c.edition_id,
            editions.c.title.label("edition_title"),
        )
        .select_from(base)
        .where(chosen)
        .order_by(m.rank, ENTRIES.c.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    hits = [Hit(**row._mapping) for row in session.execute(stmt)]
    return Results(text, kind, page, per_page, total, counts, hits)
