"""Searching the register: a bounded number of queries per search, whatever the roll's size.

Enumeration is made hard on purpose: a query must have ``REGISTER_MIN_QUERY_LENGTH``
characters; membership numbers match exactly (no prefixes, so ``IMC-1`` lists nobody); a name
must contain every word typed; and a search matching more than ``REGISTER_MAX_RESULTS`` members
shows none of them, only a request to be more precise. The views are rate-limited as well.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, func, or_, select

from ..accounts.models import Member
from ..accounts.standing import Standing, standing_from_dates
from ..code import current_code
from ..extensions import db
from ..pledges.models import CodeVersion, Pledge
from ..types import utcnow
from ..workflow.models import IMPOSED_STATUSES, Sanction, SanctionStatus

MAX_QUERY_CHARS = 100


@dataclass(frozen=True)
class Policy:
    """What the register publishes, read from the configuration once per search."""

    sanction_keys: frozenset[str]
    history_days: int
    min_query_length: int
    max_results: int

    @classmethod
    def from_config(cls) -> Policy:
        config = current_app.config
        return cls(
            sanction_keys=frozenset(config.get("REGISTER_PUBLISHED_SANCTIONS") or ()),
            history_days=int(config.get("REGISTER_SANCTION_HISTORY_DAYS") or 0),
            min_query_length=int(config.get("REGISTER_MIN_QUERY_LENGTH") or 3),
            max_results=int(config.get("REGISTER_MAX_RESULTS") or 10),
        )

    def published_sanction_names(self) -> list[str]:
        return [s.name for s in current_code().sanctions if s.key in self.sanction_keys]


@dataclass(frozen=True)
class PublishedSanction:
    name: str
    level: int
    effective_from: date
    ends_on: date | None
    in_force: bool
    standing: Standing

    def as_dict(self) -> dict[str, Any]:
        return {"sanction": self.name, "level": self.level,
                "from": self.effective_from.isoformat(),
                "until": self.ends_on.isoformat() if self.ends_on else None,
                "in_force": self.in_force}


@dataclass(frozen=True)
class PledgeEntry:
    code_version: str
    signed_on: date
    current_version: bool

    def as_dict(self) -> dict[str, Any]:
        return {"code_version": self.code_version, "signed_on": self.signed_on.isoformat(),
                "current_version": self.current_version}


@dataclass(frozen=True)
class Entry:
    name: str
    membership_number: str
    membership_type: str
    status: str
    status_label: str
    pledge: PledgeEntry | None
    sanctions: list[PublishedSanction] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "membership_number": self.membership_number,
            "membership_type": self.membership_type,
            "status": self.status,
            "status_label": self.status_label,
            "pledge": self.pledge.as_dict() if self.pledge else None,
            "sanctions": [s.as_dict() for s in self.sanctions],
        }


@dataclass(frozen=True)
class SearchResult:
    query: str
    entries: list[Entry]
    too_short: bool = False
    too_many: bool = False

    @property
    def message(self) -> str:
        policy = Policy.from_config()
        if self.too_short:
            return (f"Type at least {policy.min_query_length} characters of the member's name, "
                    "or their full membership number.")
        if self.too_many:
            return (f"More than {policy.max_results} members match. Type more of the name, "
                    "or the full membership number.")
        if not self.entries:
            return "No member matches. Check the spelling, or try the membership number."
        return ""


def normalise(query: str | None) -> str:
    return " ".join((query or "").split())[:MAX_QUERY_CHARS]


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search(query: str | None, *, today: date | None = None) -> SearchResult:
    """Members matching ``query`` with what the register publishes about them (3 queries)."""
    policy = Policy.from_config()
    text = normalise(query)
    if len(text) < policy.min_query_length:
        return SearchResult(text, [], too_short=True)
    name = func.lower(Member.full_name)
    words = [and_(name.like(f"%{_escape(word.lower())}%", escape="\\")) for word in text.split()]
    statement = (
        select(Member)
        .where(or_(func.upper(Member.membership_number) == text.upper(), and_(*words)))
        .order_by(func.lower(Member.full_name), Member.membership_number)
        .limit(policy.max_results + 1)
    )
    members = list(db.session.scalars(statement))
    if len(members) > policy.max_results:
        return SearchResult(text, [], too_many=True)
    return SearchResult(text, entries_for(members, policy, today or utcnow().date()))


def entries_for(members: Iterable[Member], policy: Policy, today: date) -> list[Entry]:
    members = list(members)
    ids = [m.id for m in members]
    pledges = _latest_pledges(ids)
    sanctions = _published_sanctions(ids, policy, today)
    entries = []
    for member in members:
        published = sanctions.get(member.id, [])
        in_force = [s for s in published if s.in_force]
        status = max([standing_from_dates(member, today), *(s.standing for s in in_force)],
                     key=lambda standing: standing.severity)
        entries.append(Entry(
            name=member.full_name, membership_number=member.membership_number,
            membership_type=member.type_label, status=_public_status(status).value,
            status_label=_status_label(status, in_force), pledge=pledges.get(member.id),
            sanctions=published,
        ))
    return entries


def _public_status(standing: Standing) -> Standing:
    # Probation is published only as a sanction (if configured), never as a status of its own.
    return Standing.GOOD if standing == Standing.ON_PROBATION else standing


def _status_label(standing: Standing, in_force: list[PublishedSanction]) -> str:
    standing = _public_status(standing)
    if standing == Standing.GOOD:
        return "Current member"
    if standing == Standing.SUSPENDED:
        ends = [s.ends_on for s in in_force if s.standing == Standing.SUSPENDED and s.ends_on]
        return f"Suspended until {max(ends).day} {max(ends):%B %Y}" if ends else "Suspended"
    return standing.label


def _latest_pledges(member_ids: list[int]) -> dict[int, PledgeEntry]:
    if not member_ids:
        return {}
    latest = (select(func.max(Pledge.id)).where(Pledge.member_id.in_(member_ids))
              .group_by(Pledge.member_id))
    rows = db.session.execute(
        select(Pledge.member_id, CodeVersion.version, Pledge.signed_at, Pledge.code_fingerprint)
        .join(CodeVersion, CodeVersion.id == Pledge.code_version_id)
        .where(Pledge.id.in_(latest))
    ).all()
    current = current_code().fingerprint
    return {member_id: PledgeEntry(version, signed_at.date(), fingerprint == current)
            for member_id, version, signed_at, fingerprint in rows}


def _published_sanctions(member_ids: list[int], policy: Policy,
                         today: date) -> dict[int, list[PublishedSanction]]:
    """Sanctions of the published kinds that are in force today, or (with a history period)
    took effect within it. Proposed, declined, overturned, varied or pending-appeal sanctions
    are never published: they are not (or not yet) the association's final word."""
    if not member_ids or not policy.sanction_keys:
        return {}
    rows = db.session.scalars(
        select(Sanction)
        .where(Sanction.member_id.in_(member_ids), Sanction.key.in_(policy.sanction_keys),
               Sanction.status.in_([s.value for s in IMPOSED_STATUSES]),
               Sanction.effective_from.is_not(None), Sanction.effective_from <= today)
        .order_by(Sanction.effective_from.desc(), Sanction.id.desc())
    )
    code = current_code()
    since = today - timedelta(days=policy.history_days)
    result: dict[int, list[PublishedSanction]] = defaultdict(list)
    for sanction in rows:
        in_force = sanction.status == SanctionStatus.IN_EFFECT and sanction.in_force_on(today)
        if not in_force and not (policy.history_days and sanction.effective_from > since):
            continue
        try:
            entry = code.sanction(sanction.key)
            name, effect = entry.name, entry.rules.standing
        except KeyError:  # a key a later Code dropped
            name, effect = sanction.key.replace("_", " ").capitalize(), "unchanged"
        result[sanction.member_id].append(PublishedSanction(
            name=name, level=sanction.level, effective_from=sanction.effective_from,
            ends_on=sanction.ends_on, in_force=in_force,
            standing=Standing.from_sanction_effect(effect)))
    return dict(result)
