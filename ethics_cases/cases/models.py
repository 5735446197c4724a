"""Cases: a complaint and everything attached to it (allegations, evidence, messages).

A complaint *is* a case: intake creates it in state ``submitted`` and the workflow moves it on.
``version`` is SQLAlchemy's optimistic lock, so two people changing the same case at once never
silently overwrite each other (the loser gets ``StaleDataError``, which the workflow maps to 409).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from ..accounts.models import Member, User


class Relationship(enum.StrEnum):
    """How the complainant knows the member complained about."""

    CLIENT = "client"
    SPONSOR = "sponsor"
    COLLEAGUE = "colleague"
    MEMBER_OF_PUBLIC = "member_of_public"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "client": "Their client (mentee)",
            "sponsor": "A sponsor (e.g. an employer paying for mentoring)",
            "colleague": "A colleague or fellow member",
            "member_of_public": "A member of the public",
            "other": "Other",
        }[self.value]


class PartyKind(enum.StrEnum):
    """Who wrote a message or uploaded a document."""

    COMPLAINANT = "complainant"
    RESPONDENT = "respondent"
    COMMITTEE = "committee"


class Audience(enum.StrEnum):
    """Who may read a message. ``parties`` means both complainant and respondent."""

    COMPLAINANT = "complainant"
    RESPONDENT = "respondent"
    COMMITTEE = "committee"
    PARTIES = "parties"
    #: An internal note: the committee only, never either party (casework's notes).
    INTERNAL = "internal"


def _audit_subject(kind: str, id_: int | None) -> Any:
    from .. import audit  # imported late: audit's models import the same db at load time

    return audit.Subject(kind, id_)  # type: ignore[arg-type]


class CaseReferenceCounter(db.Model):
    """The last reference number handed out per year, bumped in the filing transaction, so two
    concurrent filings can never get the same number (no max()+1 race)."""

    __tablename__ = "case_reference_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Case(db.Model):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_state_due_at", "state", "due_at"),
        Index("ix_cases_state_submitted_at", "state", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    state: Mapped[str] = mapped_column(String(40), index=True, default="submitted")
    version: Mapped[int] = mapped_column(Integer, default=1)

    # Who the complaint is about: a roll entry, or a description when not found on the roll.
    respondent_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="RESTRICT"), index=True
    )
    respondent_description: Mapped[str] = mapped_column(Text, default="")

    # Who complains.
    complainant_name: Mapped[str] = mapped_column(String(200))
    complainant_email: Mapped[str | None] = mapped_column(String(254), index=True)
    complainant_phone: Mapped[str] = mapped_column(String(40), default="")
    complainant_relationship: Mapped[str] = mapped_column(String(30))
    complainant_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )

    # What happened.
    narrative: Mapped[str] = mapped_column(Text)
    conduct_start: Mapped[date | None] = mapped_column()
    conduct_end: Mapped[date | None] = mapped_column()
    location: Mapped[str] = mapped_column(String(300), default="")
    outcome_sought: Mapped[str] = mapped_column(Text, default="")

    withhold_identity: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set when the chair decides to disclose a withheld identity to the respondent (the
    # decision and reasons: casework.models.IdentityDisclosure); read by cases.identity.
    identity_disclosed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confidentiality_consented_at: Mapped[datetime] = mapped_column(UTCDateTime())
    followup_key_hash: Mapped[str] = mapped_column(String(128))

    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    state_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    code_fingerprint: Mapped[str] = mapped_column(String(64))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawal_reason: Mapped[str] = mapped_column(Text, default="")

    respondent: Mapped[Member | None] = relationship(lazy="joined")
    complainant_user: Mapped[User | None] = relationship()
    allegations: Mapped[list[Allegation]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="Allegation.position",
        lazy="selectin",
    )
    evidence: Mapped[list[Evidence]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="Evidence.uploaded_at",
    )
    messages: Mapped[list[CaseMessage]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseMessage.created_at",
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def respondent_name(self) -> str:
        if self.respondent is not None:
            return self.respondent.full_name
        return self.respondent_description.split("\n", 1)[0][:120] or "Not identified"

    @property
    def relationship_label(self) -> str:
        try:
            return Relationship(self.complainant_relationship).label
        except ValueError:
            return self.complainant_relationship

    @property
    def audit_subject(self) -> Any:
        return _audit_subject("case", self.id)

    def __repr__(self) -> str:
        return f"<Case {self.reference} {self.state}>"


class Allegation(db.Model):
    """A clause of the Code the complainant believes was broken (by clause ID, stable across
    versions; ``Case.code_fingerprint`` says which version's text applied at filing)."""

    __tablename__ = "allegations"
    __table_args__ = (UniqueConstraint("case_id", "clause_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    clause_id: Mapped[str] = mapped_column(String(40), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    case: Mapped[Case] = relationship(back_populates="allegations")

    @property
    def audit_subject(self) -> Any:
        return _audit_subject("allegation", self.id)


class Evidence(db.Model):
    """An uploaded document. The file lives under UPLOAD_FOLDER as ``stored_name`` (random);
    ``original_filename`` is sanitised and only ever displayed."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    original_filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(120))
    uploaded_by_kind: Mapped[str] = mapped_column(String(20))
    uploaded_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    case: Mapped[Case] = relationship(back_populates="evidence")

    @property
    def audit_subject(self) -> Any:
        return _audit_subject("evidence", self.id)


class CaseMessage(db.Model):
    """A message on a case. ``is_request`` marks the committee's requests for information;
    ``answered_at`` is set when the addressed party replies."""

    __tablename__ = "case_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    author_kind: Mapped[str] = mapped_column(String(20))
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    audience: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    is_request: Mapped[bool] = mapped_column(Boolean, default=False)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    in_reply_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_messages.id", ondelete="SET NULL")
    )

    case: Mapped[Case] = relationship(back_populates="messages")

    @property
    def audit_subject(self) -> Any:
        return _audit_subject("case_message", self.id)


class ComplaintDraft(db.Model):
    """A complaint being written, kept on the server between the steps of the form.

    Server-side rather than in Flask's session: the session is a signed but readable cookie
    limited to ~4 KB, and a narrative of a distressing event does not belong in a cookie. The
    session holds only a random token; this row is keyed by its SHA-256, so reading the table
    does not let anyone take over a draft. Uploaded files are written to UPLOAD_FOLDER at once
    (random names) and listed in ``data``; filing turns them into ``Evidence`` rows, and the
    sweep deletes the files of drafts that expired unfiled.
    """

    __tablename__ = "complaint_drafts"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(db.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # Set, in the filing transaction, to the case this draft became: a second submit of the
    # same draft finds it and shows the same receipt instead of filing twice.
    filed_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
