"""Rows the adjudication procedure keeps, in the workflow's own tables keyed by case.

The ``cases`` table belongs to intake; the workflow writes only its ``state``,
``state_changed_at``, ``due_at`` and ``updated_at`` (which bumps the optimistic ``version``).
Everything else about the procedure lives here.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..extensions import db
from ..types import UTCDateTime, utcnow


class SanctionStatus(enum.StrEnum):
    PROPOSED = "proposed"            # offered in a resolution by agreement
    DECLINED = "declined"            # the member declined the agreement
    PENDING_APPEAL = "pending_appeal"  # decided; the appeal window is open
    IN_EFFECT = "in_effect"
    COMPLETED = "completed"          # complied with, or nothing to comply with
    ESCALATED = "escalated"          # not complied with; a higher level followed
    VARIED = "varied"                # replaced on appeal by another sanction
    OVERTURNED = "overturned"        # set aside on appeal

#: Sanctions that were really imposed on the member (count towards the ladder's limits).
IMPOSED_STATUSES = (SanctionStatus.IN_EFFECT, SanctionStatus.COMPLETED, SanctionStatus.ESCALATED)


class SeatKind(enum.StrEnum):
    FIRST = "first"
    APPEAL = "appeal"


class CaseWorkflow(db.Model):
    """One row per case that has entered the procedure (created by its first step)."""

    __tablename__ = "case_workflows"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    investigator_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    findings_report: Mapped[str] = mapped_column(Text, default="")
    findings_submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hearing_on: Mapped[date | None] = mapped_column()
    # Raised by escalation for non-compliance: the next sanction is at least this level.
    minimum_level: Mapped[int] = mapped_column(Integer, default=1)
    # Each hearing (the first, and one per escalation) is a round of votes.
    hearing_round: Mapped[int] = mapped_column(Integer, default=1)
    # Where a withdrawn case was, so the committee can continue it from there.
    state_before_withdrawal: Mapped[str | None] = mapped_column(String(40))
    # The member complained about learns of the case only when it is accepted; from then on
    # their own page shows it.
    respondent_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_reasons: Mapped[str] = mapped_column(Text, default="")
    dismissal_reasons: Mapped[str] = mapped_column(Text, default="")
    # The Code version in force when the conduct happened (bound at screening): findings cite
    # this version's clauses, whatever the running Code says now.
    code_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("code_versions.id", ondelete="RESTRICT"), index=True
    )
    # Opened by the committee itself (sua sponte), which is then the complainant.
    own_motion: Mapped[bool] = mapped_column(Boolean, default=False)
    own_motion_basis: Mapped[str] = mapped_column(Text, default="")
    # Referred to another body at screening: to whom (why is the step's recorded reason).
    referred_to: Mapped[str] = mapped_column(String(300), default="")
    referral_reasons: Mapped[str] = mapped_column(Text, default="")
    # A stay for parallel proceedings: where the case was, since when, the deadline it had.
    state_before_stay: Mapped[str | None] = mapped_column(String(40))
    stayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    due_at_before_stay: Mapped[datetime | None] = mapped_column(UTCDateTime())
    stayed_days_total: Mapped[int] = mapped_column(Integer, default=0)
    # Parties told who sits on the panel may object until this moment.
    objection_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reopened_count: Mapped[int] = mapped_column(Integer, default=0)

    investigator: Mapped[User | None] = relationship(lazy="joined")


class PanelSeat(db.Model):
    """A committee member on a case's hearing or appeal panel.

    The seat holder must declare no conflict of interest before they may open the case file;
    recusal ends the seat (and the access it gave). Rows are never deleted: the record shows who
    sat, declared and stood down, and when.
    """

    __tablename__ = "panel_seats"
    __table_args__ = (UniqueConstraint("case_id", "user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    appointed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    conflict_declared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recusal_reason: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User] = relationship(lazy="joined")

    @property
    def active(self) -> bool:
        return self.recused_at is None

    @property
    def declared(self) -> bool:
        return self.conflict_declared_at is not None and self.recused_at is None


class CaseStay(db.Model):
    """A stay for parallel (e.g. criminal or civil) proceedings. While open the case's clock
    stops; lifting it moves the deadline on by exactly the time stayed."""

    __tablename__ = "case_stays"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    proceedings: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    due_at_before: Mapped[datetime | None] = mapped_column(UTCDateTime())
    due_at_after: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ObjectionRuling(enum.StrEnum):
    UPHELD = "upheld"
    REJECTED = "rejected"


class PanelObjection(db.Model):
    """A party's objection to a panelist; the chair rules. An upheld objection ends the seat
    (and the access it gave)."""

    __tablename__ = "panel_objections"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    seat_id: Mapped[int] = mapped_column(ForeignKey("panel_seats.id", ondelete="CASCADE"),
                                         index=True)
    objector: Mapped[str] = mapped_column(String(20))  # respondent | complainant
    grounds: Mapped[str] = mapped_column(Text)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ruling: Mapped[str | None] = mapped_column(String(20))
    ruling_reasons: Mapped[str] = mapped_column(Text, default="")
    ruled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ruled_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))

    seat: Mapped[PanelSeat] = relationship(lazy="joined")


class PanelVote(db.Model):
    """One panelist's finding on one allegation, with reasons (the decision is the majority)."""

    __tablename__ = "panel_votes"
    __table_args__ = (UniqueConstraint("seat_id", "allegation_id", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    seat_id: Mapped[int] = mapped_column(ForeignKey("panel_seats.id", ondelete="CASCADE"))
    allegation_id: Mapped[int] = mapped_column(ForeignKey("allegations.id", ondelete="CASCADE"))
    # A hearing after escalation is a new round; earlier votes stay on record.
    round: Mapped[int] = mapped_column(Integer, default=1)
    breached: Mapped[bool] = mapped_column(Boolean)
    reasons: Mapped[str] = mapped_column(Text, default="")
    cast_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AllegationFinding(db.Model):
    """The panel's decision on one allegation: breached or not, by how many votes."""

    __tablename__ = "allegation_findings"
    __table_args__ = (UniqueConstraint("allegation_id", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    allegation_id: Mapped[int] = mapped_column(ForeignKey("allegations.id", ondelete="CASCADE"))
    round: Mapped[int] = mapped_column(Integer, default=1)
    breached: Mapped[bool] = mapped_column(Boolean)
    votes_breached: Mapped[int] = mapped_column(Integer)
    votes_not_breached: Mapped[int] = mapped_column(Integer)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Sanction(db.Model):
    """A sanction from the Code's ladder, proposed, decided or imposed on a member.

    ``level`` and ``key`` copy the ladder entry at decision time; ``details`` holds what the
    ladder's rules require (programme, completion_deadline, start_date, end_date, authority,
    authority_reference) as ISO strings. ``effective_from``/``ends_on`` drive the member's
    standing: in force on day D when ``effective_from <= D < ends_on`` (``ends_on`` open for
    permanent sanctions), so a suspension ends by itself on its end date.
    """

    __tablename__ = "sanctions"
    __table_args__ = (Index("ix_sanctions_member_id_status", "member_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"))
    level: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(40))
    details: Mapped[dict[str, Any]] = mapped_column(db.JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20))
    by_agreement: Mapped[bool] = mapped_column(Boolean, default=False)
    effective_from: Mapped[date | None] = mapped_column()
    ends_on: Mapped[date | None] = mapped_column()
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("sanctions.id", ondelete="SET NULL"))

    def in_force_on(self, day: date) -> bool:
        return (
            self.status == SanctionStatus.IN_EFFECT
            and self.effective_from is not None
            and self.effective_from <= day
            and (self.ends_on is None or day < self.ends_on)
        )


class Appeal(db.Model):
    """An appeal against a decision (respondent) or a dismissal (complainant)."""

    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    appellant: Mapped[str] = mapped_column(String(20))  # respondent | complainant
    against: Mapped[str] = mapped_column(String(20))  # decision | dismissal
    sanction_id: Mapped[int | None] = mapped_column(ForeignKey("sanctions.id", ondelete="SET NULL"))
    grounds: Mapped[str] = mapped_column(Text)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    outcome: Mapped[str | None] = mapped_column(String(20))  # upheld | varied | overturned
    reasons: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
