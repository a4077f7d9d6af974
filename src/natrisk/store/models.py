"""Tables of the shared system (SQLAlchemy 2 declarative models).

Classification levels and clearances are stored as integers: their index in the
configured, ordered list of levels (natrisk.security.LEVELS).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> dt.datetime:
    """The current time, timezone-aware."""
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    """Base of every table."""

    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Organisation(Base):
    __tablename__ = "organisations"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(300))


class User(Base):
    __tablename__ = "users"
    # names are unique per organisation: a global rule would tell one organisation's
    # administrator which names another organisation uses
    __table_args__ = (
        UniqueConstraint("organisation_id", "username", name="uq_users_organisation_username"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), index=True)
    display_name: Mapped[str] = mapped_column(String(300))
    password_hash: Mapped[str] = mapped_column(String(300))
    clearance: Mapped[int] = mapped_column(Integer, default=0)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # raised by a password change or deactivation: every token of an older version is void
    credential_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    organisation: Mapped[Organisation] = relationship()


class Instance(Base):
    """This database's identity and signing secret (one row, made by the migration)."""

    __tablename__ = "instance"
    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(64))
    secret: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SignIn(Base):
    """A session on the server: a token is valid only while its row is open."""

    __tablename__ = "sign_ins"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    credential_version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # browser | token
    address: Mapped[str] = mapped_column(String(100), default="")
    agent: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    ended_why: Mapped[str] = mapped_column(String(50), default="")


class PasswordReset(Base):
    """A one-time, expiring link an administrator hands a user; only its hash is kept."""

    __tablename__ = "password_resets"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class FrameworkRecord(Base):
    __tablename__ = "frameworks"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    sha256: Mapped[str] = mapped_column(String(64))


class Edition(Base):
    __tablename__ = "editions"
    __table_args__ = (UniqueConstraint("organisation_id", "slug"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    framework_id: Mapped[str] = mapped_column(ForeignKey("frameworks.id"))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    classification: Mapped[int] = mapped_column(Integer, default=0)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("editions.id"), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    scenarios: Mapped[list[ScenarioRecord]] = relationship(
        back_populates="edition", order_by="ScenarioRecord.position", cascade="all, delete-orphan"
    )


class Membership(Base):
    __tablename__ = "memberships"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20))


class ScenarioRecord(Base):
    __tablename__ = "scenarios"
    __table_args__ = (UniqueConstraint("edition_id", "slug"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id"))
    slug: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500))
    theme: Mapped[str] = mapped_column(String(200))
    malicious: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str] = mapped_column(Text, default="")
    assumptions: Mapped[str] = mapped_column(Text, default="")
    classification: Mapped[int] = mapped_column(Integer, default=0)
    likelihood: Mapped[dict[str, Any]] = mapped_column(JSON)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)
    revision: Mapped[int] = mapped_column(Integer, default=0)  # edition version of the last change
    # out of the picture (views, exports, reports) but kept, with its history, and restorable
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    edition: Mapped[Edition] = relationship(back_populates="scenarios")
    # UPDATE ... WHERE version = <read version>: a concurrent change makes the write fail
    __mapper_args__ = {"version_id_col": version}
    scores: Mapped[list[ScoreRecord]] = relationship(
        back_populates="scenario", order_by="ScoreRecord.position", cascade="all, delete-orphan"
    )


class ScoreRecord(Base):
    __tablename__ = "scores"
    __table_args__ = (UniqueConstraint("scenario_id", "criterion"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id"))
    criterion: Mapped[str] = mapped_column(String(50))
    position: Mapped[int] = mapped_column(Integer, default=0)
    klass: Mapped[str | None] = mapped_column(String(20), nullable=True)
    qmin: Mapped[float | None] = mapped_column(Float, nullable=True)
    qmax: Mapped[float | None] = mapped_column(Float, nullable=True)
    axes: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    rationale: Mapped[str] = mapped_column(Text, default="")
    rationale_classification: Mapped[int] = mapped_column(Integer, default=0)
    sources: Mapped[list[Any]] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)
    revision: Mapped[int] = mapped_column(Integer, default=0)  # edition version of the last change
    scenario: Mapped[ScenarioRecord] = relationship(back_populates="scores")
    __mapper_args__ = {"version_id_col": version}


class Judgement(Base):
    __tablename__ = "judgements"
    __table_args__ = (UniqueConstraint("scenario_id", "criterion", "expert_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id"))
    criterion: Mapped[str] = mapped_column(String(50))
    expert_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    klass: Mapped[str] = mapped_column(String(20))
    rationale: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Invitation(Base):
    __tablename__ = "invitations"
    expert_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id"), primary_key=True)


class Comment(Base):
    __tablename__ = "comments"
    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id"))
    criterion: Mapped[str | None] = mapped_column(String(50), nullable=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    classification: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # a reply belongs to a comment (never to a reply); only a comment is resolved or closed
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id"), nullable=True, index=True
    )
    state: Mapped[str] = mapped_column(String(10), default="open", server_default="open")
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}


