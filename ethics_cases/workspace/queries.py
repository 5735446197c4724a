"""The committee's queue: which cases a person may see, who a case is waiting on, filters,
sorts, pages and counts, each as one SQL statement whatever the caseload.

Visibility: committee members, the chair and administrators see every case except those they
are a party to (complainant or respondent) and those whose panel they left (recused, or
removed after an upheld objection). "Needs my action" is what the procedure waits on (see
``WAITING_ON``) intersected with the capacities the person has on each case, the same
capacities ``workflow.guards.acting_kinds`` gives them, expressed in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, and_, case, exists, false, func, literal, or_, select
from sqlalchemy.orm import aliased, contains_eager

from ..accounts.models import Member, User, UserRole
from ..cases.models import Allegation, Case
from ..casework.models import OfficerAssignment
from ..extensions import db
from ..security import Role
from ..workflow.models import (
    CaseWorkflow,
    PanelObjection,
    PanelSeat,
    PanelVote,
    Sanction,
    SanctionStatus,
)
from ..workflow.procedure import STATES, STATES_BY_NAME

FINAL_STATES: frozenset[str] = frozenset(s.name for s in STATES if s.final)
OPEN_STATES: tuple[str, ...] = tuple(s.name for s in STATES if not s.final)

#: Who the procedure waits on in each open state, while its deadline runs. Checked against
#: ``procedure.STEPS`` by the tests (each actor named here has a step from that state).
WAITING_ON: dict[str, tuple[str, ...]] = {
    "submitted": ("committee",),                 # start screening
    "screening": ("chair",),                     # accept, dismiss, refer, ask for information
    "more_information_requested": ("complainant",),
    "awaiting_response": ("respondent",),
    "resolution_proposed": ("respondent",),
    "investigation": ("investigator",),
    "panel_forming": ("chair", "panelist"),      # appoint; seated members declare
    "hearing": ("panelist", "chair"),            # votes, then the decision
    "decided": ("respondent",),                  # may appeal until the window closes
    "appeal": ("chair", "panelist"),
    "sanction_in_effect": ("respondent",),       # complies until the deadline
    "stayed": (),                                # parallel proceedings: nobody here
}
#: Once the deadline in these states has passed, the committee must take the next step.
COMMITTEE_AFTER_DUE: frozenset[str] = frozenset({
    "more_information_requested", "awaiting_response", "decided", "sanction_in_effect"})
#: "Due soon": the deadline falls within this many days.
DUE_SOON_DAYS = 7
#: States in which a panel sits, and which panel.
PANEL_KIND: dict[str, str] = {"panel_forming": "first", "hearing": "first", "appeal": "appeal"}
#: A sanction that was replaced or never imposed is not "the case's sanction".
DEAD_SANCTIONS = (SanctionStatus.DECLINED.value, SanctionStatus.VARIED.value,
                  SanctionStatus.OVERTURNED.value)

WAITING_LABELS = {
    "committee": "committee", "chair": "chair", "complainant": "complainant",
    "respondent": "member", "investigator": "investigator", "panelist": "panel",
}

SORTS: dict[str, str] = {
    "submitted": "Filed", "due": "Due date", "changed": "Last change", "reference": "Reference",
    "stage": "Stage", "respondent": "Member",
}
VIEWS: dict[str, str] = {"all": "All cases", "mine": "My cases", "action": "Needs my action"}
STAGE_CHOICES: dict[str, str] = {"open": "Open", "closed": "Finished", "all": "Any stage",
                                 **{s.name: s.title for s in STATES}}


@dataclass(frozen=True)
class Filters:
    view: str = "all"
    stage: str = "open"
    sanction: str = ""
    clause: str = ""
    respondent: str = ""
    assignee: int | None = None
    overdue: bool = False
    due_soon: bool = False  # due within DUE_SOON_DAYS, not yet overdue
    sort: str = "submitted"
    descending: bool = True
    page: int = 1

    @classmethod
    def from_args(cls, args: Any) -> Filters:
        """Unknown values fall back to the defaults (a bad link never errors)."""
        def text(name: str, limit: int = 100) -> str:
            return (args.get(name) or "").strip()[:limit]

        view = text("view")
        stage = text("stage") or text("state")  # ``state``: the old /cases/?state= links
        sort = text("sort")
        try:
            assignee = int(args.get("assignee") or 0) or None
        except ValueError:
            assignee = None
        try:
            page = max(int(args.get("page") or 1), 1)
        except ValueError:
            page = 1
        direction = text("dir")  # asc | desc | reverse (of the sort's usual order, the form's)
        sort = sort if sort in SORTS else "submitted"
        natural_descending = sort in ("submitted", "changed")
        return cls(
            view=view if view in VIEWS else "all",
            stage=stage if stage in STAGE_CHOICES else "open",
            sanction=text("sanction", 40), clause=text("clause", 40).upper(),
            respondent=text("respondent"), assignee=assignee,
            overdue=args.get("overdue") in ("1", "on", "true"),
            due_soon=args.get("soon") in ("1", "on", "true"), sort=sort,
            descending=(direction == "desc") if direction in ("asc", "desc")
            else (not natural_descending) if direction == "reverse" else natural_descending,
            page=page,
        )

    def args(self, **changes: Any) -> dict[str, Any]:
        """Query-string arguments of these filters with ``changes``, defaults left out."""
        values = replace(self, **changes) if changes else self
        default = Filters()
        out: dict[str, Any] = {}
        for name in ("view", "stage", "sanction", "clause", "respondent", "assignee", "sort",
                     "page"):
            value = getattr(values, name)
            if value and value != getattr(default, name):
                out[name] = value
        if values.overdue:
            out["overdue"] = "1"
        if values.due_soon:
            out["soon"] = "1"
        natural = values.sort in ("submitted", "changed")
        if values.descending != natural:
            out["dir"] = "desc" if values.descending else "asc"
        return out

    def query_string(self, **changes: Any) -> str:
        return urlencode(self.args(**changes))

    @property
    def narrowed(self) -> bool:
        return bool(self.sanction or self.clause or self.respondent or self.assignee
                    or self.overdue or self.due_soon)


@dataclass
class Row:
    case: Case
    flow: CaseWorkflow | None
    needs_action: bool
    overdue: bool
    sanction: Sanction | None = None
    officer: str = ""

    @property
    def state_title(self) -> str:
        state = STATES_BY_NAME.get(self.case.state)
        return state.title if state else self.case.state

    @property
    def final(self) -> bool:
        return self.case.state in FINAL_STATES

    @property
    def waiting_on(self) -> str:
        if self.final:
            return ""
        if self.overdue and self.case.state in COMMITTEE_AFTER_DUE:
            return "committee"
        return ", ".join(WAITING_LABELS[k] for k in WAITING_ON.get(self.case.state, ()))


@dataclass
class Page:
    filters: Filters
    rows: list[Row]
    total: int
    page_size: int
    stage_counts: dict[str, int]
    tab_counts: dict[str, int]
    now: datetime
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        self.pages = max((self.total + self.page_size - 1) // self.page_size, 1)


# -- conditions -------------------------------------------------------------------------------


def _member_id(user: User) -> int | None:
    member = getattr(user, "member", None)
    return member.id if member is not None else None


def visible_to(user: User) -> ColumnElement[bool]:
    """Cases ``user`` (already known to be committee, chair or admin) may see in the queue."""
    member_id = _member_id(user)
    # Uncorrelated subqueries (``IN (SELECT ...)``): evaluated once, not once per case.
    left_panel = select(PanelSeat.case_id).where(PanelSeat.user_id == user.id,
                                                 PanelSeat.recused_at.is_not(None))
    conditions = [
        or_(Case.complainant_user_id.is_(None), Case.complainant_user_id != user.id),
        Case.id.notin_(left_panel),
    ]
    if member_id is not None:
        conditions.append(or_(Case.respondent_member_id.is_(None),
                              Case.respondent_member_id != member_id))
    return and_(*conditions)


def overdue(now: datetime) -> ColumnElement[bool]:
    return and_(Case.due_at.is_not(None), Case.due_at < now, Case.state.notin_(FINAL_STATES))


def due_soon(now: datetime) -> ColumnElement[bool]:
    return and_(Case.due_at >= now, Case.due_at < now + timedelta(days=DUE_SOON_DAYS),
                Case.state.notin_(FINAL_STATES))


def _active_seat(user: User) -> Any:
    return Case.id.in_(select(PanelSeat.case_id).where(PanelSeat.user_id == user.id,
                                                       PanelSeat.recused_at.is_(None)))


def _investigator_is(user_id: int) -> Any:
    return Case.id.in_(select(CaseWorkflow.case_id).where(
        CaseWorkflow.investigator_user_id == user_id))


def _officer_is(user_id: int) -> Any:
    return Case.id.in_(select(OfficerAssignment.case_id).where(
        OfficerAssignment.officer_user_id == user_id, OfficerAssignment.ended_at.is_(None)))


def mine(user: User) -> ColumnElement[bool]:
    """Cases the person is the case officer of, investigates, or sits on the panel of."""
    return or_(_officer_is(user.id), _investigator_is(user.id), _active_seat(user))


def _seats_without_vote(user_id: int | None) -> Any:
    """Case ids with an active first-panel seat (``user_id``'s, or anyone's) that has not
    voted in the case's current round."""
    seat_flow = aliased(CaseWorkflow)
    query = (select(PanelSeat.case_id)
             .join(seat_flow, seat_flow.case_id == PanelSeat.case_id)
             .where(PanelSeat.kind == "first", PanelSeat.recused_at.is_(None),
                    ~exists().where(PanelVote.seat_id == PanelSeat.id,
                                    PanelVote.round == seat_flow.hearing_round)))
    return query.where(PanelSeat.user_id == user_id) if user_id is not None else query


