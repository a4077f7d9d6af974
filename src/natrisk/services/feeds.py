"""Sharing signals across government: an Atom feed per theme and a CAP 1.2 export.

Both are read by programs without a browser session: they authenticate with a feed token
(``natrisk feeds token``, ``POST /api/feed-tokens``; read-only, valid until revoked, ended by
a password change or deactivation; only its hash is stored) or with an API bearer token.
Both show only what the token's user may see: signals above their clearance are absent.
The CAP export is one alert (Common Alerting Protocol 1.2, OASIS 2010) with an ``info``
block per escalated signal.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import xml.etree.ElementTree as ET
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from natrisk.errors import InputError
from natrisk.security import level_name
from natrisk.services.access import Actor, NotFound, edition_for
from natrisk.services.scenarios import themes_of
from natrisk.services.signins import Unauthorized
from natrisk.store.models import Edition, FeedToken, Organisation, SignalRecord, SignalTheme, User

ATOM = "http://www.w3.org/2005/Atom"
CAP = "urn:oasis:names:tc:emergency:cap:1.2"
PREFIX = "nrf_"  # feed tokens start so; API tokens never do
SEVERITY = {"strong": "Severe", "moderate": "Moderate", "weak": "Minor"}
CERTAINTY = {"rising": "Likely", "stable": "Possible", "falling": "Unlikely"}
# CAP categories by words in a theme id (the nine themes of the 2022 risk analysis and kin)
CATEGORIES = (
    ("climate", "Met"),
    ("natural", "Env"),
    ("infectious", "Health"),
    ("health", "Health"),
    ("accident", "Safety"),
    ("cyber", "Infra"),
    ("infrastructure", "Infra"),
    ("terror", "Security"),
    ("extrem", "Security"),
    ("military", "Security"),
    ("democratic", "Security"),
    ("economic", "Other"),
)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, actor: Actor, label: str = "") -> tuple[FeedToken, str]:
    """A new feed token for the actor: the row and the token (shown once, never stored)."""
    if len(label) > 200:
        raise InputError("a feed token's label is at most 200 characters")
    user = session.get(User, actor.user_id)
    assert user is not None
    token = PREFIX + secrets.token_urlsafe(32)
    row = FeedToken(
        user_id=user.id,
        token_hash=_hash(token),
        label=label.strip(),
        credential_version=user.credential_version,
    )
    session.add(row)
    session.flush()
    return row, token


def tokens_of(session: Session, actor: Actor) -> list[FeedToken]:
    """The actor's feed tokens that are still valid."""
    return list(
        session.scalars(
            select(FeedToken)
            .where(FeedToken.user_id == actor.user_id, FeedToken.ended_at.is_(None))
            .order_by(FeedToken.id)
        )
    )


def revoke(session: Session, actor: Actor, token_id: int) -> None:
    """End one of the actor's feed tokens."""
    row = session.get(FeedToken, token_id)
    if row is None or row.user_id != actor.user_id or row.ended_at is not None:
        raise NotFound(f"no feed token {token_id}")
    row.ended_at = dt.datetime.now(dt.UTC)


def reader(session: Session, token: str) -> Actor:
    """The user a feed token (or an API bearer token) names, if it is still valid."""
    token = token.strip()
    if not token:
        raise Unauthorized("a feed needs a token: ?token=... or 'Authorization: Bearer ...'")
    if not token.startswith(PREFIX):
        return _api_actor(session, token)
    row = session.scalars(select(FeedToken).where(FeedToken.token_hash == _hash(token))).first()
    user = session.get(User, row.user_id) if row is not None else None
    if (
        row is None
        or row.ended_at is not None
        or user is None
        or not user.active
        or user.credential_version != row.credential_version
    ):
        raise Unauthorized("the feed token is unknown, revoked or expired; make a new one")
    return Actor.of(user)


def _api_actor(session: Session, token: str) -> Actor:
    """An API bearer token's actor (sessions made by POST /api/login)."""
    from natrisk.services.signins import actor_from_token

    return actor_from_token(session, token)


def _themes(session: Session, edition: Edition) -> dict[str, dict[str, str]]:
    return dict(themes_of(session, edition))


def _sig_stamp(rec: SignalRecord) -> str:
    moment = rec.updated_at
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def atom(
    session: Session, actor: Actor, edition_id: int, theme: str, base: str, lang: str = "en"
) -> bytes:
    """The Atom feed of one theme: its visible signals, last changed first (at most 200)."""
    edition, _ = edition_for(session, actor, edition_id)
    themes = _themes(session, edition)
    if theme not in themes:
        raise NotFound(f"no theme {theme!r} in edition {edition_id}; themes: {', '.join(themes)}")
    recs = list(
        session.scalars(
            select(SignalRecord)
            .where(
                SignalRecord.edition_id == edition.id,
                SignalRecord.classification <= actor.clearance,
                SignalRecord.id.in_(
                    select(SignalTheme.signal_id).where(SignalTheme.theme == theme)
                ),
            )
            .order_by(SignalRecord.updated_at.desc(), SignalRecord.id.desc())
            .limit(200)
        )
    )
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    name = themes[theme].get(lang) or theme
    _sub(feed, "id", f"tag:natrisk,2026:edition:{edition.id}:theme:{theme}")
    _sub(feed, "title", f"{edition.title}: {name}")
    updated = max((_sig_stamp(r) for r in recs), default=_now_z())
    _sub(feed, "updated", updated)
    ET.SubElement(
        feed,
        f"{{{ATOM}}}link",
        rel="alternate",
        href=f"{base}/editions/{edition.id}/signals?theme={theme}",
    )
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _sub(author, "name", "natrisk")
    for rec in recs:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        _sub(entry, "id", f"tag:natrisk,2026:edition:{edition.id}:signal:{rec.slug}")
        _sub(entry, "title", rec.title)
        _sub(entry, "updated", _sig_stamp(rec))
        _sub(entry, "published", f"{rec.observed.isoformat()}T00:00:00Z")
        by = ET.SubElement(entry, f"{{{ATOM}}}author")
        _sub(by, "name", rec.organisation or rec.submitted_by or "natrisk")
        ET.SubElement(
            entry,
            f"{{{ATOM}}}link",
            rel="alternate",
            href=f"{base}/editions/{edition.id}/signals/{rec.slug}",
        )
        for t in rec.themes:
            ET.SubElement(entry, f"{{{ATOM}}}category", term=t.theme)
        for term in (rec.status, rec.horizon, rec.strength, rec.direction):
            if term:
                ET.SubElement(entry, f"{{{ATOM}}}category", term=term, scheme="urn:natrisk:signal")
        _sub(entry, "summary", _summary(rec))
        if rec.classification:
            ET.SubElement(
                entry,
                f"{{{ATOM}}}category",
                term=level_name(rec.classification),
                scheme="urn:natrisk:classification",
            )
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="utf-8")


def _summary(rec: SignalRecord) -> str:
    judged = ", ".join(x for x in (rec.strength, rec.direction) if x)
    head = f"[{rec.status}{'; ' + judged if judged else ''}] "
    return head + (rec.description or rec.title)


def _sub(parent: ET.Element, tag: str, text: str, ns: str = ATOM) -> ET.Element:
    el = ET.SubElement(parent, f"{{{ns}}}{tag}")
    el.text = text
    return el


def _now_z() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _cap_time(moment: dt.datetime) -> str:
    """CAP's dateTime: seconds and an explicit offset, UTC written as -00:00 (CAP 1.2, 3.3.2)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S-00:00")


def category(theme: str) -> str:
    """The CAP category of a theme."""
    return next((cat for word, cat in CATEGORIES if word in theme), "Other")


def cap(session: Session, actor: Actor, edition_id: int, base: str, lang: str = "en") -> bytes:
    """The escalated signals the actor may see, as one CAP 1.2 alert."""
    edition, _ = edition_for(session, actor, edition_id)
    recs = list(
        session.scalars(
            select(SignalRecord)
            .where(
                SignalRecord.edition_id == edition.id,
                SignalRecord.classification <= actor.clearance,
                SignalRecord.status == "escalated",
            )
            .order_by(SignalRecord.id)
        )
    )
    org = session.get(Organisation, edition.organisation_id)
    now = dt.datetime.now(dt.UTC)
    ET.register_namespace("", CAP)
    alert = ET.Element(f"{{{CAP}}}alert")
    stamp = now.strftime("%Y%m%dT%H%M%S")
    _sub(alert, "identifier", f"natrisk-{edition.id}-escalated-{stamp}", CAP)
    _sub(alert, "sender", f"{org.slug if org else 'natrisk'}@natrisk", CAP)
    _sub(alert, "sent", _cap_time(now), CAP)
    _sub(alert, "status", "Actual", CAP)
    _sub(alert, "msgType", "Alert", CAP)
    _sub(alert, "source", edition.title, CAP)
    highest = max((r.classification for r in recs), default=0)
    if highest:
        _sub(alert, "scope", "Restricted", CAP)
        text = f"classified up to {level_name(highest)}; for readers cleared for that level"
        _sub(alert, "restriction", text, CAP)
    else:
        _sub(alert, "scope", "Public", CAP)
    _sub(alert, "note", f"escalated signals of edition {edition.slug} (natrisk)", CAP)
    themes = _themes(session, edition)
    for rec in recs:
        _info(alert, rec, themes, base, edition, lang)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(alert, encoding="utf-8")


def _info(
    alert: ET.Element,
    rec: SignalRecord,
    themes: dict[str, dict[str, str]],
    base: str,
    edition: Edition,
    lang: str,
) -> None:
    info = ET.SubElement(alert, f"{{{CAP}}}info")
    _sub(info, "language", "nl-NL" if lang == "nl" else "en-US", CAP)
    for cat in dict.fromkeys(category(t.theme) for t in rec.themes):
        _sub(info, "category", cat, CAP)
    _sub(info, "event", rec.title[:250], CAP)
    _sub(info, "urgency", "Future", CAP)
    _sub(info, "severity", SEVERITY.get(rec.strength or "", "Unknown"), CAP)
    _sub(info, "certainty", CERTAINTY.get(rec.direction or "", "Unknown"), CAP)
    _sub(info, "senderName", rec.organisation or "natrisk", CAP)
    _sub(info, "headline", rec.title[:160], CAP)
    if rec.description:
        _sub(info, "description", rec.description, CAP)
    _sub(info, "web", f"{base}/editions/{edition.id}/signals/{rec.slug}", CAP)
    params: list[tuple[str, Any]] = [
        ("signal", rec.slug),
        ("horizon", rec.horizon),
        ("strength", rec.strength),
        ("direction", rec.direction),
        ("classification", level_name(rec.classification)),
        ("themes", " ".join((themes.get(t.theme) or {}).get(lang, t.theme) for t in rec.themes)),
    ]
    for name, value in params:
        if value:
            p = ET.SubElement(info, f"{{{CAP}}}parameter")
            _sub(p, "valueName", name, CAP)
            _sub(p, "value", str(value), CAP)
