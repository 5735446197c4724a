"""The figures behind each report, aggregated in SQL.

Every function returns a ``Report``: the rows (plain dicts, also the CSV) and what the chart
needs. Python only merges or labels the handful of grouped rows a query returns; it never loops
over cases. The period (``since``) applies to when cases were filed, stages entered and
sanctions decided; pledge coverage is always today's.

Time in each stage comes from the audit trail, the one record of every state change (and the
one retention keeps): each ``case.transition.*`` event whose state changed, plus
``complaint.filed`` and ``complaint.withdrawn``, starts a stay that the case's next such event
ends. Medians are computed in SQL with window functions, portable to SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    exists,
    extract,
    func,
    literal,
    or_,
    select,
    union_all,
)

from ..accounts.models import Member, MembershipType
from ..audit.models import AuditEvent
from ..cases.models import Allegation, Case
from ..code import current_code
from ..database import is_postgresql
from ..extensions import db
from ..pledges.models import Pledge
from ..workflow.models import IMPOSED_STATUSES, AllegationFinding, Sanction, SanctionStatus
from ..workflow.procedure import STATES

IMPOSED = [status.value for status in IMPOSED_STATUSES]

OUTCOMES: dict[str, str] = {
    "open": "Still open",
    "sanctioned": "Closed with a sanction",
    "no_sanction": "Closed without a sanction",
    "dismissed": "Dismissed",
    "withdrawn": "Withdrawn",
}


@dataclass
class Report:
    key: str
    title: str
    description: str
    columns: list[tuple[str, str]]
    rows: list[dict[str, Any]]
    extra: dict[str, Any] = field(default_factory=dict)

    #: The column whose figures are all zero when there is nothing to show.
    measure: str = ""

    @property
    def empty(self) -> bool:
        return not self.rows or (bool(self.measure) and not any(
            row.get(self.measure) for row in self.rows))


def month_start(day: date, months_back: int) -> datetime:
    """Midnight UTC on the first day of the month ``months_back - 1`` months before ``day``'s."""
    index = day.year * 12 + day.month - 1 - (months_back - 1)
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def months_between(start: datetime, day: date) -> list[str]:
    out, index = [], start.year * 12 + start.month - 1
    while index <= day.year * 12 + day.month - 1:
        out.append(f"{index // 12:04d}-{index % 12 + 1:02d}")
        index += 1
    return out


def _month(column: Any) -> ColumnElement[str]:
    if is_postgresql():
        return func.to_char(func.timezone("UTC", column), "YYYY-MM")
    return func.strftime("%Y-%m", column)


def _seconds_between(later: Any, earlier: Any) -> ColumnElement[float]:
    if is_postgresql():
        return extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


# -- cases by stage and outcome -------------------------------------------------------------

def stages_now() -> Report:
    """How many cases are in each stage today (all cases, not only the period's)."""
    counts = dict(db.session.execute(
        select(Case.state, func.count()).group_by(Case.state)).all())
    rows = [{"stage": state.title, "state": state.name, "cases": counts.pop(state.name, 0),
             "final": state.final} for state in STATES]
    rows += [{"stage": name, "state": name, "cases": n, "final": False}
             for name, n in sorted(counts.items())]
    return Report("stages", "Cases by stage today",
                  "Every case on record, by the stage it is in now.",
                  [("stage", "Stage"), ("cases", "Cases")], rows,
                  extra={"open_total": sum(r["cases"] for r in rows if not r["final"])},
                  measure="cases")


def _outcome_expression() -> ColumnElement[str]:
    sanctioned = exists(select(Sanction.id).where(Sanction.case_id == Case.id,
                                                  Sanction.status.in_(IMPOSED)))
    return case(
        (Case.state == "dismissed", literal("dismissed")),
        (Case.state == "withdrawn", literal("withdrawn")),
        (and_(Case.state == "closed", sanctioned), literal("sanctioned")),
        (Case.state == "closed", literal("no_sanction")),
        else_=literal("open"),
    )


def outcomes_by_month(since: datetime, today: date) -> Report:
    """Cases filed each month of the period, by where they stand now."""
    month = _month(Case.submitted_at).label("month")
    outcome = _outcome_expression().label("outcome")
    grouped = db.session.execute(
        select(month, outcome, func.count()).where(Case.submitted_at >= since)
        .group_by(month, outcome)).all()
    by_month: dict[str, dict[str, int]] = {m: dict.fromkeys(OUTCOMES, 0)
                                           for m in months_between(since, today)}
    for month_key, outcome_key, n in grouped:
        by_month.setdefault(month_key, dict.fromkeys(OUTCOMES, 0))[outcome_key] += n
    rows = [{"month": m, **counts, "total": sum(counts.values())}
            for m, counts in sorted(by_month.items())]
    return Report("outcomes", "Cases filed each month, by outcome",
                  "Complaints filed in each month of the period, by where they stand today.",
                  [("month", "Month"), *OUTCOMES.items(), ("total", "Total")], rows,
                  measure="total")