def needs_action(user: User, now: datetime) -> ColumnElement[bool]:
    """Cases where the procedure waits on ``user`` now."""
    roles = {Role(grant.role) for grant in user.role_grants}
    kinds = set()
    if Role.CHAIR in roles:
        kinds |= {"chair", "committee"}
    if Role.COMMITTEE in roles:
        kinds.add("committee")
    # The hearing waits on the chair only once every seated member has voted this round, or
    # while an objection to a panel member awaits the chair's ruling.
    by_role = [state for state, who in WAITING_ON.items()
               if kinds & set(who) and state != "hearing"]
    conditions: list[ColumnElement[bool]] = []
    if by_role:
        conditions.append(Case.state.in_(by_role))
    if "chair" in kinds:
        conditions.append(and_(Case.state == "hearing", or_(
            Case.id.notin_(_seats_without_vote(None)),
            Case.id.in_(select(PanelObjection.case_id).where(PanelObjection.ruling.is_(None))))))
    if kinds:
        conditions.append(and_(Case.state.in_(COMMITTEE_AFTER_DUE), Case.due_at < now))
    conditions.append(and_(Case.state == "investigation",
                           _investigator_is(user.id)))
    # A seated, non-recused panel member must declare (any panel state) and vote (hearing).
    for state, kind in PANEL_KIND.items():
        seat = and_(PanelSeat.user_id == user.id, PanelSeat.kind == kind,
                    PanelSeat.recused_at.is_(None))
        undeclared = Case.id.in_(select(PanelSeat.case_id).where(
            seat, PanelSeat.conflict_declared_at.is_(None)))
        if state == "hearing":
            not_voted = Case.id.in_(_seats_without_vote(user.id))
            conditions.append(and_(Case.state == state, or_(undeclared, not_voted)))
        else:
            conditions.append(and_(Case.state == state, undeclared))
    not_party = visible_to(user)  # parties never act on the committee's side of their case
    return and_(not_party, or_(*conditions)) if conditions else false()


