"""``record``: the one way features write audit events.

The event joins the caller's current ``db.session`` transaction, so a change and its event
commit or roll back together. Appends are serialised so the chain never forks: on PostgreSQL
by a transaction-scoped advisory lock taken before the head is read; on SQLite every
transaction already begins IMMEDIATE (single writer, see ``ethics_cases.database``). UNIQUE
constraints on ``seq`` and ``prev_hash`` are the last line of defence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from flask import g, has_request_context, request
from sqlalchemy import select, text
from sqlalchemy.orm import Session, make_transient_to_detached

from ..extensions import db
from ..types import utcnow
from .chain import GENESIS, canonical_json, chain_hash, normalise
from .models import AuditEvent

_TABLE = AuditEvent.__table__
_COLUMN_NAMES = tuple(column.key for column in _TABLE.columns)
_INSERT = _TABLE.insert()
_HEAD = select(_TABLE.c.seq, _TABLE.c.hash).order_by(_TABLE.c.seq.desc()).limit(1)
_LOCK = text("SELECT pg_advisory_xact_lock(:key)")

# pg_advisory_xact_lock key for audit appends ("auditev" in ASCII); any constant works as long
# as every writer uses the same one.
APPEND_LOCK_KEY = 0x61756469746576

SUBJECT_KINDS = frozenset(
    {"case", "member", "pledge", "user", "code_version", "attachment", "evidence", "message",
     "system"}
)
_ACTION = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
_KIND = re.compile(r"^[a-z][a-z_]{0,29}$")
_MAX_USER_AGENT = 300

ActorKind = Literal["user", "complainant", "system"]


@dataclass(frozen=True)
class Subject:
    """What an event is about: ``Subject("case", 42)``."""

    kind: str
    id: str | int

    def __post_init__(self) -> None:
        if not _KIND.match(self.kind):
            raise ValueError(f"bad audit subject kind {self.kind!r}: use lower_case words")
        if str(self.id) == "":
            raise ValueError("an audit subject needs an id")


@dataclass(frozen=True)
class Actor:
    """Who acted. For users only the id is stored; names are looked up when shown."""

    kind: ActorKind
    id: str
    label: str

    def __post_init__(self) -> None:
        if self.kind not in ("user", "complainant", "system"):
            raise ValueError(f"bad audit actor kind {self.kind!r}")


SYSTEM = Actor("system", "system", "System")


class HasAuditSubject(Protocol):
    @property
    def audit_subject(self) -> Subject: ...


def as_subject(subject: Subject | HasAuditSubject) -> Subject:
    if isinstance(subject, Subject):
        return subject
    found = getattr(subject, "audit_subject", None)
    if not isinstance(found, Subject):
        raise TypeError(
            f"{type(subject).__name__} is not an audit subject: pass audit.Subject(kind, id) "
            "or give the model an `audit_subject` property"
        )
    return found


def current_actor() -> Actor:
    """The signed-in user, else the complainant grant of this request, else the system."""
    if has_request_context():
        from flask_login import current_user

        if current_user and current_user.is_authenticated:
            return Actor("user", str(current_user.id), "User")
        actor = g.get("audit_actor")
        if isinstance(actor, Actor):
            return actor
    return SYSTEM


def record(
    action: str,
    subject: Subject | HasAuditSubject,
    *,
    case_ref: str | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
    actor: Actor | None = None,
    session: Session | None = None,
) -> AuditEvent:
    """Append an event to the chain inside the current transaction; the caller commits.

    The event is flushed at once, so a failure (e.g. bad data) surfaces in the caller's
    transaction rather than at commit. ``details`` holds ids, field names and before/after
    values, never free-text personal data (retention must be able to redact that).
    """
    if not _ACTION.match(action):
        raise ValueError(
            f"bad audit action {action!r}: use dotted lower_case names, e.g. case.filed")
    target = as_subject(subject)
    who = actor or current_actor()
    payload = normalise(details or {})
    ip = user_agent = None
    if has_request_context():
        ip = request.remote_addr
        # Not request.user_agent: it is falsy whenever Werkzeug cannot parse a browser name.
        user_agent = request.headers.get("User-Agent", "")[:_MAX_USER_AGENT] or None
    session = session or db.session
    session.flush()  # the caller's pending change first: its errors surface in its transaction
    connection = session.connection()

    # Core statements on the session's connection: an append is one indexed read and one
    # INSERT, without the unit of work's overhead.
    if connection.dialect.name == "postgresql":
        connection.execute(_LOCK, {"key": APPEND_LOCK_KEY})
    head = connection.execute(_HEAD).first()
    seq, prev_hash = (head.seq + 1, head.hash) if head else (1, GENESIS)

    event = AuditEvent(
        seq=seq,
        created_at=utcnow(),  # taken under the lock, so timestamps follow the sequence
        actor_kind=who.kind,
        actor_id=str(who.id),
        actor_label=None if who.kind == "user" else who.label,
        action=action,
        subject_kind=target.kind,
        subject_id=str(target.id),
        case_ref=case_ref,
        reason=reason,
        details=payload,
        ip=ip,
        user_agent=user_agent,
        prev_hash=prev_hash,
    )
    event.canonical = canonical_json(event.canonical_fields())
    event.hash = chain_hash(prev_hash, event.canonical)
    connection.execute(_INSERT, {column: getattr(event, column) for column in _COLUMN_NAMES})
    # Hand the row to the session as already persistent, so the caller gets a normal object
    # (and the mapper's append-only guards apply to it).
    make_transient_to_detached(event)
    session.add(event)
    return event


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``details`` for an edit: ``{"field": {"before": old, "after": new}}`` for changed fields."""
    return {
        key: {"before": before.get(key), "after": after.get(key)}
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }
