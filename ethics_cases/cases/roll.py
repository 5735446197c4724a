"""Searching the membership roll for the member a complaint is about.

Only current members, and only what identifies them publicly (name, membership number, type):
never an email or anything else from the roll.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, or_, select

from ..accounts.models import Member
from ..extensions import db

MAX_RESULTS = 10


def _current():  # type: ignore[no-untyped-def]
    return or_(Member.ended_on.is_(None), Member.ended_on >= date.today())


def search_roll(query: str, limit: int = MAX_RESULTS) -> list[Member]:
    text = " ".join((query or "").split())[:100]
    if len(text) < 2:
        return []
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    statement = (
        select(Member)
        .where(
            _current(),
            or_(
                func.lower(Member.full_name).like(f"%{escaped.lower()}%", escape="\\"),
                func.upper(Member.membership_number).like(f"{escaped.upper()}%", escape="\\"),
            ),
        )
        .order_by(Member.full_name, Member.membership_number)
        .limit(limit)
    )
    return list(db.session.scalars(statement))


def current_member_by_number(number: str) -> Member | None:
    if not number:
        return None
    return db.session.scalar(
        select(Member).where(Member.membership_number == number.strip(), _current())
    )


def public_entry(member: Member) -> dict[str, str]:
    return {"name": member.full_name, "membership_number": member.membership_number,
            "type": member.type_label}