def _filtered(user: User, filters: Filters, now: datetime, *, with_stage: bool = True,
              with_view: bool = True) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [visible_to(user)]
    if with_stage:
        if filters.stage == "open":
            where.append(Case.state.notin_(FINAL_STATES))
        elif filters.stage == "closed":
            where.append(Case.state.in_(FINAL_STATES))
        elif filters.stage != "all":
            where.append(Case.state == filters.stage)
    if with_view and filters.view == "mine":
        where.append(mine(user))
    elif with_view and filters.view == "action":
        where.append(needs_action(user, now))
    if filters.overdue:
        where.append(overdue(now))
    if filters.due_soon:
        where.append(due_soon(now))
    if filters.clause:
        where.append(Case.id.in_(select(Allegation.case_id).where(or_(
            Allegation.clause_id == filters.clause,
            Allegation.clause_id.like(filters.clause.replace("%", "") + ".%")))))
    if filters.sanction:
        where.append(Case.id.in_(select(Sanction.case_id).where(
            Sanction.key == filters.sanction, Sanction.status.notin_(DEAD_SANCTIONS))))
    if filters.respondent:
        text = filters.respondent
        pattern = "%" + text.replace("\\", "").replace("%", "").replace("_", "\\_") + "%"
        where.append(or_(
            Case.respondent_member_id.in_(select(Member.id).where(or_(
                Member.full_name.ilike(pattern, escape="\\"),
                Member.membership_number == text))),
            and_(Case.respondent_member_id.is_(None),
                 Case.respondent_description.ilike(pattern, escape="\\"))))
    if filters.assignee:  # the case officer or the investigator
        where.append(or_(_officer_is(filters.assignee),
                         _investigator_is(filters.assignee)))
    return where


