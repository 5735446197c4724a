"""Sanctions in force, as a source of the member's standing (``accounts.standing``).

Standing is derived, never stored: a sanction counts on day D while it is in effect and
``effective_from <= D < ends_on``, so a suspension ends by itself on its end date, with no job
to run. What each sanction does to standing comes from the Code's ladder (``rules.standing``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlalchemy import or_, select

from ..accounts.standing import Standing, register_standing_source
from ..code import current_code
from ..extensions import db
from .models import Sanction, SanctionStatus


def sanction_standings(member_ids: list[int], on: date) -> Mapping[int, Standing]:
    """The most severe standing each member's sanctions in force impose on ``on`` (one query)."""
    rows = db.session.execute(
        select(Sanction.member_id, Sanction.key).where(
            Sanction.member_id.in_(member_ids),
            Sanction.status == SanctionStatus.IN_EFFECT.value,
            Sanction.effective_from <= on,
            or_(Sanction.ends_on.is_(None), Sanction.ends_on > on),
        )
    ).all()
    code = current_code()
    result: dict[int, Standing] = {}
    for member_id, key in rows:
        try:
            standing = Standing.from_sanction_effect(code.sanction(key).rules.standing)
        except KeyError:  # a sanction key a later Code dropped: keep its effect visible
            continue
        if member_id not in result or standing.severity > result[member_id].severity:
            result[member_id] = standing
    return result


def install() -> None:
    register_standing_source(sanction_standings)
