"""What the case page's workflow box shows: the actions this person may take now (each with
its form), the panel, the sanction and the member's prior sanctions. A fixed handful of
queries per page, whatever the case holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..accounts.models import User
from ..cases.models import Case
from ..code import current_code
from ..extensions import db
from ..types import utcnow
from . import code_versions, guards, ladder, operations
from .context import Acting
from .forms import StepForm, build_form
from .models import CaseStay, CaseWorkflow, PanelObjection, PanelSeat, PanelVote, Sanction
from .procedure import STATES_BY_NAME, State, Step, first_step


@dataclass
class Action:
    step: Step
    form: StepForm
    url: str


@dataclass
class CaseBox:
    case: Case
    state: State | None
    acting: Acting
    flow: CaseWorkflow | None
    actions: list[Action] = field(default_factory=list)
    seats: list[PanelSeat] = field(default_factory=list)
    sanctions: list[Sanction] = field(default_factory=list)
    prior: list[Sanction] = field(default_factory=list)
    floor: ladder.Floor | None = None
    voted_seat_ids: set[int] = field(default_factory=set)
    code: code_versions.Applicable | None = None
    stays: list[CaseStay] = field(default_factory=list)
    objections: list[PanelObjection] = field(default_factory=list)

    @property
    def first_panel(self) -> list[PanelSeat]:
        return [s for s in self.seats if s.kind == "first"]

    @property
    def appeal_panel(self) -> list[PanelSeat]:
        return [s for s in self.seats if s.kind == "appeal"]

    @property
    def deciding(self) -> bool:
        return any(a.step.trigger in ("decide", "decide_appeal", "propose_agreement")
                   for a in self.actions)

    def ladder_entry(self, key: str) -> Any:
        try:
            return current_code().sanction(key)
        except KeyError:
            return None


def case_box(case: Case, user: Any, *, side: str | None = None) -> CaseBox:
    flow = db.session.get(CaseWorkflow, case.id)
    # Panelists are shown by name: their roles and roll entry load only if something asks.
    panelist = joinedload(PanelSeat.user)
    seats = list(db.session.scalars(
        select(PanelSeat).where(PanelSeat.case_id == case.id)
        .order_by(PanelSeat.kind, PanelSeat.id)
        .options(panelist.lazyload(User.role_grants), panelist.lazyload(User.member))))
    kind = guards.seat_kind_for(case.state)
    acting = Acting(user, guards.acting_kinds(
        user, case, investigator_id=flow.investigator_user_id if flow else None,
        seat_user_ids=frozenset(s.user_id for s in seats if s.kind == kind and s.active)))
    box = CaseBox(case=case, state=STATES_BY_NAME.get(case.state), acting=acting, flow=flow,
                  seats=seats)
    box.sanctions = list(db.session.scalars(select(Sanction).where(Sanction.case_id == case.id)
                                            .order_by(Sanction.id)))
    box.code = code_versions.applicable(case, flow, utcnow().date())
    if flow is not None:
        box.stays = list(db.session.scalars(select(CaseStay).where(CaseStay.case_id == case.id)
                                            .order_by(CaseStay.id)))
        if any(s.kind == "first" for s in seats):
            box.objections = list(db.session.scalars(
                select(PanelObjection).where(PanelObjection.case_id == case.id)
                .order_by(PanelObjection.id)))
    if flow is not None:
        box.voted_seat_ids = set(db.session.scalars(
            select(PanelVote.seat_id).where(PanelVote.case_id == case.id,
                                            PanelVote.round == flow.hearing_round).distinct()))
    is_party_view = side == "respondent" or "respondent" in acting.kinds
    if case.respondent_member_id and not is_party_view:
        box.prior = ladder.prior_sanctions(case.respondent_member_id,
                                           exclude_case_id=case.id)
        box.floor = ladder.floor_for(current_code(), box.prior,
                                     flow.minimum_level if flow else 1)
    triggers = operations.available_triggers(case, acting)
    if "respondent" in acting.kinds:
        endpoint = "workflow.respondent_action"
        triggers = [t for t in triggers if "respondent" in first_step(t).actors]
    else:
        endpoint = "workflow.committee_action"
        triggers = [t for t in triggers if not {"respondent", "complainant"}
                    & first_step(t).actors]
    people = None
    for trigger in triggers:
        if trigger in ("start_investigation", "appoint_panelist") and people is None:
            from .views import committee_people

            people = committee_people(case)
        form = build_form(trigger, case=case, people=people or [], prefix=trigger)
        box.actions.append(Action(first_step(trigger), form,
                                  url_for(endpoint, reference=case.reference, trigger=trigger)))
    return box
