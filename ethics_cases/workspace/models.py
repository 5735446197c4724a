"""Workspace bookkeeping: which deadline notices were already sent, and the indexes the queue's
filters and sorts need on other domains' tables (declared here, against their columns, so the
owning modules stay untouched and the schema test still sees them).

A ``DeadlineNotice`` row is written in the same transaction as the reminder emails and the
audit event it stands for, and its unique key (case, kind, state, due date, lead time) makes
``flask deadlines run`` idempotent: a second run finds the row and sends nothing, and two runs
at once cannot both insert it. Keying on ``due_at`` means an extended deadline gets its own
reminders.

``CaseStateCount`` is how many cases are in each state, kept by database triggers on ``cases``
(migration ``0012_queue_counts``), so the queue's counts cost the same at 10k and 100k cases.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..cases.models import Allegation, Case
from ..extensions import db
from ..types import UTCDateTime, utcnow
from ..workflow.models import Sanction


class NoticeKind:
    REMINDER = "reminder"  # a deadline is near: the party who must act is reminded
    MISSED = "missed"      # a response deadline passed: the committee is told


class DeadlineNotice(db.Model):
    __tablename__ = "deadline_notices"
    __table_args__ = (
        UniqueConstraint("case_id", "kind", "state", "due_at", "lead_days",
                         name="uq_deadline_notices_once"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(40))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # For reminders: the lead time (days before the deadline) this notice covers; 0 otherwise.
    lead_days: Mapped[int] = mapped_column(Integer, default=0)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CaseStateCount(db.Model):
    """The number of cases in ``state``, maintained by triggers on ``cases`` (insert, update of
    ``state``, delete), not by Python: every writer, bulk copies and ``flask demo generate``
    included, keeps it right, and it commits or rolls back with the change it counts. Read by
    ``queries.stage_counts``; never written by the application."""

    __tablename__ = "case_state_counts"

    state: Mapped[str] = mapped_column(String(40), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


# The queue filters by clause and by sanction with ``cases.id IN (SELECT case_id ...)``: these
# make both index-only lookups. "Last change" sorts by ``state_changed_at``.
Index("ix_workspace_allegations_clause_case", Allegation.clause_id, Allegation.case_id)
Index("ix_workspace_sanctions_key_case", Sanction.key, Sanction.case_id)
Index("ix_workspace_cases_state_changed_at", Case.state_changed_at)
