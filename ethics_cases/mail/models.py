"""The outbox: every email is a row written in the same transaction as the action it reports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..types import UTCDateTime, utcnow


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"
    # deliver_pending reads "unsent and due" rows in order; this index is exactly that query.
    __table_args__ = (
        Index("ix_outbox_messages_sent_at_next_attempt_at", "sent_at", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    template: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Added by notifications (migration 0007): the HTML alternative, the case the message is
    # about (the admin outbox filters by it; retention can find a case's mail), the capacity
    # in which the recipient got it, and when delivery was abandoned after MAX_ATTEMPTS.
    body_html: Mapped[str] = mapped_column(Text, default="")
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="SET NULL"), index=True
    )
    recipient_role: Mapped[str] = mapped_column(String(20), default="")
    gave_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def status(self) -> str:
        """sent, queued (never tried), retrying (failed, will try again) or failed (gave up)."""
        if self.sent_at is not None:
            return "sent"
        if self.gave_up_at is not None:
            return "failed"
        return "retrying" if self.attempts else "queued"

    @property
    def audit_subject(self):  # type: ignore[no-untyped-def]
        from .. import audit

        return audit.Subject("outbox_message", self.id)

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} to={self.to_address!r} sent={self.sent_at is not None}>"
