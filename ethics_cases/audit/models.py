"""The append-only audit event table and the checkpoints recorded next to it.

Rows are never updated or deleted: the mapper refuses it here, and triggers installed by the
``0002_audit`` migration refuse it in the database itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, String, Text, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..extensions import db
from ..types import UTCDateTime
from .chain import FORMAT_VERSION, format_timestamp


class AppendOnlyError(RuntimeError):
    """Something tried to change or delete an audit row."""


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_subject", "subject_kind", "subject_id", "seq"),
        Index("ix_audit_events_actor", "actor_kind", "actor_id", "seq"),
        Index("ix_audit_events_action", "action", "seq"),
        Index("ix_audit_events_case_ref", "case_ref", "seq"),
        Index("ix_audit_events_created_at", "created_at"),
    )

    # The sequence number is the primary key: unique, gap-free, assigned under the append lock.
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_kind: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[str] = mapped_column(String(64))
    # Only for non-user actors ("Complainant", "System"): user names are resolved at display
    # time, so no personal data is frozen into the chain.
    actor_label: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(100))
    subject_kind: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[str] = mapped_column(String(64))
    case_ref: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The exact text that was hashed, so verification does not re-serialise every row.
    canonical: Mapped[str] = mapped_column(Text)

    def canonical_fields(self) -> dict[str, Any]:
        """The event's columns as the canonical JSON object (see chain.py)."""
        return {
            "v": FORMAT_VERSION,
            "seq": self.seq,
            "created_at": format_timestamp(self.created_at),
            "actor_kind": self.actor_kind,
            "actor_id": self.actor_id,
            "actor_label": self.actor_label,
            "action": self.action,
            "subject_kind": self.subject_kind,
            "subject_id": self.subject_id,
            "case_ref": self.case_ref,
            "reason": self.reason,
            "details": self.details,
            "ip": self.ip,
            "user_agent": self.user_agent,
        }

    def __repr__(self) -> str:
        return f"<AuditEvent {self.seq} {self.action} {self.subject_kind}:{self.subject_id}>"


class AuditCheckpoint(db.Model):
    """A head of the chain sealed with an HMAC whose key is kept outside the database.

    Anyone who can write the database can recompute a whole chain; they cannot forge these
    MACs. ``audit verify`` checks every checkpoint against the chain.
    """

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    seq: Mapped[int] = mapped_column(BigInteger)
    head_hash: Mapped[str] = mapped_column(String(64))
    mac: Mapped[str] = mapped_column(String(64))


def _refuse_change(_mapper: object, _connection: object, target: AuditEvent) -> None:
    raise AppendOnlyError(f"audit event {target.seq} is append-only: it cannot be changed")


def _refuse_delete(_mapper: object, _connection: object, target: AuditEvent) -> None:
    raise AppendOnlyError(f"audit event {target.seq} is append-only: it cannot be deleted")


for _model in (AuditEvent, AuditCheckpoint):
    event.listen(_model, "before_update", _refuse_change)
    event.listen(_model, "before_delete", _refuse_delete)


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state: Any) -> None:
    """``update(AuditEvent)`` / ``delete(AuditEvent)`` bypass the mapper events above."""
    if not (state.is_update or state.is_delete):
        return
    for mapper in state.all_mappers:
        if mapper.class_ in (AuditEvent, AuditCheckpoint):
            raise AppendOnlyError("audit rows are append-only: bulk UPDATE/DELETE refused")
