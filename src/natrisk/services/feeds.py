"""Sharing signals across government: an Atom feed per theme and a CAP 1.2 export.

Both are read by programs without a browser session: they authenticate with a feed token
(``natrisk feeds token``, ``POST /api/feed-tokens``; read-only, valid until revoked, ended by
a password change or deactivation; only its hash is stored) or with an API bearer token.
Both show only what the token's user may see: signals above their clearance are absent.
The CAP export is an Atom feed of the escalated signals, each entry holding one alert of its
own (Common Alerting Protocol 1.2, OASIS 2010): Alert when escalated, Update once changed.
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
from natrisk.services.signals import signal_key
from natrisk.services.signins import Unauthorized
from natrisk.store.models import (
    AuditEntry,
    Edition,
    FeedToken,
    Organisation,
    SignalRecord,
    SignalTheme,
    User,
)

ATOM = "http://www.w3.org/2005/Atom"
CAP = "urn:oasis:names:tc:emergency:cap:1.2"
ET.register_namespace("", ATOM)  # the feeds' own elements unprefixed, the alerts as cap:
ET.register_namespace("cap", CAP)
PREFIX = "nrf_"  # feed tokens start so; API tokens never do
# CAP's urgency is about when to act: a signal within six months calls for it in the near
# future; one further out gives no time to act by, so its urgency is Unknown
URGENCY = {"short": "Future", "medium": "Unknown", "long": "Unknown"}
# how sure the analyst is that the threat is real: the signal's strength
CERTAINTY = {"strong": "Likely", "moderate": "Possible", "weak": "Unlikely"}
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
    body = ET.tostring(feed, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body).encode()


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
    """The escalated signals the actor may see: an Atom feed with one entry per signal, each
    holding that signal's CAP 1.2 alert (docs/signals.md, "Sharing: Atom and CAP")."""
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
    sender = f"{org.slug if org else 'natrisk'}@natrisk"
    themes = _themes(session, edition)
    moments = escalations(session, edition, recs)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _sub(feed, "id", f"tag:natrisk,2026:edition:{edition.id}:escalated")
    _sub(feed, "title", f"{edition.title}: escalated signals (CAP 1.2)")
    _sub(feed, "updated", max((_sig_stamp(r) for r in recs), default=_now_z()))
    ET.SubElement(
        feed,
        f"{{{ATOM}}}link",
        rel="alternate",
        href=f"{base}/editions/{edition.id}/signals?status=escalated",
    )
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _sub(author, "name", "natrisk")
    for rec in recs:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        _sub(entry, "id", f"tag:natrisk,2026:edition:{edition.id}:cap:{rec.slug}")
        _sub(entry, "title", rec.title)
        _sub(entry, "updated", _sig_stamp(rec))
        href = f"{base}/editions/{edition.id}/signals/{rec.slug}"
        ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", href=href)
        content = ET.SubElement(entry, f"{{{ATOM}}}content", type="application/cap+xml")
        content.append(alert(rec, edition, sender, moments.get(rec.id), themes, base, lang))
    body = ET.tostring(feed, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body).encode()


def escalations(
    session: Session, edition: Edition, recs: list[SignalRecord]
) -> dict[int, tuple[dt.datetime, bool]]:
    """Signal row id -> (when it was last escalated, whether it changed since), from the audit
    trail; a signal imported already escalated has no such step and is absent."""
    keys = {signal_key(edition.id, r.slug): r.id for r in recs}
    out: dict[int, tuple[dt.datetime, bool]] = {}
    if not keys:
        return out
    rows = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.entity == "signal", AuditEntry.key.in_(keys))
        .order_by(AuditEntry.id)
    )
    for row in rows:
        rid = keys[row.key]
        old = (row.old or {}).get("status") if isinstance(row.old, dict) else None
        new = (row.new or {}).get("status") if isinstance(row.new, dict) else None
        if new == "escalated" and old != "escalated":
            out[rid] = (dt.datetime.fromisoformat(row.at), False)
        elif rid in out:
            out[rid] = (out[rid][0], True)
    return out


def alert(
    rec: SignalRecord,
    edition: Edition,
    sender: str,
    escalated: tuple[dt.datetime, bool] | None,
    themes: dict[str, dict[str, str]],
    base: str,
    lang: str,
) -> ET.Element:
    """One escalated signal as a CAP 1.2 alert (elements in the order of the standard)."""
    first = f"natrisk-{edition.id}-{rec.slug}"
    at, changed = escalated or (rec.updated_at, False)
    out = ET.Element(f"{{{CAP}}}alert")
    _sub(out, "identifier", f"{first}-v{rec.version}" if changed else first, CAP)
    _sub(out, "sender", sender, CAP)
    _sub(out, "sent", _cap_time(rec.updated_at if changed else at), CAP)
    _sub(out, "status", "Actual", CAP)
    _sub(out, "msgType", "Update" if changed else "Alert", CAP)
    _sub(out, "source", edition.title, CAP)
    if rec.classification:
        _sub(out, "scope", "Restricted", CAP)
        text = f"classified {level_name(rec.classification)}; for readers cleared for that level"
        _sub(out, "restriction", text, CAP)
    else:
        _sub(out, "scope", "Public", CAP)
    _sub(out, "note", f"escalated signal of edition {edition.slug} (natrisk)", CAP)
    if changed:
        _sub(out, "references", f"{sender},{first},{_cap_time(at)}", CAP)
    _info(out, rec, themes, base, edition, lang)
    return out


def _severity(rec: SignalRecord) -> str:
    if not rec.strength:
        return "Unknown"
    if rec.strength == "strong" and rec.direction == "rising":
        return "Severe"
    if rec.strength in ("strong", "moderate") and rec.direction != "falling":
        return "Moderate"
    return "Minor"


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
    for cat in dict.fromkeys(category(t.theme) for t in rec.themes) or ["Other"]:
        _sub(info, "category", cat, CAP)
    _sub(info, "event", rec.title[:250], CAP)
    _sub(info, "urgency", URGENCY.get(rec.horizon or "", "Unknown"), CAP)
    _sub(info, "severity", _severity(rec), CAP)
    _sub(info, "certainty", CERTAINTY.get(rec.strength or "", "Unknown"), CAP)
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
