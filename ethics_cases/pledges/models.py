"""Registered Code versions and signed pledges.

A pledge must prove, years later, which exact wording a member signed: it points at a
``CodeVersion`` row holding the whole Code as canonical JSON (so versions can be diffed), and
keeps the fingerprint and the SHA-256 of the pledge text it showed. Pledges are immutable: the
mapper refuses updates and deletes, and the ``0003_code_pledges`` migration installs triggers
that refuse them in the database too.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Member, User
from ..extensions import db
from ..types import UTCDateTime, utcnow


class ImmutablePledgeError(RuntimeError):
    """Something tried to change or delete a signed pledge."""


class CodeVersion(db.Model):
    __tablename__ = "code_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(40))
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    effective_date: Mapped[date] = mapped_column()
    canonical_json: Mapped[str] = mapped_column(Text)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def audit_subject(self) -> Any:
        from .. import audit

        return audit.Subject("code_version", self.id)

    @property
    def short_fingerprint(self) -> str:
        return self.fingerprint[:12]

    @property
    def pledge_paragraphs(self) -> list[str]:
        """The pledge wording of this version, from the stored Code (not the running one)."""
        return list(json.loads(self.canonical_json)["pledge"]["paragraphs"])


class Pledge(db.Model):
    __tablename__ = "pledges"
    __table_args__ = (Index("ix_pledges_member_id_signed_at", "member_id", "signed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    code_version_id: Mapped[int] = mapped_column(
        ForeignKey("code_versions.id", ondelete="RESTRICT"))
    code_fingerprint: Mapped[str] = mapped_column(String(64))
    pledge_text_sha256: Mapped[str] = mapped_column(String(64))
    typed_name: Mapped[str] = mapped_column(String(200))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    verification_code: Mapped[str] = mapped_column(String(43), unique=True)

    member: Mapped[Member] = relationship(lazy="joined")
    user: Mapped[User] = relationship()
    code_version: Mapped[CodeVersion] = relationship(lazy="joined")

    @property
    def audit_subject(self) -> Any:
        from .. import audit

        return audit.Subject("pledge", self.id)


def _refuse_change(_mapper: object, _connection: object, target: Pledge) -> None:
    raise ImmutablePledgeError(f"pledge {target.id} is signed: it cannot be changed")


def _refuse_delete(_mapper: object, _connection: object, target: Pledge) -> None:
    raise ImmutablePledgeError(f"pledge {target.id} is signed: it cannot be deleted")


event.listen(Pledge, "before_update", _refuse_change)
event.listen(Pledge, "before_delete", _refuse_delete)
