"""The committee's queue: which cases a person may see, who a case is waiting on, filters,
sorts, pages and counts, in a fixed handful of SQL statements whose cost does not grow with the
caseload.

Counts: a person's cases per stage are the maintained per-state counts (``CaseStateCount``,
kept by triggers) minus the few cases hidden from them, so they are exact and cheap. Counts that
cannot be maintained (a filtered total, overdue, due soon, my cases, needs my action) stop
counting after ``COUNT_CAP`` rows and show "1,000+" (``Count``): each reaches its rows through an
index, so at most ``COUNT_CAP + 1`` rows are read however large the caseload.

Visibility: committee members, the chair and administrators see every case except those they
are a party to (complainant or respondent) and those whose panel they left (recused, or
removed after an upheld objection). "Needs my action" is what the procedure waits on (see
``WAITING_ON``) intersected with the capacities the person has on each case, the same
capacities ``workflow.guards.acting_kinds`` gives them, expressed in SQL.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    true,
    union,
    union_all,
)
from sqlalchemy.orm import aliased, contains_eager, joinedload, lazyload

from ..accounts.models import Member, User, UserRole
from ..cases.models import Allegation, Case
from ..casework.models import OfficerAssignment
from ..extensions import db
from ..security import Role
from ..types import UTCDateTime
from ..workflow.models import (
    CaseWorkflow,
    PanelObjection,
    PanelSeat,
    PanelVote,
    Sanction,
    SanctionStatus,
)
from ..workflow.procedure import STATES, STATES_BY_NAME
from .models import CaseStateCount

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
#: Counts that cannot be maintained stop here and show "1,000+": reading more rows would make
#: the page slower as the caseload grows, and nobody works through more than this from a count.
COUNT_CAP = 1000


@dataclass(frozen=True)
class Count:
    """A number of cases, or ``capped``: there are more than ``n`` (counting stopped)."""

    n: int
    capped: bool = False

    def __str__(self) -> str:
        return f"{self.n:,}+" if self.capped else f"{self.n:,}"

    def __add__(self, other: Count) -> Count:
        return Count(self.n + other.n, self.capped or other.capped)

    def __bool__(self) -> bool:
        return self.n > 0 or self.capped


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
    clauses: list[str] = field(default_factory=list)

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
    total: Count  # capped: more cases than were counted, so the last page is not known
    page_size: int
    stage_counts: dict[str, Count]
    tab_counts: dict[str, Count]
    now: datetime
    pages: int = field(init=False)  # the last page, or the last one counted when capped

    def __post_init__(self) -> None:
        self.pages = max((self.total.n + self.page_size - 1) // self.page_size, 1)

    @property
    def has_next(self) -> bool:
        return self.filters.page < self.pages or self.total.capped

    def _sum(self, names: Any) -> Count:
        return sum((self.stage_counts.get(name, Count(0)) for name in names), Count(0))

    @property
    def capped(self) -> bool:
        """Some count on the page is a lower bound."""
        counts = [self.total, *self.stage_counts.values(), *self.tab_counts.values()]
        return any(count.capped for count in counts)

    @property
    def open_count(self) -> Count:
        return self._sum(OPEN_STATES)

    @property
    def finished_count(self) -> Count:
        return self._sum(FINAL_STATES)


# -- conditions -------------------------------------------------------------------------------


def _member_id(user: User) -> int | None:
    member = getattr(user, "member", None)
    return member.id if member is not None else None


def hidden_from(user: User) -> Select[Any]:
    """Ids of the cases ``user`` may not see in the queue: those they are a party to
    (complainant or respondent) and those whose panel they left (recused, or removed after an
    upheld objection). A few rows, each reached through an index."""
    member_id = _member_id(user)
    parts = [
        select(Case.id).where(Case.complainant_user_id == user.id),
        select(PanelSeat.case_id).where(PanelSeat.user_id == user.id,
                                        PanelSeat.recused_at.is_not(None)),
    ]
    if member_id is not None:
        parts.append(select(Case.id).where(Case.respondent_member_id == member_id))
    return union(*parts)  # type: ignore[return-value]


@dataclass(frozen=True)
class Viewer:
    """The person looking at the queue, with the cases hidden from them (id, state), read
    once per page: every statement of the page then excludes the same few ids, and the counts
    per stage subtract exactly those from the maintained counts. Hashable, so that the
    statements built for a viewer are built once per process (``lru_cache``)."""

    user_id: int
    roles: frozenset[str]
    hidden: tuple[tuple[int, str], ...] = ()

    @classmethod
    def of(cls, user: User) -> Viewer:
        rows = db.session.execute(
            select(Case.id, Case.state).where(Case.id.in_(hidden_from(user)))
            .order_by(Case.id))
        return cls(user.id, frozenset(grant.role for grant in user.role_grants),
                   tuple((case_id, state) for case_id, state in rows))

    @property
    def hidden_ids(self) -> list[int]:
        return [case_id for case_id, _ in self.hidden]


def visible_to(viewer: Viewer) -> ColumnElement[bool]:
    """Cases the viewer (already known to be committee, chair or admin) may see in the
    queue: all but ``hidden_from`` them (nothing to exclude for most people)."""
    return Case.id.notin_(viewer.hidden_ids) if viewer.hidden else true()


#: The moment of the page, and the end of "due soon": bound at execution (``at(now)``), so the
#: statements do not change from one request to the next and are built once per viewer.
NOW = bindparam("now", type_=UTCDateTime())
SOON = bindparam("soon", type_=UTCDateTime())


def at(now: datetime) -> dict[str, datetime]:
    """The parameters ``NOW`` and ``SOON`` for a page shown at ``now``."""
    return {"now": now, "soon": now + timedelta(days=DUE_SOON_DAYS)}


# Open cases are named (``state IN``), not excluded, so the (state, due_at) index serves them.
def overdue() -> ColumnElement[bool]:
    return and_(Case.state.in_(OPEN_STATES), Case.due_at.is_not(None), Case.due_at < NOW)


def due_soon() -> ColumnElement[bool]:
    return and_(Case.state.in_(OPEN_STATES), Case.due_at >= NOW, Case.due_at < SOON)


def _investigator_is(user_id: int) -> Any:
    return Case.id.in_(select(CaseWorkflow.case_id).where(
        CaseWorkflow.investigator_user_id == user_id))


def _officer_is(user_id: int) -> Any:
    return Case.id.in_(select(OfficerAssignment.case_id).where(
        OfficerAssignment.officer_user_id == user_id, OfficerAssignment.ended_at.is_(None)))


def mine(user_id: int) -> ColumnElement[bool]:
    """Cases the person is the case officer of, investigates, or sits on the panel of: one
    ``IN`` over the union of their assignments, seats and investigations, each an index
    lookup, so the database starts from the person's few cases rather than from every case."""
    return Case.id.in_(union(
        select(OfficerAssignment.case_id).where(OfficerAssignment.officer_user_id == user_id,
                                                OfficerAssignment.ended_at.is_(None)),
        select(CaseWorkflow.case_id).where(CaseWorkflow.investigator_user_id == user_id),
        select(PanelSeat.case_id).where(PanelSeat.user_id == user_id,
                                        PanelSeat.recused_at.is_(None))))


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


