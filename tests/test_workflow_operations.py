"""The procedure through ``operations.fire``: each step allowed to the right person in the right
state, refused otherwise with a clear message, one audit event per step, nothing half-written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from ethics_cases.audit.models import AuditEvent
from ethics_cases.cases.models import CaseMessage
from ethics_cases.extensions import db
from ethics_cases.security import Role
from ethics_cases.workflow import machine, operations
from ethics_cases.workflow.context import CaseChanged, Refused
from ethics_cases.workflow.models import (
    AllegationFinding,
    Appeal,
    CaseWorkflow,
    PanelSeat,
    PanelVote,
    Sanction,
)

from .factories.accounts import MemberUserFactory, UserFactory
from .factories.workflow import ChairFactory, CommitteeUserFactory, Journey, future


def events(reference: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.case_ref == reference)
                                   .order_by(AuditEvent.seq)))


def count(model) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def release() -> None:
    """End the app session's transaction (on SQLite it holds the lock factories need)."""
    db.session.commit()


def refused(journey: Journey, trigger: str, user, data=None, reason="A reason.", **kw) -> str:  # type: ignore[no-untyped-def]
    before_state, before_version = journey.case.state, journey.case.version
    before_events = len(events(journey.case.reference))
    with pytest.raises(Refused) as caught:
        journey.fire(trigger, user, data, reason=reason, **kw)
    db.session.expire_all()
    case = db.session.get(type(journey.case), journey.case.id)
    assert (case.state, case.version) == (before_state, before_version)
    assert len(events(journey.case.reference)) == before_events
    journey.case = case
    return caught.value.message


# -- screening ------------------------------------------------------------------------------


def test_each_step_records_one_audit_event_with_from_to_and_reason(app_ctx, db_session):
    journey = Journey()
    journey.fire("start_screening", journey.chair, reason="")
    journey.fire("accept", journey.chair, {"clause_ids": ["MPP-A.2"]}, reason="In time.")
    recorded = events(journey.case.reference)
    assert [e.action for e in recorded] == ["case.transition.start_screening",
                                            "case.transition.accept"]
    accept = recorded[-1]
    assert accept.details["from"] == "screening" and accept.details["to"] == "awaiting_response"
    assert accept.reason == "In time."
    assert accept.actor_kind == "user" and accept.actor_id == str(journey.chair.id)
    assert accept.details["clause_ids"] == ["MPP-B.1", "MPP-A.2"]
    assert journey.case.state == "awaiting_response"
    # the member is told, and has 30 days by default
    assert journey.case.due_at.date() == (datetime.now(UTC) + timedelta(days=30)).date()
    notice = db.session.scalar(select(CaseMessage).where(CaseMessage.case_id == journey.case.id))
    assert notice.audience == "respondent"


def test_response_deadline_is_configurable(app, db_session):
    app.config["WORKFLOW_RESPONSE_DAYS"] = 10
    with app.app_context():
        journey = Journey().to_awaiting_response()
        assert journey.case.due_at.date() == (datetime.now(UTC) + timedelta(days=10)).date()


def test_screening_refused_to_members_and_to_a_committee_member_who_is_a_party(
        app_ctx, db_session):
    member = MemberUserFactory()
    # the respondent holds the chair role, but is a party: never on the committee side
    journey = Journey(respondent=MemberUserFactory(roles=[Role.MEMBER, Role.CHAIR]))
    message = refused(journey, "start_screening", member)
    assert message == "Only a committee member or the committee chair may start screening."
    assert "Only" in refused(journey, "start_screening", journey.respondent)


def test_accept_is_chair_only_and_dismiss_needs_reasons(app_ctx, db_session):
    journey = Journey()
    journey.fire("start_screening", journey.committee[0], reason="")
    assert refused(journey, "accept", journey.committee[0]) == \
        "Only the committee chair may accept and notify the member."
    assert refused(journey, "dismiss", journey.chair, reason="  ") == "Reasons is required."
    journey.fire("dismiss", journey.chair, reason="Outside the Code's scope.")
    assert journey.case.state == "dismissed"
    flow = db.session.get(CaseWorkflow, journey.case.id)
    assert flow.dismissal_reasons == "Outside the Code's scope."
    to_complainant = db.session.scalar(select(CaseMessage).where(
        CaseMessage.case_id == journey.case.id, CaseMessage.audience == "complainant"))
    assert "Outside the Code's scope." in to_complainant.body