# -- time in each stage ---------------------------------------------------------------------

def stage_times(since: datetime) -> Report:
    """Median and number of completed stays in each stage entered during the period."""
    to_state = AuditEvent.details["to"].as_string()
    from_state = AuditEvent.details["from"].as_string()
    entries = union_all(
        select(AuditEvent.case_ref, AuditEvent.seq, AuditEvent.created_at,
               to_state.label("stage"))
        .where(AuditEvent.action.like("case.transition.%"), to_state != from_state),
        select(AuditEvent.case_ref, AuditEvent.seq, AuditEvent.created_at,
               literal("submitted").label("stage"))
        .where(AuditEvent.action == "complaint.filed"),
        select(AuditEvent.case_ref, AuditEvent.seq, AuditEvent.created_at,
               literal("withdrawn").label("stage"))
        .where(AuditEvent.action == "complaint.withdrawn"),
    ).subquery("entries")
    stays = select(
        entries.c.stage, entries.c.created_at.label("entered"),
        func.lead(entries.c.created_at).over(partition_by=entries.c.case_ref,
                                             order_by=entries.c.seq).label("left"),
    ).subquery("stays")
    durations = (
        select(stays.c.stage, _seconds_between(stays.c.left, stays.c.entered).label("seconds"))
        .where(stays.c.left.is_not(None), stays.c.entered >= since)
    ).subquery("durations")
    ranked = select(
        durations.c.stage, durations.c.seconds,
        func.row_number().over(partition_by=durations.c.stage,
                               order_by=durations.c.seconds).label("rn"),
        func.count().over(partition_by=durations.c.stage).label("n"),
    ).subquery("ranked")
    medians = db.session.execute(
        select(ranked.c.stage, func.avg(ranked.c.seconds), func.max(ranked.c.n))
        .where(ranked.c.rn * 2 >= ranked.c.n, ranked.c.rn * 2 <= ranked.c.n + 2)
        .group_by(ranked.c.stage)).all()
    found = {stage: (float(seconds), int(n)) for stage, seconds, n in medians}
    titles = {state.name: state.title for state in STATES}
    order = [*titles, *sorted(s for s in found if s not in titles)]
    rows = [{"stage": titles.get(name, name), "state": name,
             "median_days": round(found[name][0] / 86400, 1), "stays": found[name][1]}
            for name in order if name in found]
    return Report("stage_times", "Median time in each stage",
                  "How long cases stayed in each stage (entered during the period and since "
                  "left), from the audit trail. Half the stays were shorter than the median.",
                  [("stage", "Stage"), ("median_days", "Median days"),
                   ("stays", "Completed stays")], rows)


# -- sanctions ------------------------------------------------------------------------------

def sanctions_by_level(since: datetime, today: date) -> Report:
    """Sanctions imposed during the period, by level of the ladder; and how many are in force."""
    in_force = case((and_(Sanction.status == SanctionStatus.IN_EFFECT.value,
                          Sanction.effective_from <= today,
                          or_(Sanction.ends_on.is_(None), Sanction.ends_on > today)), 1),
                    else_=0)
    grouped = db.session.execute(
        select(Sanction.level, Sanction.key, func.count(), func.sum(in_force))
        .where(Sanction.status.in_(IMPOSED), Sanction.decided_at >= since)
        .group_by(Sanction.level, Sanction.key)).all()
    counts = {(level, key): (int(n), int(live or 0)) for level, key, n, live in grouped}
    rows = []
    for entry in current_code().sanctions:
        n, live = counts.pop((entry.level, entry.key), (0, 0))
        rows.append({"level": entry.level, "sanction": entry.name, "imposed": n,
                     "in_force": live})
    for (level, key), (n, live) in sorted(counts.items()):
        rows.append({"level": level, "sanction": key, "imposed": n, "in_force": live})
    return Report("sanctions", "Sanctions by level",
                  "Sanctions imposed (decided, and not overturned or varied on appeal) during "
                  "the period, by level of the ladder; “in force” counts those in force today.",
                  [("level", "Level"), ("sanction", "Sanction"), ("imposed", "Imposed"),
                   ("in_force", "In force today")], rows, measure="imposed")


# -- clauses --------------------------------------------------------------------------------