@dataclass(frozen=True)
class InState:
    """The cases of one state, all of them (``only`` None) or those matching ``only``: a part
    of a capped count. ``walk`` is the indexed order to read them in (the state's index on
    (state, submitted_at) or (state, due_at), so reading stops at the cap), or None when
    ``only`` leads from the person's own few rows (their seats, their investigations)."""

    state: str
    only: ColumnElement[bool] | None
    walk: Any

    @property
    def condition(self) -> ColumnElement[bool]:
        if self.only is None:
            return Case.state == self.state
        return and_(Case.state == self.state, self.only)


def _waiting_on_me(viewer: Viewer) -> list[InState]:
    """Where the procedure waits on the viewer at ``NOW``, one entry per state (so that each
    is counted on its own, through its state's index, and the entries never overlap)."""
    roles = {Role(role) for role in viewer.roles}
    user_id = viewer.user_id
    kinds = set()
    if Role.CHAIR in roles:
        kinds |= {"chair", "committee"}
    if Role.COMMITTEE in roles:
        kinds.add("committee")
    # The hearing waits on the chair only once every seated member has voted this round, or
    # while an objection to a panel member awaits the chair's ruling.
    whole = {state for state, who in WAITING_ON.items()
             if kinds & set(who) and state != "hearing"}
    parts: dict[str, list[ColumnElement[bool]]] = {}
    walks: dict[str, Any] = {}
    if "chair" in kinds:
        # Correlated with the case: read for hearing cases only, not for every panel ever sat.
        someone_to_vote = _seats_without_vote(None).where(PanelSeat.case_id == Case.id).exists()
        parts["hearing"] = [or_(~someone_to_vote, Case.id.in_(
            select(PanelObjection.case_id).where(PanelObjection.ruling.is_(None))))]
        walks["hearing"] = Case.submitted_at
    if kinds:
        for state in COMMITTEE_AFTER_DUE:
            parts.setdefault(state, []).append(Case.due_at < NOW)
            walks[state] = Case.due_at
    # The person's own rows: an investigation, a seat to declare on or to vote from.
    mine_in: dict[str, list[Any]] = {"investigation": [select(CaseWorkflow.case_id).where(
        CaseWorkflow.investigator_user_id == user_id)]}
    for state, kind in PANEL_KIND.items():
        mine_in.setdefault(state, []).append(select(PanelSeat.case_id).where(
            PanelSeat.user_id == user_id, PanelSeat.kind == kind,
            PanelSeat.recused_at.is_(None), PanelSeat.conflict_declared_at.is_(None)))
        if state == "hearing":
            mine_in[state].append(_seats_without_vote(user_id))
    for state, selects in mine_in.items():
        parts.setdefault(state, []).append(Case.id.in_(union(*selects)))
    waiting = [InState(state, None, Case.submitted_at) for state in sorted(whole)]
    waiting += [InState(state, or_(*only), walks.get(state) if len(only) == 1 else None)
                for state, only in sorted(parts.items()) if state not in whole]
    return waiting


