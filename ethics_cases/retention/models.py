"""What retention did: one row per redacted case, one per evidence file disposed of.

The ``case_redactions`` row is also what marks a case as redacted (the case pages and the
next run read it); ``evidence_disposals`` marks evidence rows whose file was deleted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..types import UTCDateTime


class CaseRedaction(db.Model):
    __tablename__ = "case_redactions"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True, autoincrement=False)
    redacted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # When the case was closed, and the retention period that applied (the policy may change).
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    retention_days: Mapped[int] = mapped_column(Integer)
    messages_redacted: Mapped[int] = mapped_column(Integer, default=0)
    evidence_deleted: Mapped[int] = mapped_column(Integer, default=0)
    # The audit event (tombstone) recorded in the same transaction.
    audit_seq: Mapped[int] = mapped_column(BigInteger)


class EvidenceDisposal(db.Model):
    __tablename__ = "evidence_disposals"

    evidence_id: Mapped[int] = mapped_column(
        ForeignKey("evidence.id", ondelete="CASCADE"), primary_key=True, autoincrement=False)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    disposed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # False when the file was already missing from disk (nothing to delete).
    file_found: Mapped[bool] = mapped_column(Boolean)