def _from_cases(statement: Any) -> Any:
    """Counts read ``cases`` alone: every condition reaches other tables through an
    uncorrelated ``IN (SELECT ...)`` (the row query joins ``case_workflows`` to show it)."""
    return statement.select_from(Case)


def _order_by(filters: Filters) -> list[Any]:
    column = {
        "submitted": Case.submitted_at, "due": Case.due_at, "changed": Case.state_changed_at,
        "reference": Case.reference, "stage": Case.state, "respondent": Member.full_name,
    }[filters.sort]
    ordered = column.desc() if filters.descending else column.asc()
    if filters.sort in ("due", "respondent"):
        ordered = ordered.nulls_last()
    return [ordered, Case.id.desc() if filters.descending else Case.id.asc()]


def queue_page(user: User, filters: Filters, now: datetime, page_size: int = 50) -> Page:
    """One page of the queue: rows (one query, plus one each for their allegations, sanctions
    and case officers), the total (one COUNT), counts per stage (one GROUP BY) and the tab
    counts (one query of sums)."""
    where = _filtered(user, filters, now)
    total = db.session.scalar(_from_cases(select(func.count(Case.id))).where(*where)) or 0
    pages = max((total + page_size - 1) // page_size, 1)
    page_number = min(filters.page, pages)
    filters = replace(filters, page=page_number)
    action = needs_action(user, now)
    statement = (
        select(Case, CaseWorkflow, case((action, literal(True)), else_=False))
        .select_from(Case).outerjoin(CaseWorkflow, CaseWorkflow.case_id == Case.id)
        .outerjoin(Member, Member.id == Case.respondent_member_id)
        .options(contains_eager(Case.respondent).lazyload(Member.user))  # not shown
        .where(*where).order_by(*_order_by(filters))
        .limit(page_size).offset((page_number - 1) * page_size)
    )
    rows = [Row(case=c, flow=flow, needs_action=bool(flag),
                overdue=bool(c.due_at and c.due_at < now and c.state not in FINAL_STATES))
            for c, flow, flag in db.session.execute(statement).unique().all()]
    if rows:
        sanctions = db.session.scalars(
            select(Sanction).where(Sanction.case_id.in_([r.case.id for r in rows]),
                                   Sanction.status.notin_(DEAD_SANCTIONS))
            .order_by(Sanction.id))
        latest = {s.case_id: s for s in sanctions}  # the last one per case wins
        officers = dict(db.session.execute(
            select(OfficerAssignment.case_id, User.full_name)
            .join(User, User.id == OfficerAssignment.officer_user_id)
            .where(OfficerAssignment.case_id.in_([r.case.id for r in rows]),
                   OfficerAssignment.ended_at.is_(None))).all())
        for row in rows:
            row.sanction = latest.get(row.case.id)
            row.officer = officers.get(row.case.id, "")
    stage_counts = dict(db.session.execute(
        _from_cases(select(Case.state, func.count(Case.id)))
        .where(*_filtered(user, filters, now, with_stage=False)).group_by(Case.state)).all())
    return Page(filters=filters, rows=rows, total=total, page_size=page_size,
                stage_counts=stage_counts, tab_counts=tab_counts(user, now), now=now)


def tab_counts(user: User, now: datetime) -> dict[str, int]:
    """Open cases: all, mine, needing my action, overdue, due soon. One COUNT each, so each
    uses its own index (state; state and due date; the small sets of the person's seats,
    assignments and investigations) instead of one scan evaluating every condition per row."""
    base = [visible_to(user), Case.state.notin_(FINAL_STATES)]
    conditions = {"all": None, "mine": mine(user), "action": needs_action(user, now),
                  "overdue": overdue(now), "soon": due_soon(now)}
    counts = {}
    for name, condition in conditions.items():
        where = base if condition is None else [*base, condition]
        counts[name] = int(db.session.scalar(
            _from_cases(select(func.count(Case.id))).where(*where)) or 0)
    return counts


def assignee_choices() -> list[tuple[int, str]]:
    """Committee members and chairs who may be case officer or investigator (one query)."""
    users = db.session.execute(
        select(User.id, User.full_name).where(User.active.is_(True), User.id.in_(
            select(UserRole.user_id).where(UserRole.role.in_(
                [Role.COMMITTEE.value, Role.CHAIR.value]))))
        .order_by(User.full_name))
    return [(row[0], row[1]) for row in users]