@lru_cache(maxsize=256)
def needs_action(viewer: Viewer) -> ColumnElement[bool]:
    """Cases where the procedure waits on the viewer at ``NOW``."""
    waiting = _waiting_on_me(viewer)
    not_party = visible_to(viewer)  # parties never act on the committee's side of their case
    return and_(not_party, or_(*(w.condition for w in waiting))) if waiting else false()


def conditions(viewer: Viewer, filters: Filters, *, with_stage: bool = True,
               with_view: bool = True) -> list[ColumnElement[bool]]:
    """The WHERE clause of the queue for the viewer under ``filters`` (also the benchmark
    floor's, so that both run the same SQL)."""
    where: list[ColumnElement[bool]] = [visible_to(viewer)]
    if with_stage:
        if filters.stage == "open":
            where.append(Case.state.in_(OPEN_STATES))
        elif filters.stage == "closed":
            where.append(Case.state.in_(FINAL_STATES))
        elif filters.stage != "all":
            where.append(Case.state == filters.stage)
    if with_view and filters.view == "mine":
        where.append(mine(viewer.user_id))
    elif with_view and filters.view == "action":
        where.append(needs_action(viewer))
    if filters.overdue:
        where.append(overdue())
    if filters.due_soon:
        where.append(due_soon())
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


def ordering(filters: Filters) -> list[Any]:
    """ORDER BY of the chosen sort; the case id breaks ties, so pages never overlap."""
    column = {
        "submitted": Case.submitted_at, "due": Case.due_at, "changed": Case.state_changed_at,
        "reference": Case.reference, "stage": Case.state, "respondent": Member.full_name,
    }[filters.sort]
    ordered = column.desc() if filters.descending else column.asc()
    if filters.sort in ("due", "respondent"):
        ordered = ordered.nulls_last()
    return [ordered, Case.id.desc() if filters.descending else Case.id.asc()]


def _capped_count(where: list[ColumnElement[bool]], limit: int) -> Any:
    """``min(count, limit + 1)`` of the cases matching ``where``, as a scalar subquery: the
    database stops after ``limit + 1`` rows (``SELECT count(*) FROM (SELECT 1 ... LIMIT n)``).
    """
    sample = _from_cases(select(literal(1).label("one"))).where(*where).limit(limit + 1)
    return select(func.count()).select_from(sample.subquery()).scalar_subquery()


def _capped_count_of(where: list[ColumnElement[bool]], parts: list[InState],
                     limit: int) -> Any:
    """``_capped_count`` of the cases matching ``where`` and any of ``parts``: each state
    is read on its own (walking its index, or from the person's own rows) and stops at the
    cap; the states never overlap, so the parts are appended (UNION ALL) and the count
    stops as soon as the cap is reached."""
    if not parts:
        return literal(0)

    def sample(entry: InState) -> Any:
        part = _from_cases(select(Case.id)).where(*where, entry.condition)
        if entry.walk is not None:
            part = part.order_by(entry.walk)
        return select(part.limit(limit + 1).subquery().c.id)

    ids = union_all(*(sample(entry) for entry in parts)).subquery()
    capped = select(ids.c.id).limit(limit + 1).subquery()
    return select(func.count()).select_from(capped).scalar_subquery()


def _count(n: int | None, limit: int | None = None) -> Count:
    limit = COUNT_CAP if limit is None else limit
    n = int(n or 0)
    return Count(limit, capped=True) if n > limit else Count(n)


