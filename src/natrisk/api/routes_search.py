"""Search over everything the requester may see (the same search as the page's search box)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from natrisk.api.deps import ActorDep, SessionDep
from natrisk.services import search
from natrisk.store.fulltext import MARK_END, MARK_START

router = APIRouter(prefix="/api", tags=["search"])


@router.get("/search")
def find(
    actor: ActorDep,
    s: SessionDep,
    q: Annotated[
        str, Query(max_length=search.MAX_QUERY, description="words to find (all of them)")
    ],
    kind: Annotated[
        str, Query(description="only this kind: scenario, measure, capability, …")
    ] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = search.PER_PAGE,
) -> dict[str, Any]:
    """Full-text search: hits best first, a page at a time, counted per kind.

    Only what the requester may see is found or counted (clearance and role). Each hit's
    ``snippet`` is plain text; ``marks`` gives the matched words' [start, end) in it.
    """
    found = search.search(s, actor, q, kind, page, per_page)
    return {
        "query": found.query,
        "kind": found.kind or None,
        "page": found.page,
        "pages": found.pages,
        "per_page": found.per_page,
        "total": found.total,
        "counts": found.counts,
        "results": [
            {
                "kind": h.kind,
                "title": h.title,
                "title_nl": h.title_nl or None,
                "url": h.link,
                "edition": {"id": h.edition_id, "title": h.edition_title},
                **_plain(h.snippet),
            }
            for h in found.hits
        ],
    }


def _plain(snippet: str) -> dict[str, Any]:
    """A snippet without its marks, and where the marked words are."""
    text, marks, start = "", [], None
    for ch in snippet:
        if ch == MARK_START:
            start = len(text)
        elif ch == MARK_END:
            if start is not None:
                marks.append([start, len(text)])
            start = None
        else:
            text += ch
    return {"snippet": text, "marks": marks}
