"""Reading pledges: a member's history, pledge status for lists (one query, no N+1)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy import Select, and_, case, func, literal, or_, select
from sqlalchemy.orm import aliased

from ..accounts.models import Member
from ..extensions import db
from .models import CodeVersion, Pledge


class PledgeStatus(enum.StrEnum):
    CURRENT = "current"
    EARLIER = "earlier"
    NEVER = "never"

    @property
    def label(self) -> str:
        return {"current": "Signed the current version",
                "earlier": "Signed an earlier version",
                "never": "Never signed"}[self.value]


def pledge_history(member: Member) -> list[Pledge]:
    """The member's pledges, newest first (one query, versions joined)."""
    return list(db.session.scalars(
        select(Pledge).where(Pledge.member_id == member.id)
        .order_by(Pledge.signed_at.desc(), Pledge.id.desc())))


def latest_fingerprint_of(member_id: int) -> str | None:
    """The Code fingerprint of the member's newest pledge: one indexed query."""
    return db.session.scalar(
        select(Pledge.code_fingerprint).where(Pledge.member_id == member_id)
        .order_by(Pledge.signed_at.desc(), Pledge.id.desc()).limit(1))


def status_for(fingerprint_signed: str | None, current: str) -> PledgeStatus:
    if fingerprint_signed is None:
        return PledgeStatus.NEVER
    return PledgeStatus.CURRENT if fingerprint_signed == current else PledgeStatus.EARLIER


@dataclass(frozen=True)
class MemberRow:
    member: Member
    status: PledgeStatus
    latest_pledge: Pledge | None
    signed_version: str | None


def _latest_pledge_ids() -> Select:
    """member_id → id of the newest pledge (ids grow with time: pledges are never edited)."""
    return (select(Pledge.member_id, func.max(Pledge.id).label("pledge_id"))
            .group_by(Pledge.member_id).subquery())


def members_with_pledge_status(current_fingerprint: str, *, status: str = "",
                               membership_type: str = "", search: str = "") -> Select:
    """One SELECT of (Member, latest Pledge or None, CodeVersion or None, status), filtered."""
    latest = _latest_pledge_ids()
    latest_pledge = aliased(Pledge)
    version = aliased(CodeVersion)
    status_expr = case(
        (latest_pledge.id.is_(None), literal(PledgeStatus.NEVER.value)),
        (latest_pledge.code_fingerprint == current_fingerprint,
         literal(PledgeStatus.CURRENT.value)),
        else_=literal(PledgeStatus.EARLIER.value)).label("status")
    statement = (
        select(Member, latest_pledge, version.version.label("signed_version"), status_expr)
        .outerjoin(latest, latest.c.member_id == Member.id)
        .outerjoin(latest_pledge, latest_pledge.id == latest.c.pledge_id)
        .outerjoin(version, version.id == latest_pledge.code_version_id)
        .order_by(func.lower(Member.full_name), Member.id)
    )
    if status == PledgeStatus.NEVER:
        statement = statement.where(latest_pledge.id.is_(None))
    elif status == PledgeStatus.CURRENT:
        statement = statement.where(latest_pledge.code_fingerprint == current_fingerprint)
    elif status == PledgeStatus.EARLIER:
        statement = statement.where(and_(latest_pledge.id.is_not(None),
                                         latest_pledge.code_fingerprint != current_fingerprint))
    if membership_type:
        statement = statement.where(Member.membership_type == membership_type)
    if search.strip():
        pattern = f"%{search.strip().lower()}%"
        statement = statement.where(or_(func.lower(Member.full_name).like(pattern),
                                        func.lower(Member.membership_number).like(pattern)))
    return statement


def rows_of(result) -> list[MemberRow]:
    return [MemberRow(member=r[0], latest_pledge=r[1], signed_version=r[2],
                      status=PledgeStatus(r[3])) for r in result]