def test_wrong_state_is_refused_in_plain_words(app_ctx, db_session):
    journey = Journey()
    assert refused(journey, "accept", journey.chair) == \
        "“Accept and notify the member” is not possible while the case is submitted."
    with pytest.raises(Refused, match="Unknown action"):
        journey.fire("query", journey.chair)


def test_accept_needs_jurisdiction_and_an_allegation(app_ctx, db_session):
    journey = Journey(clauses=())
    journey.fire("start_screening", journey.chair)
    assert refused(journey, "accept", journey.chair).startswith("Name at least one clause")
    with pytest.raises(Refused, match="no clause"):
        journey.fire("accept", journey.chair, {"clause_ids": ["NOPE-1.1"]})
    assert count(PanelSeat) == 0
    journey.case.respondent.ended_on = journey.case.conduct_start - timedelta(days=400)
    db.session.commit()
    assert "jurisdiction" in refused(journey, "accept", journey.chair,
                                     {"clause_ids": ["MPP-B.1"]})


def test_complaint_outside_the_time_limit_is_refused(app, db_session):
    app.config["WORKFLOW_TIME_LIMIT_DAYS"] = 30
    with app.app_context():
        journey = Journey()
        journey.fire("start_screening", journey.chair)
        assert "time limit" in refused(journey, "accept", journey.chair)


# -- response, extension, agreement ------------------------------------------------------


def test_respondent_responds_before_the_deadline_and_not_after(app_ctx, db_session):
    journey = Journey().to_awaiting_response()
    assert refused(journey, "respond", journey.chair).startswith("Only the member complained")
    journey.fire("respond", journey.respondent, reason="I did not do this.")
    response = db.session.scalar(select(CaseMessage).where(CaseMessage.author_kind == "respondent"))
    assert response.body == "I did not do this." and response.audience == "committee"
    assert events(journey.case.reference)[-1].reason == "Response to the allegations"
    late = datetime.now(UTC) + timedelta(days=31)
    assert refused(journey, "respond", journey.respondent, now=late).startswith(
        "The response deadline passed")
    # an extension (recorded with before/after) lets the member respond again
    new_due = (late + timedelta(days=10)).date().isoformat()
    assert "after the current one" in refused(journey, "extend_deadline", journey.chair,
                                              {"due_on": future(3)})
    journey.fire("extend_deadline", journey.chair, {"due_on": new_due}, reason="Illness.")
    extension = events(journey.case.reference)[-1]
    assert extension.details["due_at"]["after"].startswith(new_due)
    journey.fire("respond", journey.respondent, reason="More.", now=late)


def test_agreement_accepted_applies_the_sanction(app_ctx, db_session):
    journey = Journey().to_awaiting_response()
    message = refused(journey, "propose_agreement", journey.chair, {"sanction_key": "suspension"})
    assert message.startswith("Suspension cannot be resolved by agreement")
    assert "requires the training or education programme" in refused(
        journey, "propose_agreement", journey.chair, {"sanction_key": "training"})
    journey.fire("propose_agreement", journey.chair,
                 {"sanction_key": "training", "programme": "Ethics in mentoring",
                  "completion_deadline": future(90)})
    assert journey.case.state == "resolution_proposed"
    assert refused(journey, "accept_agreement", journey.chair).startswith("Only the member")
    journey.fire("accept_agreement", journey.respondent, reason="")
    assert journey.case.state == "sanction_in_effect"
    sanction = db.session.scalar(select(Sanction))
    assert (sanction.status, sanction.by_agreement, sanction.key) == ("in_effect", True, "training")
    assert sanction.details["programme"] == "Ethics in mentoring"


def test_agreement_declined_lets_the_case_go_on(app_ctx, db_session):
    journey = Journey().to_awaiting_response()
    journey.fire("propose_agreement", journey.chair, {"sanction_key": "warning"})
    journey.fire("decline_agreement", journey.respondent, reason="I contest the facts.")
    assert journey.case.state == "awaiting_response"
    assert db.session.scalar(select(Sanction.status)) == "declined"


def test_warning_by_agreement_closes_the_case(app_ctx, db_session):
    journey = Journey().to_awaiting_response()
    journey.fire("propose_agreement", journey.chair, {"sanction_key": "warning"})
    journey.fire("accept_agreement", journey.respondent, reason="")
    assert journey.case.state == "closed"
    assert db.session.scalar(select(Sanction.status)) == "completed"