def stage_counts_statement() -> Select[Any]:
    """(state, cases in it): the maintained counts, whatever the caseload."""
    return select(CaseStateCount.state, CaseStateCount.n)


def stage_counts(viewer: Viewer) -> dict[str, Count]:
    """Cases per state that the viewer may see, exactly: the maintained count of each state
    minus the viewer's hidden cases in it (one statement)."""
    hidden = Counter(state for _, state in viewer.hidden)
    rows = db.session.execute(stage_counts_statement())
    return {state: Count(n - hidden[state]) for state, n in rows if n - hidden[state]}


@lru_cache(maxsize=256)
def narrowed_stage_counts_statement(viewer: Viewer, filters: Filters, cap: int) -> Select[Any]:
    """(state, cases) among at most ``cap + 1`` cases matching ``filters`` (the stage
    aside)."""
    sample = (_from_cases(select(Case.state))
              .where(*conditions(viewer, filters, with_stage=False))
              .limit(cap + 1).subquery())
    return select(sample.c.state, func.count()).group_by(sample.c.state)


def _narrowed_stage_counts(viewer: Viewer, filters: Filters,
                           now: datetime) -> tuple[dict[str, Count], bool]:
    """Cases per state under ``filters`` (the stage aside), from at most ``COUNT_CAP + 1``
    of them. Returns the counts and whether they are exact; when not, each is a lower bound."""
    counted = dict(db.session.execute(
        narrowed_stage_counts_statement(viewer, replace(filters, page=1), COUNT_CAP),
        at(now)).all())
    exact = sum(counted.values()) <= COUNT_CAP
    return {state: Count(int(n), capped=not exact) for state, n in counted.items()}, exact


def _stage_total(filters: Filters, counts: dict[str, Count]) -> Count:
    """The total of the chosen stage, from exact counts per state."""
    names = {"open": OPEN_STATES, "closed": FINAL_STATES, "all": counts.keys()}.get(
        filters.stage, (filters.stage,))
    return sum((counts.get(name, Count(0)) for name in names), Count(0))


@lru_cache(maxsize=256)
def total_statement(viewer: Viewer, filters: Filters, limit: int) -> Select[Any]:
    """min(cases matching ``filters``, ``limit`` + 1)."""
    return select(_capped_count(conditions(viewer, filters), limit))


@lru_cache(maxsize=256)
def rows_statement(viewer: Viewer, filters: Filters, page_size: int) -> Select[Any]:
    """The page ``filters.page`` of cases, with their workflow rows and whether the
    procedure waits on the viewer."""
    return (
        select(Case, CaseWorkflow, case((needs_action(viewer), literal(True)), else_=False))
        .select_from(Case).outerjoin(CaseWorkflow, CaseWorkflow.case_id == Case.id)
        .outerjoin(Member, Member.id == Case.respondent_member_id)
        .options(contains_eager(Case.respondent).lazyload(Member.user),  # not shown
                 joinedload(CaseWorkflow.investigator).lazyload(User.member),  # name only
                 joinedload(CaseWorkflow.investigator).lazyload(User.role_grants),
                 lazyload(Case.allegations))  # only their clause ids: clauses_statement
        .where(*conditions(viewer, filters)).order_by(*ordering(filters))
        .limit(page_size).offset((filters.page - 1) * page_size)
    )


