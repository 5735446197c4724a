"""The sanctions ladder, enforced from the Code's data (``code_of_ethics.yaml``), never from
constants here: limits (``max_per_member``), escalation floors (``escalate_to``), agreement
eligibility and required details all come from ``Sanction.rules``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from ..code import current_code
from ..code.model import Code
from ..code.model import Sanction as LadderEntry
from ..extensions import db
from .context import Refused
from .models import IMPOSED_STATUSES, Sanction

DETAIL_LABELS = {
    "programme": "the training or education programme",
    "completion_deadline": "the completion deadline",
    "start_date": "the start date",
    "end_date": "the end date",
    "authority": "the authority referred to",
    "authority_reference": "the authority's reference",
}
DATE_DETAILS = frozenset({"completion_deadline", "start_date", "end_date"})


@dataclass(frozen=True)
class Floor:
    level: int
    why: str


def prior_sanctions(member_id: int, *, exclude_case_id: int | None = None) -> list[Sanction]:
    """Sanctions imposed on the member (newest first), for the ladder and the decision page."""
    query = select(Sanction).where(Sanction.member_id == member_id,
                                   Sanction.status.in_([s.value for s in IMPOSED_STATUSES]))
    if exclude_case_id is not None:
        query = query.where(Sanction.case_id != exclude_case_id)
    return list(db.session.scalars(query.order_by(Sanction.decided_at.desc(), Sanction.id.desc())))


def floor_for(code: Code, prior: Iterable[Sanction], minimum_level: int = 1) -> Floor:
    """The lowest level the next sanction may have: limits reached raise it to their
    ``escalate_to``; an escalation for non-compliance raises it to ``minimum_level``."""
    counts = Counter(sanction.key for sanction in prior)
    floor = Floor(1, "")
    if minimum_level > 1:
        floor = Floor(minimum_level, "the case was escalated for non-compliance with level "
                      f"{minimum_level - 1}")
    for entry in code.sanctions:
        rules = entry.rules
        if rules.max_per_member is None or rules.escalate_to is None:
            continue
        if counts[entry.key] >= rules.max_per_member:
            target = code.sanction(rules.escalate_to).level
            if target > floor.level:
                floor = Floor(target, f"the member has already had {counts[entry.key]} × "
                              f"{entry.name} (at most {rules.max_per_member})")
    return floor


def check_sanction(
    key: str | None,
    details: Mapping[str, Any],
    *,
    prior: list[Sanction],
    minimum_level: int,
    today: date,
    agreement: bool = False,
) -> tuple[LadderEntry, dict[str, Any]]:
    """The ladder entry and the details to store, or ``Refused`` naming the rule broken."""
    code = current_code()
    if not key:
        raise Refused("Choose a sanction from the ladder.", "sanction_key")
    try:
        entry = code.sanction(key)
    except KeyError:
        raise Refused(f"There is no sanction {key!r} in the Code.", "sanction_key") from None
    rules = entry.rules
    if agreement and not rules.agreement_eligible:
        raise Refused(f"{entry.name} cannot be resolved by agreement: only "
                      + ", ".join(s.name for s in code.sanctions if s.rules.agreement_eligible)
                      + " can.", "sanction_key")
    given = Counter(s.key for s in prior)[entry.key]
    if rules.max_per_member is not None and given >= rules.max_per_member:
        raise Refused(f"{entry.name} may be given at most {rules.max_per_member} times to a "
                      f"member; this member has had {given}.", "sanction_key")
    floor = floor_for(code, prior, minimum_level)
    if entry.level < floor.level:
        raise Refused(f"The sanction must be at least level {floor.level} "
                      f"({code.sanction_at_level(floor.level).name}) because {floor.why}.",
                      "sanction_key")
    stored: dict[str, Any] = {}
    for name in rules.requires:
        value = details.get(name)
        if value in (None, ""):
            raise Refused(f"{entry.name} requires {DETAIL_LABELS.get(name, name)}.", name)
        stored[name] = value.isoformat() if isinstance(value, date) else str(value).strip()
    if "start_date" in rules.requires and details["end_date"] <= details["start_date"]:
        raise Refused("The end date must be after the start date.", "end_date")
    if "end_date" in rules.requires and details["end_date"] <= today:
        raise Refused("The end date must be in the future.", "end_date")
    if "completion_deadline" in rules.requires and details["completion_deadline"] <= today:
        raise Refused("The completion deadline must be in the future.", "completion_deadline")
    return entry, stored


def needs_follow_up(entry: LadderEntry) -> bool:
    """Whether a case stays open while this sanction runs (something to complete or end)."""
    return entry.rules.compliance in ("completion_confirmed", "review_at_end", "expires_at_end")