# -- investigation and panel ---------------------------------------------------------------


def test_investigation_requests_and_findings_by_the_investigator_only(app_ctx, db_session):
    outsider = UserFactory()
    journey = Journey(respondent=MemberUserFactory(roles=[Role.MEMBER, Role.COMMITTEE]))
    journey.to_awaiting_response()
    assert "active member of the ethics committee" in refused(
        journey, "start_investigation", journey.chair, {"investigator_id": outsider.id})
    assert "party to this case" in refused(
        journey, "start_investigation", journey.chair,
        {"investigator_id": journey.respondent.id})
    journey.fire("start_investigation", journey.chair, {"investigator_id": journey.investigator.id})
    journey.fire("request_information", journey.investigator, {"audience": "complainant"},
                 reason="When did the sessions end?")
    request = db.session.scalar(select(CaseMessage).where(CaseMessage.is_request.is_(True)))
    assert request.audience == "complainant" and request.body == "When did the sessions end?"
    assert refused(journey, "submit_findings", journey.committee[0], {"findings": "x"}
                   ) == "Only the case's investigator may submit the findings report."
    assert refused(journey, "submit_findings", journey.investigator, {}) == \
        "Write the findings report."
    journey.fire("submit_findings", journey.investigator, {"findings": "Established."})
    assert journey.case.state == "panel_forming"


def _to_panel_forming(journey: Journey) -> None:
    journey.to_awaiting_response()
    journey.fire("start_investigation", journey.chair, {"investigator_id": journey.investigator.id})
    journey.fire("submit_findings", journey.investigator, {"findings": "Established."})


def test_panel_needs_three_declared_members_none_a_party_nor_the_investigator(
        app_ctx, db_session):
    journey = Journey(respondent=MemberUserFactory(roles=[Role.MEMBER, Role.COMMITTEE]))
    _to_panel_forming(journey)
    assert "party to this case" in refused(journey, "appoint_panelist", journey.chair,
                                           {"panelist_id": journey.respondent.id})
    assert "investigated this case" in refused(journey, "appoint_panelist", journey.chair,
                                               {"panelist_id": journey.investigator.id})
    for member in journey.panel[:2]:
        journey.fire("appoint_panelist", journey.chair, {"panelist_id": member.id})
    assert "already on this panel" in refused(journey, "appoint_panelist", journey.chair,
                                              {"panelist_id": journey.panel[0].id})
    assert refused(journey, "schedule_hearing", journey.chair, {"hearing_on": future(9)}) == \
        "The panel needs at least 3 members; it has 2."
    journey.fire("appoint_panelist", journey.chair, {"panelist_id": journey.panel[2].id})
    assert "waiting for" in refused(journey, "schedule_hearing", journey.chair,
                                    {"hearing_on": future(9)})
    # a non-seated committee member cannot declare; a seated one must tick the box
    assert refused(journey, "declare_no_conflict", journey.committee[4], {"no_conflict": True}
                   ) == "Only a member of the panel may declare no conflict of interest."
    assert "Confirm that you have no conflict" in refused(
        journey, "declare_no_conflict", journey.panel[0], {}, reason="")
    for member in journey.panel:
        journey.fire("declare_no_conflict", member, {"no_conflict": True}, reason="")
    # a recusal brings the panel under quorum until someone else is appointed and declares
    journey.fire("recuse", journey.panel[2], reason="I supervised the respondent in 2023.")
    assert "at least 3" in refused(journey, "schedule_hearing", journey.chair,
                                   {"hearing_on": future(9)})
    assert refused(journey, "declare_no_conflict", journey.panel[2], {"no_conflict": True}) == \
        "Only a member of the panel may declare no conflict of interest."
    journey.seat_panel([journey.committee[3]])
    assert refused(journey, "schedule_hearing", journey.chair, {}) == "Give the hearing date."
    journey.fire("schedule_hearing", journey.chair, {"hearing_on": future(9)})
    assert journey.case.state == "hearing"