def queue_page(user: User, filters: Filters, now: datetime, page_size: int = 50) -> Page:
    """One page of the queue in a fixed number of statements: the cases hidden from the
    person (one), counts per stage (the maintained counts, or a capped sample when a view or
    filter narrows them), the tab counts (one statement), the total only when the counts
    per stage cannot give it, the rows (one query, plus one each for their allegations,
    sanctions and case officers). The statements are built once per person and filters
    (``lru_cache``); the moment is bound at execution."""
    viewer = Viewer.of(user)
    moment = at(now)
    narrowed = filters.narrowed or filters.view != "all"
    if narrowed:
        counts, exact = _narrowed_stage_counts(viewer, filters, now)
    else:
        counts, exact = stage_counts(viewer), True
    # The count must reach past the requested page, so that its rows exist when it is capped.
    limit = max(COUNT_CAP, filters.page * page_size)
    if exact:
        total = _stage_total(filters, counts)
    else:
        total = _count(db.session.scalar(
            total_statement(viewer, replace(filters, page=1), limit), moment), limit)
    pages = max((total.n + page_size - 1) // page_size, 1)
    page_number = filters.page if total.capped else min(filters.page, pages)
    filters = replace(filters, page=page_number)
    rows = [Row(case=c, flow=flow, needs_action=bool(flag),
                overdue=bool(c.due_at and c.due_at < now and c.state not in FINAL_STATES))
            for c, flow, flag in db.session.execute(
                rows_statement(viewer, filters, page_size), moment).unique().all()]
    if rows:
        case_ids = [r.case.id for r in rows]
        sanctions = db.session.scalars(sanctions_statement(case_ids))
        latest = {s.case_id: s for s in sanctions}  # the last one per case wins
        officers = dict(db.session.execute(officers_statement(case_ids)).all())
        clauses: dict[int, list[str]] = {}
        for case_id, clause_id in db.session.execute(clauses_statement(case_ids)):
            clauses.setdefault(case_id, []).append(clause_id)
        for row in rows:
            row.sanction = latest.get(row.case.id)
            row.officer = officers.get(row.case.id, "")
            row.clauses = clauses.get(row.case.id, [])
    return Page(filters=filters, rows=rows, total=total, page_size=page_size,
                stage_counts=counts, now=now,
                tab_counts=tab_counts(viewer, now, None if narrowed else counts))


def clauses_statement(case_ids: list[int]) -> Select[Any]:
    """(case id, clause id) of these cases' allegations, in their order: plain rows, not
    ORM objects (the queue shows the ids only)."""
    return (select(Allegation.case_id, Allegation.clause_id)
            .where(Allegation.case_id.in_(case_ids)).order_by(Allegation.position))


def sanctions_statement(case_ids: list[int]) -> Select[Any]:
    """The live sanctions of these cases, oldest first (the last one is the case's)."""
    return (select(Sanction).where(Sanction.case_id.in_(case_ids),
                                   Sanction.status.notin_(DEAD_SANCTIONS))
            .order_by(Sanction.id))


def officers_statement(case_ids: list[int]) -> Select[Any]:
    """(case id, name of its current case officer) for these cases."""
    return (select(OfficerAssignment.case_id, User.full_name)
            .join(User, User.id == OfficerAssignment.officer_user_id)
            .where(OfficerAssignment.case_id.in_(case_ids),
                   OfficerAssignment.ended_at.is_(None)))


TAB_CONDITIONS = ("mine", "action", "overdue", "soon")


@lru_cache(maxsize=256)
def tab_counts_statement(viewer: Viewer, cap: int) -> Select[Any]:
    """One row: the capped counts of the person's open cases that are theirs (``mine``),
    need their action, are overdue, or are due soon; each reaches its rows through an index
    (the person's assignments and seats; the states waiting on their role; state and due
    date)."""
    open_visible = [visible_to(viewer), Case.state.in_(OPEN_STATES)]
    counts = {
        "mine": _capped_count([*open_visible, mine(viewer.user_id)], cap),
        "action": _capped_count_of(open_visible, _waiting_on_me(viewer), cap),
        # One open state at a time, along its (state, due_at) index.
        "overdue": _capped_count_of(open_visible, [
            InState(state, overdue(), Case.due_at.desc()) for state in OPEN_STATES], cap),
        "soon": _capped_count_of(open_visible, [
            InState(state, due_soon(), Case.due_at) for state in OPEN_STATES], cap),
    }
    return select(*(counts[name].label(name) for name in TAB_CONDITIONS))


def tab_counts(viewer: Viewer, now: datetime,
               visible_per_state: dict[str, Count] | None = None) -> dict[str, Count]:
    """Open cases: all, mine, needing my action, overdue, due soon. "All" is the sum of the
    person's maintained counts per state (``visible_per_state``, read here when not given);
    the others are capped counts, all four in one statement (``tab_counts_statement``)."""
    per_state = visible_per_state if visible_per_state is not None else stage_counts(viewer)
    counted = db.session.execute(tab_counts_statement(viewer, COUNT_CAP), at(now)).one()
    counts = {"all": sum((per_state.get(name, Count(0)) for name in OPEN_STATES), Count(0))}
    counts.update({name: _count(getattr(counted, name)) for name in TAB_CONDITIONS})
    return counts


def assignees_statement() -> Select[Any]:
    """(id, name) of the active committee members and chairs, by name."""
    return (select(User.id, User.full_name).where(User.active.is_(True), User.id.in_(
        select(UserRole.user_id).where(UserRole.role.in_(
            [Role.COMMITTEE.value, Role.CHAIR.value]))))
        .order_by(User.full_name))


def assignee_choices() -> list[tuple[int, str]]:
    """Committee members and chairs who may be case officer or investigator (one query)."""
    return [(row[0], row[1]) for row in db.session.execute(assignees_statement())]
