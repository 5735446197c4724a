"""Casework rows, in their own tables keyed by case (the ``cases`` row is intake's; the only
column casework adds there is ``identity_disclosed_at``, read by ``cases.identity``).

Rows are never deleted: an assignment ends (``ended_at``), a disclosure is a decision on
record. Internal notes and party-only messages are ``CaseMessage`` rows (audience
``internal`` / ``complainant`` / ``respondent``), not a table of their own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..extensions import db
from ..types import UTCDateTime, utcnow


class EndReason:
    REASSIGNED = "reassigned"
    LEFT = "left"          # the officer's account was deactivated
    RECUSED = "recused"    # the officer recused themselves from the case's panel


class OfficerAssignment(db.Model):
    """A committee member made responsible for moving a case along. At most one current
    (``ended_at`` empty) per case, enforced by a partial unique index."""

    __tablename__ = "case_officer_assignments"
    __table_args__ = (
        Index("uq_case_officer_assignments_current", "case_id", unique=True,
              sqlite_where=db.text("ended_at IS NULL"),
              postgresql_where=db.text("ended_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    officer_user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    assigned_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reason: Mapped[str] = mapped_column(Text, default="")
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[str | None] = mapped_column(String(20))

    officer: Mapped[User] = relationship(foreign_keys=[officer_user_id], lazy="joined")


class Tag(db.Model):
    """A category the committee puts on cases (e.g. "boundaries", "urgent")."""

    __tablename__ = "case_tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))

    @property
    def audit_subject(self) -> Any:
        from .. import audit

        return audit.Subject("case_tag", self.id)


class CaseTag(db.Model):
    """A tag on a case."""

    __tablename__ = "case_tag_links"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True, autoincrement=False)
    tag_id: Mapped[int] = mapped_column(
        ForeignKey("case_tags.id", ondelete="CASCADE"), primary_key=True, autoincrement=False,
        index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    added_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))

    tag: Mapped[Tag] = relationship(lazy="joined")


class IdentityDisclosure(db.Model):
    """The chair's decision to disclose a withheld complainant identity to the respondent."""

    __tablename__ = "identity_disclosures"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    decided_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    reasons: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    decided_by: Mapped[User | None] = relationship(lazy="joined")


class HearingBundle(db.Model):
    """A hearing bundle generated for the panel: who, when, and the manifest it contained
    (file name, size and SHA-256 of every document, each verified against ``Evidence.sha256``
    at generation time). The ZIP itself is not kept: it can be regenerated, and the manifest
    plus ``zip_sha256`` prove what was handed out."""

    __tablename__ = "hearing_bundles"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    generated_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    document_count: Mapped[int] = mapped_column(Integer)
    zip_sha256: Mapped[str] = mapped_column(String(64))
    manifest: Mapped[list[dict[str, Any]]] = mapped_column(db.JSON, default=list)

    @property
    def audit_subject(self) -> Any:
        from .. import audit

        return audit.Subject("hearing_bundle", self.id)
