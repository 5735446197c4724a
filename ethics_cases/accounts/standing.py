"""A member's standing: derived here, and only here.

Standing is never stored: it follows from the membership dates and (once the workflow records
them) the sanctions in force, so it can never drift out of step with the record. Other modules
ask ``standing_of(member)`` for one member or ``standings_of(members)`` for a list (a fixed
number of queries, whatever the list's length).

Extending: a domain that knows about sanctions registers a *source* with
``register_standing_source(fn)``; ``fn(member_ids, on)`` returns ``{member_id: Standing}`` for
the members it has something to say about, in one query. The most severe standing wins.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from datetime import date

from ..types import utcnow
from .models import Member


class Standing(enum.StrEnum):
    # Declared mildest first: ``severity`` is the declaration order.
    GOOD = "good"
    NOT_YET_MEMBER = "not_yet_member"
    ON_PROBATION = "on_probation"
    SUSPENDED = "suspended"
    LAPSED = "lapsed"
    REVOKED = "revoked"

    @property
    def severity(self) -> int:
        return list(Standing).index(self)

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def may_sign_pledge(self) -> bool:
        return self in (Standing.GOOD, Standing.ON_PROBATION)

    @property
    def why_no_pledge(self) -> str:
        """Plain words for a member who may not sign now."""
        return _NO_PLEDGE.get(self, "")

    @classmethod
    def from_sanction_effect(cls, effect: str) -> Standing:
        """Map a sanction's ``standing`` effect in code_of_ethics.yaml to a standing."""
        return {"unchanged": cls.GOOD, "on_probation": cls.ON_PROBATION,
                "suspended": cls.SUSPENDED, "revoked": cls.REVOKED}[effect]


_LABELS = {
    Standing.GOOD: "Good standing",
    Standing.NOT_YET_MEMBER: "Membership not yet started",
    Standing.ON_PROBATION: "On probation",
    Standing.SUSPENDED: "Suspended",
    Standing.LAPSED: "Membership ended",
    Standing.REVOKED: "Membership revoked",
}
_NO_PLEDGE = {
    Standing.NOT_YET_MEMBER: "Your membership has not started yet; you can sign the pledge "
    "from the day it starts.",
    Standing.SUSPENDED: "Your membership is suspended, so you cannot sign the pledge until "
    "the suspension ends.",
    Standing.LAPSED: "Your membership has ended, so you cannot sign the pledge. Please contact "
    "the association to renew it.",
    Standing.REVOKED: "Your membership has been revoked, so you cannot sign the pledge.",
}

StandingSource = Callable[[list[int], date], Mapping[int, Standing]]
_sources: list[StandingSource] = []


def register_standing_source(source: StandingSource) -> StandingSource:
    """Add a source of standings (e.g. sanctions in force); usable as a decorator."""
    if source not in _sources:
        _sources.append(source)
    return source


def standing_from_dates(member: Member, on: date) -> Standing:
    if member.ended_on is not None and member.ended_on <= on:
        return Standing.LAPSED
    if member.joined_on is not None and member.joined_on > on:
        return Standing.NOT_YET_MEMBER
    return Standing.GOOD


def standings_of(members: Iterable[Member], on: date | None = None) -> dict[int, Standing]:
    """``{member.id: Standing}`` for many members: one query per registered source."""
    day = on or utcnow().date()
    members = list(members)
    result = {member.id: standing_from_dates(member, day) for member in members}
    if not members:
        return result
    ids = list(result)
    for source in _sources:
        for member_id, standing in source(ids, day).items():
            if member_id in result and standing.severity > result[member_id].severity:
                result[member_id] = standing
    return result


def standing_of(member: Member, on: date | None = None) -> Standing:
    """The standing of one member on a day (today by default)."""
    return standings_of([member], on)[member.id]
