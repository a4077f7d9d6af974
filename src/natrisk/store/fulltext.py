"""The database's own full-text search over ``search_entries``: FTS5 on SQLite, tsvector on
PostgreSQL (English, Dutch and a plain 'simple' configuration side by side).

The structures are made by migration 0006 from :func:`create_statements`; they follow the
table by themselves (SQLite: triggers into an external-content FTS5 table; PostgreSQL: a
stored generated column with a GIN index), so whatever writes ``search_entries`` keeps the
index current. A query is reduced to words (letters and digits) before it reaches the
database, so no search text is ever read as query syntax.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

MARK_START, MARK_END = "\u27e6", "\u27e7"  # around matched words in a snippet
MAX_TERMS = 12
MAX_TERM = 60
_WORD = re.compile(r"\w+", re.UNICODE)

# what the index adds beside the models' tables (autogenerate and schema checks leave it be)
INDEX_TABLES = frozenset(
    {"search_fts", "search_fts_data", "search_fts_idx", "search_fts_docsize", "search_fts_config"}
)
INDEX_COLUMNS = frozenset({("search_entries", "document")})
INDEX_INDEXES = frozenset({"ix_search_entries_document"})


def is_index_object(
    obj: object, name: str | None, type_: str, reflected: bool, _to: object
) -> bool:
    """False for the index's own tables and column: an ``include_object`` for autogenerate."""
    if type_ == "table":
        return name not in INDEX_TABLES
    if type_ == "column":
        table = getattr(getattr(obj, "table", None), "name", None)
        return (table, name) not in INDEX_COLUMNS
    return not (type_ == "index" and name in INDEX_INDEXES)


_SQLITE = [
    # unicode61 folds case and diacritics; porter stems English (and treats Dutch consistently)
    "CREATE VIRTUAL TABLE search_fts USING fts5(title, title_nl, body, "
    "content='search_entries', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER search_entries_ai AFTER INSERT ON search_entries BEGIN "
    "INSERT INTO search_fts(rowid, title, title_nl, body) "
    "VALUES (new.id, new.title, new.title_nl, new.body); END",
    "CREATE TRIGGER search_entries_ad AFTER DELETE ON search_entries BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, title_nl, body) "
    "VALUES ('delete', old.id, old.title, old.title_nl, old.body); END",
    "CREATE TRIGGER search_entries_au AFTER UPDATE ON search_entries BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, title_nl, body) "
    "VALUES ('delete', old.id, old.title, old.title_nl, old.body); "
    "INSERT INTO search_fts(rowid, title, title_nl, body) "
    "VALUES (new.id, new.title, new.title_nl, new.body); END",
]
_CONFIGS = ("english", "dutch", "simple")
_TITLE = "coalesce(title, '') || ' ' || coalesce(title_nl, '')"
_VECTOR = " || ".join(
    [f"setweight(to_tsvector('{c}', {_TITLE}), 'A')" for c in _CONFIGS]
    + [f"setweight(to_tsvector('{c}', coalesce(body, '')), 'B')" for c in _CONFIGS]
)
_POSTGRESQL = [
    f"ALTER TABLE search_entries ADD COLUMN document tsvector GENERATED ALWAYS AS ({_VECTOR}) STORED",
    "CREATE INDEX ix_search_entries_document ON search_entries USING gin (document)",
]
_DROP = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS search_entries_au",
        "DROP TRIGGER IF EXISTS search_entries_ad",
        "DROP TRIGGER IF EXISTS search_entries_ai",
        "DROP TABLE IF EXISTS search_fts",
    ],
    "postgresql": ["DROP INDEX IF EXISTS ix_search_entries_document"],
}


def create_statements(dialect: str) -> list[str]:
    """The DDL of the full-text index for a dialect (migration 0006)."""
    if dialect == "sqlite":
        return list(_SQLITE)
    if dialect == "postgresql":
        return list(_POSTGRESQL)
    raise ValueError(f"full-text search is not available on {dialect}")


def drop_statements(dialect: str) -> list[str]:
    """The DDL that removes it again (the column goes with its table)."""
    return list(_DROP.get(dialect, []))


def terms(text: str) -> list[str]:
    """The words of a search text, lower-cased: what is searched for (nothing else is)."""
    words = [w.lower()[:MAX_TERM] for w in _WORD.findall(text)]
    return list(dict.fromkeys(words))[:MAX_TERMS]


@dataclass(frozen=True)
class Match:
    """How one dialect finds, ranks and quotes the entries holding every word."""

    join: sa.FromClause | None  # to join to search_entries (SQLite's FTS table)
    on: ColumnElement[bool] | None
    where: ColumnElement[bool]
    rank: ColumnElement[float]  # ascending: best first
    snippet: ColumnElement[str]


def match(dialect: str, entries: sa.Table, words: list[str]) -> Match:
    """The clauses that find entries holding all ``words`` (the last one as a prefix)."""
    if dialect == "sqlite":
        query = " ".join(f'"{w}"' for w in words) + "*"
        fts = sa.table("search_fts", sa.column("rowid"))
        return Match(
            join=fts,
            on=fts.c.rowid == entries.c.id,
            where=sa.literal_column("search_fts").op("MATCH", is_comparison=True)(
                sa.bindparam("fts_query", query, sa.String)
            ),
            rank=sa.literal_column("bm25(search_fts, 4.0, 4.0, 1.0)"),
            snippet=sa.literal_column(
                f"snippet(search_fts, -1, '{MARK_START}', '{MARK_END}', '…', 18)"
            ),
        )
    text = " & ".join(words[:-1] + [f"{words[-1]}:*"])
    ts = sa.bindparam("ts_query", text, sa.String)
    parts = [sa.func.to_tsquery(sa.literal_column(f"'{c}'::regconfig"), ts) for c in _CONFIGS]
    combined: ColumnElement[str] = parts[0]
    for part in parts[1:]:
        combined = combined.op("||")(part)
    document: ColumnElement[Any] = sa.literal_column("search_entries.document")
    options = f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=30, MinWords=12"
    return Match(
        join=None,
        on=None,
        where=document.op("@@", is_comparison=True)(combined),
        rank=-sa.func.ts_rank_cd(document, combined),
        snippet=sa.func.ts_headline(
            sa.literal_column("'english'::regconfig"),
            sa.func.concat(entries.c.title, " — ", entries.c.body),
            combined,
            options,
        ),
    )