def test_votes_by_declared_panelists_and_majority_decision(app_ctx, db_session):
    journey = Journey(clauses=("MPP-B.1", "MPP-A.2")).to_hearing()
    allegations = journey.case.allegations
    assert "missing: MPP-A.2" in refused(journey, "cast_vote", journey.panel[0],
                                         {"votes": {allegations[0].id: True}})
    assert "Every panel member must vote" in refused(journey, "decide", journey.chair)
    # 2-1 breached on B.1, 1-2 not breached on A.2
    for member, votes in zip(journey.panel, [(True, False), (True, True), (False, False)],
                             strict=True):
        journey.fire("cast_vote", member, {"votes": {a.id: v for a, v in
                                                      zip(allegations, votes, strict=True)}})
    assert count(PanelVote) == 6
    assert "Choose a sanction" in refused(journey, "decide", journey.chair)
    journey.decide("warning")
    assert journey.case.state == "decided"
    found = {f.allegation_id: (f.breached, f.votes_breached, f.votes_not_breached)
             for f in db.session.scalars(select(AllegationFinding))}
    assert found == {allegations[0].id: (True, 2, 1), allegations[1].id: (False, 1, 2)}
    assert db.session.scalar(select(Sanction.status)) == "pending_appeal"
    assert events(journey.case.reference)[-1].details["findings"]["MPP-B.1"] == {
        "breached": True, "votes": [2, 1]}


def test_no_breach_closes_the_case_without_a_sanction(app_ctx, db_session):
    journey = Journey().to_hearing()
    journey.vote(False)
    journey.decide(None)
    assert journey.case.state == "closed"
    assert count(Sanction) == 0


# -- appeal ---------------------------------------------------------------------------------


def _appeal_panel(journey: Journey) -> None:
    release()
    extra = CommitteeUserFactory()
    assert "sat on the first panel" in refused(journey, "appoint_panelist", journey.chair,
                                               {"panelist_id": journey.panel[0].id})
    journey.seat_panel([*journey.committee[3:5], extra])


def test_appeal_upheld_puts_the_sanction_into_effect(app_ctx, db_session):
    journey = Journey().to_decided("probation", start_date=future(1), end_date=future(180))
    assert refused(journey, "appeal", journey.chair).startswith("Only the member")
    journey.fire("appeal", journey.respondent, reason="The panel misread the evidence.")
    assert db.session.scalar(select(Appeal.against)) == "decision"
    _appeal_panel(journey)
    journey.fire("decide_appeal", journey.chair, {"appeal_outcome": "upheld"})
    assert journey.case.state == "sanction_in_effect"
    assert db.session.scalar(select(Sanction.status)) == "in_effect"


def test_appeal_varied_replaces_the_sanction_and_overturned_sets_it_aside(app_ctx, db_session):
    journey = Journey().to_decided("probation", start_date=future(1), end_date=future(180))
    journey.fire("appeal", journey.respondent, reason="Too harsh.")
    _appeal_panel(journey)
    assert refused(journey, "decide_appeal", journey.chair,
                   {"appeal_outcome": "varied", "sanction_key": "probation",
                    "start_date": future(1), "end_date": future(180)}) == \
        "A varied sanction must differ from the original."
    journey.fire("decide_appeal", journey.chair, {"appeal_outcome": "varied",
                                                  "sanction_key": "warning"})
    assert journey.case.state == "closed"
    statuses = dict(db.session.execute(select(Sanction.key, Sanction.status)).all())
    assert statuses == {"probation": "varied", "warning": "completed"}

    other = Journey(respondent=journey.respondent, chair=journey.chair,
                    committee=journey.committee).to_decided("warning")
    other.fire("appeal", other.respondent, reason="Not me.")
    _appeal_panel(other)
    other.fire("decide_appeal", other.chair, {"appeal_outcome": "overturned"})
    assert other.case.state == "closed"
    assert db.session.scalar(select(Sanction.status).where(
        Sanction.case_id == other.case.id)) == "overturned"


def test_appeal_outside_the_window_is_refused_and_the_sanction_then_takes_effect(
        app_ctx, db_session):
    journey = Journey().to_decided("warning")
    assert refused(journey, "confirm_sanction", journey.chair).startswith(
        "The appeal window is open until")
    late = datetime.now(UTC) + timedelta(days=29)
    assert refused(journey, "appeal", journey.respondent, now=late).startswith(
        "The appeal window closed on")
    journey.let_appeal_window_close()
    assert journey.case.state == "closed"


