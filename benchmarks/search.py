"""Search at scale: the database's full-text index against a plain LIKE scan, and its cost.

Fills ``search_entries`` with N random entries (titles and a paragraph of words from a
vocabulary of 5,000, plus a rare word in one entry in 1,000) on a fresh SQLite file, or on
PostgreSQL with ``--postgresql URL``, and times, for each N:

* writing the entries (what every flush adds to a write: the index follows the table);
* natrisk's search of one common and one rare word, as a reader with a role on every
  edition (counts per kind and the first page of hits, filtered by clearance and role);
* the peer: the same filters with ``body LIKE '%word%' OR title LIKE '%word%'``.

Run: .venv/bin/python benchmarks/search.py [--sizes 1000 10000 50000] [--postgresql URL]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from natrisk.services import accounts, search, workspace
from natrisk.services.access import Actor
from natrisk.store.database import Database
from natrisk.store.models import Edition, Membership

VOCABULARY = [f"w{n:04d}" for n in range(5000)]


def fill(db: Database, n: int, seed: int = 1) -> tuple[Actor, float]:
    """An edition the reader is a member of, and n entries in it; the seconds writing took."""
    rng = random.Random(seed)
    with db.session() as s:
        admin = accounts.add_user(s, "admin", "bench-password-123", "org", 3, True)
        reader = accounts.add_user(s, "reader", "bench-password-123", "org", 0)
        actor = Actor.of(admin)
        edition = workspace.create_empty(s, actor, "bench", "Bench", "nl-2023")
        s.add(Membership(user_id=reader.id, edition_id=edition.id, role="reader"))
        edition_id, reader_actor = edition.id, Actor.of(reader)
    rows = [
        {
            "kind": "scenario",
            "key": f"bench:{i}",
            "source": f"bench:{i}",
            "edition_id": edition_id,
            "classification": rng.choice((0, 0, 0, 2)),
            "title": " ".join(rng.choices(VOCABULARY, k=5)),
            "title_nl": "",
            "body": " ".join(rng.choices(VOCABULARY, k=60))
            + (" rareword" if i % 1000 == 0 else ""),
            "link": f"/bench/{i}",
        }
        for i in range(n)
    ]
    start = time.perf_counter()
    with db.session() as s:
        for i in range(0, n, 2000):
            s.execute(sa.insert(search.ENTRIES), rows[i : i + 2000])
    return reader_actor, time.perf_counter() - start


def natrisk_search(db: Database, actor: Actor, word: str) -> tuple[int, float]:
    start = time.perf_counter()
    with db.session(write=False) as s:
        found = search.search(s, actor, word)
    return found.total, time.perf_counter() - start


def like_scan(db: Database, actor: Actor, word: str) -> tuple[int, float]:
    """The peer: the same access filter, words found with LIKE."""
    e, ed = search.ENTRIES, Edition.__table__
    pattern = f"%{word}%"
    where = sa.and_(
        sa.or_(e.c.title.like(pattern), e.c.body.like(pattern)),
        e.c.classification <= actor.clearance,
        ed.c.classification <= actor.clearance,
        ed.c.id.in_(sa.select(Membership.edition_id).where(Membership.user_id == actor.user_id)),
    )
    base = e.join(ed, ed.c.id == e.c.edition_id)
    start = time.perf_counter()
    with db.session(write=False) as s:
        total = s.scalar(sa.select(sa.func.count()).select_from(base).where(where))
        s.execute(sa.select(e.c.title).select_from(base).where(where).limit(20)).all()
    return int(total or 0), time.perf_counter() - start


def best(fn: object, *args: object, repeat: int = 5) -> tuple[int, float]:
    runs = [fn(*args) for _ in range(repeat)]  # type: ignore[operator]
    return runs[0][0], min(t for _, t in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 50000])
    parser.add_argument(
        "--postgresql", default="", help="an empty PostgreSQL database's URL (give one size)"
    )
    args = parser.parse_args()
    print(f"{'entries':>8} {'write s':>8} {'word':>9} {'hits':>6} {'FTS ms':>8} {'LIKE ms':>8}")
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            url = args.postgresql or f"sqlite:///{Path(tmp) / 'bench.db'}"
            db = Database(url)
            try:
                actor, wrote = fill(db, n)
                for word in ("w0042", "rareword"):
                    hits, fts = best(natrisk_search, db, actor, word)
                    peer, like = best(like_scan, db, actor, word)
                    assert hits <= peer  # LIKE also finds w00421 etc.
                    print(
                        f"{n:>8} {wrote:>8.2f} {word:>9} {hits:>6} {fts * 1000:>8.1f} {like * 1000:>8.1f}"
                    )
            finally:
                db.close()


if __name__ == "__main__":
    main()