class AuditEntry(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[str] = mapped_column(String(40))  # ISO text: hashed exactly as stored
    actor: Mapped[str] = mapped_column(String(100))
    edition_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    entity: Mapped[str] = mapped_column(String(50))
    key: Mapped[str] = mapped_column(String(300))
    classification: Mapped[int] = mapped_column(Integer, default=0)
    old: Mapped[Any] = mapped_column(JSON, nullable=True)
    new: Mapped[Any] = mapped_column(JSON, nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)  # a fork cannot be stored
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class Job(Base):
    """A piece of background work: a sensitivity or cascade run, a report, an import."""

    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    edition_id: Mapped[int | None] = mapped_column(ForeignKey("editions.id"), nullable=True)
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    clearance: Mapped[int] = mapped_column(Integer)  # the view the job works on
    status: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    payload: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)  # e.g. a file
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    output: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)  # e.g. a PDF
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(200), nullable=True)
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class LoginAttempt(Base):
    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), index=True)
    address: Mapped[str] = mapped_column(String(100), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    success: Mapped[bool] = mapped_column(Boolean)


class SignInLimit(Base):
    """Failed sign-ins of one account (``user:name``) or address (``address:ip``) in the current
    window; counted in one UPDATE, so every web process sees the same count."""

    __tablename__ = "sign_in_limits"
    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    window_start: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    failures: Mapped[int] = mapped_column(Integer, default=0)


class AuditHead(Base):
    """The chain's tail, kept apart so that deleting the last entries is detected too."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(primary_key=True)
    last_id: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))
    # HMAC of (last_id, last_hash) with a key kept outside the database: moving the head
    # back after cutting the end off the chain cannot be signed without that key
    signature: Mapped[str] = mapped_column(String(64), default="")


class PlanRecord(Base):
    """A plan (phases 2 and 3) working from one edition; its structure is one checked document."""

    __tablename__ = "plans"
    __table_args__ = (UniqueConstraint("edition_id", "slug"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id"))
    slug: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(500))
    classification: Mapped[int] = mapped_column(Integer, default=0)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)  # the plan without its measures
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    __mapper_args__ = {"version_id_col": version}


class MeasureRecord(Base):
    """A measure of a plan: a row of its own, since each ministry writes its own measures."""

    __tablename__ = "measures"
    __table_args__ = (UniqueConstraint("plan_id", "slug"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    slug: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)
    owner: Mapped[str] = mapped_column(String(100), index=True)  # organisation slug
    line: Mapped[str] = mapped_column(String(100))
    classification: Mapped[int] = mapped_column(Integer, default=0)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}


class SearchEntry(Base):
    """One thing a search can find: its words, where it is shown, and how it is classified.

    Written by ``services/search.py`` on every flush of what it indexes; the database's own
    full-text index covers it (FTS5 on SQLite, a tsvector column on PostgreSQL: migration
    0006 and ``store/fulltext.py``). ``source`` names the row it was made from, so a change
    replaces all of that row's entries at once.
    """

    __tablename__ = "search_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    key: Mapped[str] = mapped_column(String(300), unique=True)
    source: Mapped[str] = mapped_column(String(100), index=True)
    edition_id: Mapped[int] = mapped_column(Integer, index=True)
    classification: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(Text)
    title_nl: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(500))


class SignalRecord(Base):
    """A signal of a possible threat (horizon scanning), in one edition."""

    __tablename__ = "signals"
    __table_args__ = (UniqueConstraint("edition_id", "slug"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id"), index=True)
    slug: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    # title and description, lower-cased: what the inbox (and site search) searches
    search_text: Mapped[str] = mapped_column(Text, default="")
    sources: Mapped[list[Any]] = mapped_column(JSON, default=list)
    observed: Mapped[dt.date] = mapped_column(Date, index=True)
    scenarios: Mapped[list[Any]] = mapped_column(JSON, default=list)
    horizon: Mapped[str] = mapped_column(String(20))
    classification: Mapped[int] = mapped_column(Integer, default=0)
    organisation: Mapped[str] = mapped_column(String(300), default="")
    submitted_by: Mapped[str] = mapped_column(String(100), default="")
    strength: Mapped[str | None] = mapped_column(String(20), nullable=True)
    direction: Mapped[str | None] = mapped_column(String(20), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="new", index=True)
    absorbed_into: Mapped[str | None] = mapped_column(String(100), nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    cluster_id: Mapped[int | None] = mapped_column(
        ForeignKey("signal_clusters.id"), nullable=True, index=True
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    themes: Mapped[list[SignalTheme]] = relationship(
        order_by="SignalTheme.position", cascade="all, delete-orphan", lazy="selectin"
    )
    __mapper_args__ = {"version_id_col": version}


class SignalTheme(Base):
    """A theme a signal bears on (a row each, so the inbox filters by theme in SQL)."""

    __tablename__ = "signal_themes"
    signal_id: Mapped[int] = mapped_column(ForeignKey("signals.id"), primary_key=True)
    theme: Mapped[str] = mapped_column(String(200), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class ClusterRecord(Base):
    """A candidate threat an analyst confirmed: its signals point to it (signals.cluster_id)."""

    __tablename__ = "signal_clusters"
    __table_args__ = (UniqueConstraint("edition_id", "slug"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id"), index=True)
    slug: Mapped[str] = mapped_column(String(100))
    label: Mapped[str] = mapped_column(String(500))
    # the highest level among the signals its label was written from
    classification: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    __mapper_args__ = {"version_id_col": version}


class ScanRecord(Base):
    """A horizon-scan round of an edition; adopted, it keeps the snapshot of its signals."""

    __tablename__ = "scans"
    __table_args__ = (UniqueConstraint("edition_id", "slug"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id"), index=True)
    slug: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(500))
    start: Mapped[dt.date] = mapped_column(Date)
    end: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="open")
    interpretations: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    adopted_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    adopted_by: Mapped[str] = mapped_column(String(100), default="")
    snapshot: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    __mapper_args__ = {"version_id_col": version}


class FeedToken(Base):
    """A token for feed readers (Atom, CAP): read-only, no browser session; only its hash kept."""

    __tablename__ = "feed_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    credential_version: Mapped[int] = mapped_column(Integer)  # a password change ends it
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


# ------------------------------------------------------------------ foresight (trends, deep-dives)


class TrendSetRecord(Base):
    """A foresight edition of an edition: its header, groups and transitions as one document."""

    __tablename__ = "trend_sets"
    __table_args__ = (UniqueConstraint("edition_id", "slug"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id"), index=True)
    slug: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(500))
    year: Mapped[int] = mapped_column(Integer)
    classification: Mapped[int] = mapped_column(Integer, default=0)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)  # the set without its trends
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    __mapper_args__ = {"version_id_col": version}


class TrendRecord(Base):
    """A trend of a set: a row of its own, with its own classification and version."""

    __tablename__ = "trends"
    __table_args__ = (UniqueConstraint("set_id", "slug"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("trend_sets.id"), index=True)
    slug: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)
    group: Mapped[str] = mapped_column(String(100))
    classification: Mapped[int] = mapped_column(Integer, default=0)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}


class DeepDiveRecord(Base):
    """A thematic deep-dive of an edition: one theme, its signals, trends and scenarios."""

    __tablename__ = "deepdives"
    __table_args__ = (UniqueConstraint("edition_id", "slug"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id"), index=True)
    slug: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(500))
    theme: Mapped[str] = mapped_column(String(200))
    classification: Mapped[int] = mapped_column(Integer, default=0)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    __mapper_args__ = {"version_id_col": version}


class ScenarioOrigin(Base):
    """Where a scenario came from: the deep-dive that made or changed it, with the signals and
    trends it cited (kept when the deep-dive changes later)."""

    __tablename__ = "scenario_origins"
    __table_args__ = (UniqueConstraint("scenario_id", "deepdive_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id"), index=True)
    deepdive_id: Mapped[int] = mapped_column(ForeignKey("deepdives.id"), index=True)
    change: Mapped[str] = mapped_column(String(20))  # new | changed
    signals: Mapped[list[Any]] = mapped_column(JSON, default=list)
    trends: Mapped[list[Any]] = mapped_column(JSON, default=list)
    rationale: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