def test_complainant_appeals_a_dismissal_and_a_new_panel_overturns_it(app_ctx, db_session):
    journey = Journey()
    journey.fire("start_screening", journey.chair)
    journey.fire("dismiss", journey.chair, reason="No breach even if true.")
    assert refused(journey, "appeal_dismissal", journey.respondent).startswith(
        "Only the complainant")
    journey.fire("appeal_dismissal", None, reason="The conduct breached B.1.",
                 complainant_grant=True)
    assert journey.case.state == "appeal"
    assert events(journey.case.reference)[-1].actor_kind == "complainant"
    journey.seat_panel()
    assert "Choose the outcome: upheld, overturned" in refused(
        journey, "decide_appeal", journey.chair, {"appeal_outcome": "varied"})
    journey.fire("decide_appeal", journey.chair, {"appeal_outcome": "overturned"})
    assert journey.case.state == "awaiting_response"


# -- withdrawal -----------------------------------------------------------------------------


def test_complainant_withdraws_and_the_chair_continues_on_own_motion(app_ctx, db_session):
    journey = Journey().to_awaiting_response()
    assert refused(journey, "withdraw", journey.chair).startswith("Only the complainant")
    journey.fire("withdraw", None, reason="I settled privately.", complainant_grant=True)
    assert journey.case.state == "withdrawn" and journey.case.withdrawn_at is not None
    assert refused(journey, "continue_on_own_motion", journey.committee[0]).startswith(
        "Only the committee chair")
    journey.fire("continue_on_own_motion", journey.chair, reason="Serious: client safety.")
    assert journey.case.state == "awaiting_response"


def test_no_withdrawal_after_a_decision(app_ctx, db_session):
    journey = Journey().to_decided("warning")
    assert "not possible while the case is decided" in refused(
        journey, "withdraw", None, complainant_grant=True)


# -- transactions and concurrency ------------------------------------------------------------


def test_a_failing_effect_leaves_nothing_half_written(app_ctx, db_session, monkeypatch):
    journey = Journey().to_awaiting_response()
    from ethics_cases.workflow import effects

    def broken(ctx):  # type: ignore[no-untyped-def]
        ctx.flow.investigator_user_id = journey.investigator.id
        raise RuntimeError("disk full")

    monkeypatch.setitem(effects.EFFECTS, "start_investigation", broken)
    monkeypatch.setattr(machine, "_machine", None)  # rebuild with the broken effect
    with pytest.raises(RuntimeError):
        journey.fire("start_investigation", journey.chair,
                     {"investigator_id": journey.investigator.id})
    monkeypatch.setattr(machine, "_machine", None)
    db.session.expire_all()
    case = db.session.get(type(journey.case), journey.case.id)
    assert case.state == "awaiting_response"
    assert db.session.get(CaseWorkflow, case.id).investigator_user_id is None
    assert events(case.reference)[-1].action == "case.transition.accept"


def test_a_stale_form_gets_case_changed_naming_who_and_when(app_ctx, db_session):
    journey = Journey()
    stale_version = journey.case.version
    journey.fire("start_screening", journey.chair)
    with pytest.raises(CaseChanged) as caught:
        operations.fire(journey.case, "dismiss", journey.committee[0], {},
                        expected_version=stale_version, reason="Too late.")
    assert caught.value.by == journey.chair.full_name
    assert str(caught.value).startswith(f"This case was changed by {journey.chair.full_name} at ")


def test_the_machine_is_built_once_and_keeps_no_cases(app_ctx, db_session):
    first = machine.get_machine()
    Journey().to_hearing()
    assert machine.get_machine() is first
    assert first.models == []
    assert first.auto_transitions is False


def test_a_chair_alone_cannot_be_two_panelists(app_ctx, db_session):
    chair = ChairFactory()
    journey = Journey(chair=chair)
    _to_panel_forming(journey)
    journey.fire("appoint_panelist", chair, {"panelist_id": chair.id})
    assert "already on this panel" in refused(journey, "appoint_panelist", chair,
                                              {"panelist_id": chair.id})


def test_a_withdrawal_made_on_the_intake_pages_can_be_continued_too(app, db_session):
    from ethics_cases.cases import operations as intake_operations

    with app.test_request_context():
        journey = Journey().to_awaiting_response()
        db.session.expire_all()
        case = db.session.get(type(journey.case), journey.case_id)
        intake_operations.withdraw_complaint(case, "Settled.")
        db.session.commit()
        journey.fire("continue_on_own_motion", journey.chair, reason="Client safety at stake.")
        assert journey.case.state == "awaiting_response"
        assert events(journey.ref)[-1].details["resumed_state"] == "awaiting_response"
