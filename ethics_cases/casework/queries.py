"""Read-only casework queries: tags for list pages and filters, and the sanction consistency
view. Each function is a fixed number of SQL statements, whatever the number of cases.

For the case queue (another feature): ``filter_by_tags(select(Case), ["urgent"])`` narrows a
``select(Case)`` to cases carrying ALL the given tag slugs; ``tags_for_cases(ids)`` loads the
tags of a page of cases in one query; ``all_tags()`` lists the tags for a filter menu.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select

from ..cases.models import Allegation, Case
from ..code import current_code
from ..extensions import db
from ..workflow.models import AllegationFinding, Sanction, SanctionStatus
from .models import CaseTag, Tag


def all_tags() -> list[Tag]:
    return list(db.session.scalars(select(Tag).order_by(Tag.name)))


def tags_marking_case(case_id: int) -> list[tuple[Tag, bool]]:
    """Every tag (for the case page's tag menu), each with whether the case carries it: the
    page's tag section in one query instead of ``all_tags`` plus ``tags_for_cases``."""
    return [(tag, bool(carried)) for tag, carried in db.session.execute(
        select(Tag, CaseTag.case_id.is_not(None))
        .outerjoin(CaseTag, and_(CaseTag.tag_id == Tag.id, CaseTag.case_id == case_id))
        .order_by(Tag.name))]


def tag_counts() -> dict[int, int]:
    """How many cases carry each tag (one query)."""
    return dict(db.session.execute(
        select(CaseTag.tag_id, func.count()).group_by(CaseTag.tag_id)).all())


def tags_for_cases(case_ids: Iterable[int]) -> dict[int, list[Tag]]:
    """``{case_id: [Tag, ...]}`` for a page of cases, in one query."""
    ids = list(case_ids)
    found: dict[int, list[Tag]] = defaultdict(list)
    if not ids:
        return found
    rows = db.session.execute(
        select(CaseTag.case_id, Tag).join(Tag, Tag.id == CaseTag.tag_id)
        .where(CaseTag.case_id.in_(ids)).order_by(Tag.name)).all()
    for case_id, tag in rows:
        found[case_id].append(tag)
    return found


def filter_by_tags(query: Select[Any], slugs: Sequence[str]) -> Select[Any]:
    """``query`` (a select over ``Case``) limited to cases carrying every tag in ``slugs``.
    Unknown slugs match nothing (an empty result, not an error)."""
    slugs = [s for s in dict.fromkeys(slugs) if s]
    if not slugs:
        return query
    tagged = (select(CaseTag.case_id).join(Tag, Tag.id == CaseTag.tag_id)
              .where(Tag.slug.in_(slugs)).group_by(CaseTag.case_id)
              .having(func.count(func.distinct(Tag.slug)) == len(slugs)))
    return query.where(Case.id.in_(tagged))


# -- sanction consistency -------------------------------------------------------------------

#: Outcomes that count as a sanction the body really decided (not merely proposed or declined).
DECIDED_STATUSES = tuple(s.value for s in (
    SanctionStatus.PENDING_APPEAL, SanctionStatus.IN_EFFECT, SanctionStatus.COMPLETED,
    SanctionStatus.ESCALATED, SanctionStatus.VARIED, SanctionStatus.OVERTURNED))


@dataclass
class Precedent:
    """One earlier decision, anonymised: no reference, no names, only the year and month."""

    decided: str  # "2025-03"
    level: int
    key: str
    status: str
    by_agreement: bool
    name: str = ""  # the ladder's name for ``key`` (e.g. "Training or Education")
    clauses: list[str] = field(default_factory=list)


@dataclass
class Consistency:
    clauses: list[str]
    precedents: list[Precedent]
    own_record: list[Precedent]

    @property
    def by_level(self) -> dict[int, int]:
        counts: dict[int, int] = defaultdict(int)
        for p in self.precedents:
            counts[p.level] += 1
        return dict(sorted(counts.items()))


def _precedents(rows: Iterable[Any]) -> list[Precedent]:
    by_sanction: dict[int, Precedent] = {}
    for sanction_id, decided_at, level, key, status, by_agreement, clause_id in rows:
        entry = by_sanction.get(sanction_id)
        if entry is None:
            entry = by_sanction[sanction_id] = Precedent(
                _month(decided_at), level, key, status, bool(by_agreement), _name(key))
        if clause_id and clause_id not in entry.clauses:
            entry.clauses.append(clause_id)
    return sorted(by_sanction.values(), key=lambda p: (p.decided, p.level), reverse=True)


def _name(key: str) -> str:
    try:
        return current_code().sanction(key).name
    except KeyError:
        return key.replace("_", " ")


def _month(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m") if moment else "—"


def sanction_consistency(case: Case, limit: int = 50) -> Consistency:
    """Earlier decided sanctions on other members' cases where one of the same clauses was
    found breached (or agreed), anonymised; and this member's own earlier record. Two SQL
    queries."""
    clauses = sorted({a.clause_id for a in case.allegations})
    columns = (Sanction.id, Sanction.decided_at, Sanction.level, Sanction.key, Sanction.status,
               Sanction.by_agreement, Allegation.clause_id)
    precedents: list[Precedent] = []
    if clauses:
        breached = (select(AllegationFinding.id).where(
            AllegationFinding.allegation_id == Allegation.id,
            AllegationFinding.breached.is_(True)).exists())
        query = (
            select(*columns)
            .join(Allegation, Allegation.case_id == Sanction.case_id)
            .where(Allegation.clause_id.in_(clauses),
                   Sanction.case_id != case.id,
                   Sanction.status.in_(DECIDED_STATUSES),
                   or_(Sanction.by_agreement.is_(True), breached))
            .order_by(Sanction.decided_at.desc()))
        if case.respondent_member_id is not None:
            query = query.where(Sanction.member_id != case.respondent_member_id)
        precedents = _precedents(db.session.execute(query.limit(limit * 4)).all())[:limit]
    own: list[Precedent] = []
    if case.respondent_member_id is not None:
        own = _precedents(db.session.execute(
            select(*columns)
            .outerjoin(Allegation, and_(Allegation.case_id == Sanction.case_id))
            .where(Sanction.member_id == case.respondent_member_id,
                   Sanction.case_id != case.id,
                   Sanction.status.in_(DECIDED_STATUSES))
            .order_by(Sanction.decided_at.desc())).all())
    return Consistency(clauses, precedents, own)