def clauses(since: datetime) -> Report:
    """Clauses alleged in cases filed during the period, and how often the panel upheld them
    (a breach found in the allegation's latest hearing round)."""
    alleged = dict(db.session.execute(
        select(Allegation.clause_id, func.count(func.distinct(Allegation.case_id)))
        .join(Case, Case.id == Allegation.case_id).where(Case.submitted_at >= since)
        .group_by(Allegation.clause_id)).all())
    latest = (select(AllegationFinding.allegation_id,
                     func.max(AllegationFinding.round).label("round"))
              .group_by(AllegationFinding.allegation_id).subquery("latest"))
    upheld = dict(db.session.execute(
        select(Allegation.clause_id, func.count(func.distinct(Allegation.case_id)))
        .join(AllegationFinding, AllegationFinding.allegation_id == Allegation.id)
        .join(latest, and_(latest.c.allegation_id == AllegationFinding.allegation_id,
                           latest.c.round == AllegationFinding.round))
        .join(Case, Case.id == Allegation.case_id)
        .where(AllegationFinding.breached.is_(True), Case.submitted_at >= since)
        .group_by(Allegation.clause_id)).all())
    code = current_code()
    rows = []
    for clause_id in set(alleged) | set(upheld):
        n_alleged, n_upheld = int(alleged.get(clause_id, 0)), int(upheld.get(clause_id, 0))
        heading = (code.section(code.clause(clause_id).section_id).heading
                   if code.has_clause(clause_id) else "")
        rows.append({"clause": clause_id, "section": heading, "alleged": n_alleged,
                     "upheld": n_upheld,
                     "upheld_percent": round(100 * n_upheld / n_alleged) if n_alleged else None})
    rows.sort(key=lambda r: (-r["alleged"], -r["upheld"], r["clause"]))
    most_upheld = sorted((r for r in rows if r["upheld"]),
                         key=lambda r: (-r["upheld"], r["clause"]))
    return Report("clauses", "Clauses most often alleged and upheld",
                  "Cases citing each clause (filed during the period), and in how many of them "
                  "the panel found that clause breached. Use it to guide training.",
                  [("clause", "Clause"), ("section", "Section"), ("alleged", "Cases alleging"),
                   ("upheld", "Cases upheld"), ("upheld_percent", "Upheld %")], rows,
                  extra={"most_upheld": most_upheld[:5]})


# -- pledge coverage ------------------------------------------------------------------------

def pledge_coverage(today: date) -> Report:
    """Current members by membership type and pledge status (current Code, earlier, never)."""
    latest = (select(Pledge.member_id, func.max(Pledge.id).label("pledge_id"))
              .group_by(Pledge.member_id).subquery("latest"))
    fingerprint = current_code().fingerprint
    status = case((Pledge.id.is_(None), literal("never")),
                  (Pledge.code_fingerprint == fingerprint, literal("current")),
                  else_=literal("earlier")).label("status")
    grouped = db.session.execute(
        select(Member.membership_type, status, func.count())
        .outerjoin(latest, latest.c.member_id == Member.id)
        .outerjoin(Pledge, Pledge.id == latest.c.pledge_id)
        .where(or_(Member.joined_on.is_(None), Member.joined_on <= today),
               or_(Member.ended_on.is_(None), Member.ended_on > today))
        .group_by(Member.membership_type, status)).all()
    table: dict[str, dict[str, int]] = {}
    for membership_type, pledge_status, n in grouped:
        table.setdefault(membership_type, {"current": 0, "earlier": 0, "never": 0})
        table[membership_type][pledge_status] += int(n)
    order = [t.value for t in MembershipType]
    rows = []
    for key in sorted(table, key=lambda k: (order.index(k) if k in order else 99, k)):
        rows.append(_coverage_row(_type_label(key), table[key]))
    totals = {s: sum(counts[s] for counts in table.values())
              for s in ("current", "earlier", "never")}
    if rows:
        rows.append(_coverage_row("All members", totals))
    return Report("pledges", "Pledge coverage of the membership",
                  "Current members, by whether their latest pledge is to the Code in force "
                  f"(version {current_code().version}), to an earlier version, or missing.",
                  [("membership_type", "Membership type"), ("current", "Current version"),
                   ("earlier", "Earlier version"), ("never", "Never signed"),
                   ("members", "Members"), ("coverage_percent", "Coverage %")], rows)


def _type_label(key: str) -> str:
    try:
        return MembershipType(key).label
    except ValueError:
        return key


def _coverage_row(label: str, counts: dict[str, int]) -> dict[str, Any]:
    members = sum(counts.values())
    return {"membership_type": label, **counts, "members": members,
            "coverage_percent": round(100 * counts["current"] / members) if members else None}


def all_reports(since: datetime, today: date) -> list[Report]:
    return [stages_now(), outcomes_by_month(since, today), stage_times(since),
            sanctions_by_level(since, today), clauses(since), pledge_coverage(today)]


REPORT_KEYS = ("stages", "outcomes", "stage_times", "sanctions", "clauses", "pledges")


def one_report(key: str, since: datetime, today: date) -> Report:
    return {
        "stages": lambda: stages_now(),
        "outcomes": lambda: outcomes_by_month(since, today),
        "stage_times": lambda: stage_times(since),
        "sanctions": lambda: sanctions_by_level(since, today),
        "clauses": lambda: clauses(since),
        "pledges": lambda: pledge_coverage(today),
    }[key]()
