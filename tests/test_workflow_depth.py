"""Procedure depth (issue 9): the Code in force at the conduct date, screening outcomes beyond
accept/dismiss (more information, referral, stay), own-motion cases, panel objections,
separation of roles, refusal of a sanction, reopening, and the complainant's withdrawal as one
workflow step. Every addition with its allowed and its refused paths."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from html import escape
from pathlib import Path

import pytest
from sqlalchemy import select

from ethics_cases.audit.models import AuditEvent
from ethics_cases.cases.models import Case, CaseMessage
from ethics_cases.cases.stages import PLAIN_STAGES
from ethics_cases.code import load_code
from ethics_cases.extensions import db
from ethics_cases.mail.models import OutboxMessage
from ethics_cases.pledges.models import CodeVersion
from ethics_cases.pledges.operations import ensure_code_version_registered
from ethics_cases.workflow import code_versions, operations
from ethics_cases.workflow.models import (
    CaseStay,
    CaseWorkflow,
    PanelObjection,
    PanelSeat,
    Sanction,
)
from ethics_cases.workflow.procedure import STATES

from .factories.accounts import MemberUserFactory
from .factories.cases import FOLLOWUP_KEY, AllegationFactory, CaseFactory
from .factories.workflow import CommitteeUserFactory, Journey, PanelSeatFactory, future
from .test_workflow_operations import events, refused

LATER_CODE = Path(__file__).parent / "data" / "code_of_ethics_2026.yaml"


def journey_with_conduct(day: date, clauses: tuple[str, ...] = ("MPP-B.1",)) -> Journey:
    db.session.commit()
    respondent = MemberUserFactory(member__joined_on=date(2018, 1, 1))  # a member at the time
    case = CaseFactory(respondent=respondent.member, conduct_start=day)
    for position, clause in enumerate(clauses):
        AllegationFactory(case=case, clause_id=clause, position=position)
    return Journey(respondent=respondent, case=case)


def register_later_code() -> CodeVersion:
    """Keep the running Code (2024.1) and a later one (2026.1, from a test YAML)."""
    code_versions.register_running_code()
    row = ensure_code_version_registered(load_code(LATER_CODE))
    db.session.commit()
    return row


def flow_of(journey: Journey) -> CaseWorkflow:
    db.session.expire_all()
    return db.session.get(CaseWorkflow, journey.case_id)


def messages_to(journey: Journey, audience: str) -> list[CaseMessage]:
    return list(db.session.scalars(select(CaseMessage).where(
        CaseMessage.case_id == journey.case_id, CaseMessage.audience == audience)
        .order_by(CaseMessage.id)))


# -- the Code in force at the conduct date ---------------------------------------------------


def test_case_binds_to_the_code_in_force_at_the_conduct_date(app_ctx, db_session):
    later = register_later_code()
    old_case = journey_with_conduct(date(2025, 6, 1))
    new_case = journey_with_conduct(date(2026, 3, 1))
    old_case.fire("start_screening", old_case.chair, reason="")
    new_case.fire("start_screening", new_case.chair, reason="")
    old_version = db.session.get(CodeVersion, flow_of(old_case).code_version_id)
    assert old_version.version == "2024.1"
    assert flow_of(new_case).code_version_id == later.id
    recorded = events(new_case.ref)[-1]
    assert recorded.details["code_fingerprint"] == later.fingerprint
    assert recorded.details["code_version_id"] == later.id
    # a clause that exists only in the later Code cannot be cited for the older conduct ...
    message = refused(old_case, "accept", old_case.chair, {"clause_ids": ["MPP-B.4"]})
    assert "no clause MPP-B.4" in message and "in force when the conduct happened" in message
    # ... but can for conduct under the later Code, and a removed clause no longer can
    assert "no clause MPP-A.7" in refused(new_case, "accept", new_case.chair,
                                           {"clause_ids": ["MPP-A.7"]})
    new_case.fire("accept", new_case.chair, {"clause_ids": ["MPP-B.4"]}, reason="In time.")
    assert [a.clause_id for a in new_case.case.allegations] == ["MPP-B.1", "MPP-B.4"]


def test_binding_happens_once_and_survives_a_newer_code(app_ctx, db_session):
    journey = journey_with_conduct(date(2025, 6, 1))
    journey.fire("start_screening", journey.chair, reason="")
    first = flow_of(journey).code_version_id
    register_later_code()
    journey.fire("accept", journey.chair, reason="In time.")
    assert flow_of(journey).code_version_id == first


def test_clause_level_difference_between_versions(app_ctx, db_session):
    later = register_later_code()
    journey = journey_with_conduct(date(2025, 6, 1))
    journey.fire("start_screening", journey.chair, reason="")
    shown = code_versions.applicable(journey.case, flow_of(journey), date(2026, 11, 23))
    assert shown.bound and shown.version.version == "2024.1" and shown.today.id == later.id
    kinds = {change.clause_id: change.kind for change in shown.changes}
    assert kinds == {"MPP-A.7": "removed", "MPP-B.1": "changed", "MPP-B.4": "added"}
    changed = next(c for c in shown.changes if c.clause_id == "MPP-B.1")
    assert "after the engagement ends" in changed.after and "after" not in changed.before
    # before the later Code took effect there is nothing to compare
    assert code_versions.applicable(journey.case, flow_of(journey), date(2025, 12, 1)).today \
        is None


def test_case_page_shows_the_version_and_the_difference(app, client, db_session, login_as):
    with app.app_context():
        register_later_code()
        journey = journey_with_conduct(date(2025, 6, 1))
        journey.fire("start_screening", journey.chair, reason="")
        chair = journey.chair
    login_as(client, chair)
    page = client.get(f"/cases/{journey.ref}").get_data(as_text=True)
    assert "Code that applies" in page and "2024.1" in page
    assert "The Code has changed since (version 2026.1" in page
    assert "MPP-B.4" in page and "including after the engagement ends" in page


def test_allegations_quote_the_wording_of_the_version_that_applies(app, client, db_session,
                                                                   login_as):
    with app.app_context():
        register_later_code()
        later_conduct = journey_with_conduct(date(2026, 3, 1))
        later_conduct.fire("start_screening", later_conduct.chair, reason="")
        earlier_conduct = journey_with_conduct(date(2025, 6, 1))
        earlier_conduct.fire("start_screening", earlier_conduct.chair, reason="")
        chair = later_conduct.chair
    login_as(client, chair)

    def quoted(journey: Journey) -> str:
        page = client.get(f"/cases/{journey.ref}").get_data(as_text=True)
        section = page.split("<h2>Allegations</h2>", 1)[1].split("</section>", 1)[0]
        return " ".join(section.split())

    assert "including after the engagement ends" in quoted(later_conduct)
    assert "version 2026.1" in quoted(later_conduct)
    assert "including after the engagement ends" not in quoted(earlier_conduct)
    assert "client and sponsor information unless mandated by law" in quoted(earlier_conduct)


# -- screening: more information, referral -------------------------------------------------


def test_request_more_information_waits_then_closes_by_itself(app, runner, db_session):
    with app.app_context():
        journey = Journey()
        journey.fire("start_screening", journey.chair, reason="")
        assert refused(journey, "request_more_information", journey.committee[0]).startswith(
            "Only the committee chair")
        asked = datetime.now(UTC) - timedelta(days=40)
        journey.fire("request_more_information", journey.chair,
                     reason="When did the sessions take place?", now=asked)
        assert journey.case.state == "more_information_requested"
        assert journey.case.due_at.date() == (asked + timedelta(days=30)).date()
        request = messages_to(journey, "complainant")[-1]
        assert request.is_request and "will be closed" in request.body
        # the deadline passed: a committee member may close it, and so does the scheduler
        db.session.commit()
    result = runner.invoke(args=["workflow", "apply-due"])
    assert "1 case(s) closed for want of information, 0 skipped." in result.output
    with app.app_context():
        case = db.session.get(Case, journey.case_id)
        assert case.state == "closed" and case.due_at is None
        closing = [e for e in events(case.reference) if e.action.endswith("close_unanswered")]
        assert closing[0].actor_kind == "system"
        notice = db.session.scalars(select(CaseMessage).where(
            CaseMessage.case_id == case.id, CaseMessage.audience == "complainant")
            .order_by(CaseMessage.id.desc())).first()
        assert "did not receive it by the deadline" in notice.body
        # the scheduler's step is emailed like any other (no request needed), linked to the case
        [closed_mail] = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.case_id == case.id, OutboxMessage.template == "case_update")).all()
        assert closed_mail.to_address == case.complainant_email
        assert "did not receive it by the deadline" in closed_mail.body_text
    assert "0 case(s) closed" in runner.invoke(args=["workflow", "apply-due"]).output


def test_information_not_yet_overdue_cannot_be_closed_and_screening_resumes(app_ctx,
                                                                            db_session):
    journey = Journey()
    journey.fire("start_screening", journey.chair, reason="")
    journey.fire("request_more_information", journey.chair, reason="Which sessions?")
    assert "still has time" in refused(journey, "close_unanswered", journey.chair)
    journey.fire("resume_screening", journey.committee[0], reason="")
    assert journey.case.state == "screening" and journey.case.due_at is None


def test_information_days_are_configurable_and_an_email_goes_out(app, client, db_session,
                                                                 login_as):
    app.config["WORKFLOW_INFORMATION_DAYS"] = 10
    with app.app_context():
        journey = Journey()
        journey.fire("start_screening", journey.chair, reason="")
        chair = journey.chair
        version = journey.case.version
    login_as(client, chair)
    response = client.post(f"/cases/{journey.ref}/actions/request_more_information", data={
        "request_more_information-expected_version": version,
        "request_more_information-reason": "Please send the contract."})
    assert response.status_code == 302
    db_session.expire_all()
    case = db_session.get(Case, journey.case_id)
    assert case.due_at.date() == (datetime.now(UTC) + timedelta(days=10)).date()
    mail = db_session.scalars(select(OutboxMessage)).all()
    assert [m.to_address for m in mail] == [case.complainant_email]
    assert "Please send the contract." in mail[0].body_text


def test_referral_records_whom_and_why(app_ctx, db_session):
    journey = Journey()
    journey.fire("start_screening", journey.chair, reason="")
    assert refused(journey, "refer", journey.chair, {"referred_to": " "}) == \
        "Say which body the case is referred to."
    assert refused(journey, "refer", journey.committee[0],
                   {"referred_to": "Police"}).startswith("Only the committee chair")
    journey.fire("refer", journey.chair, {"referred_to": "The national licensing board"},
                 reason="Alleged unlicensed clinical practice.")
    flow = flow_of(journey)
    assert journey.case.state == "referred"
    assert flow.referred_to == "The national licensing board"
    assert flow.referral_reasons == "Alleged unlicensed clinical practice."
    assert "national licensing board" in messages_to(journey, "complainant")[-1].body


# -- stay for parallel proceedings -----------------------------------------------------------


def test_stay_stops_the_clock_and_lifting_it_adds_the_time_stayed(app, runner, db_session):
    with app.app_context():
        journey = Journey().to_awaiting_response()
        due = journey.case.due_at
        assert "Describe the parallel proceedings" in refused(
            journey, "stay", journey.chair, {"proceedings": ""})
        assert refused(journey, "stay", journey.committee[0],
                       {"proceedings": "Court"}).startswith("Only the committee chair")
        start = datetime.now(UTC)
        journey.fire("stay", journey.chair, {"proceedings": "County court claim 123"},
                     reason="A civil claim on the same facts.", now=start)
        assert journey.case.state == "stayed" and journey.case.due_at is None
        # the member cannot respond while stayed (no deadline runs)
        assert "not possible while the case is stayed" in refused(
            journey, "respond", journey.respondent)
        db.session.commit()
    # the scheduler leaves a stayed case alone
    assert "0 sanction(s)" in runner.invoke(args=["workflow", "apply-due"]).output
    with app.app_context():
        journey.case = db.session.get(Case, journey.case_id)
        assert refused(journey, "lift_stay", journey.committee[0]).startswith("Only")
        journey.fire("lift_stay", journey.chair, reason="The court has ruled.",
                     now=start + timedelta(days=10, hours=3))
        assert journey.case.state == "awaiting_response"
        assert journey.case.due_at == due + timedelta(days=10, hours=3)
        flow = flow_of(journey)
        assert flow.stayed_days_total == 11 and flow.state_before_stay is None
        stay = db.session.scalar(select(CaseStay).where(CaseStay.case_id == journey.case_id))
        assert stay.ended_at is not None and stay.due_at_before == due
        assert stay.due_at_after == journey.case.due_at
        # the member may respond again
        journey.fire("respond", journey.respondent, reason="My account of events.")


def test_both_parties_are_told_of_a_stay_and_of_its_end(app_ctx, db_session):
    journey = Journey().to_awaiting_response()
    start = datetime.now(UTC)
    journey.fire("stay", journey.chair, {"proceedings": "County court claim 123"},
                 reason="A civil claim on the same facts.", now=start)
    journey.fire("lift_stay", journey.chair, reason="The court has ruled.",
                 now=start + timedelta(days=3))
    mail = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.case_id == journey.case_id, OutboxMessage.template == "case_update")
        .order_by(OutboxMessage.id)).all()
    assert [m.recipient_role for m in mail] == ["complainant", "respondent"] * 2
    assert "paused the case" in mail[0].body_text and "pause has ended" in mail[2].body_text
    # the stay's reasons are the committee's: neither party's email repeats them
    assert not any("civil claim" in m.body_text for m in mail)


def test_stay_during_hearing_moves_the_hearing_date(app_ctx, db_session):
    journey = Journey().to_hearing()
    hearing = flow_of(journey).hearing_on
    start = datetime.now(UTC)
    journey.fire("stay", journey.chair, {"proceedings": "Criminal trial"}, now=start)
    journey.fire("lift_stay", journey.chair, now=start + timedelta(days=20))
    assert journey.case.state == "hearing"
    assert flow_of(journey).hearing_on == hearing + timedelta(days=20)


# -- own-motion (sua sponte) cases -----------------------------------------------------------


def test_chair_opens_a_case_on_own_motion(app, client, db_session, login_as):
    with app.app_context():
        journey = Journey()
        chair, member_id = journey.chair, journey.respondent.member.id
        committee = journey.committee[0]
    login_as(client, committee)
    assert client.get("/cases/open-own-motion").status_code == 403
    login_as(client, chair)
    page = client.get("/cases/open-own-motion")
    assert page.status_code == 200 and "own motion" in page.get_data(as_text=True)
    form = {"member_id": member_id, "basis": "Suspended by the national board, ref NB-77.",
            "narrative": "", "conduct_start": "2026-02-01", "clause_ids": ["MPP-C.2"]}
    bad = client.post("/cases/open-own-motion", data=form)
    assert bad.status_code == 422 and "NB-77" in bad.get_data(as_text=True)
    form["narrative"] = "Exploited a client relationship for gain."
    response = client.post("/cases/open-own-motion", data=form)
    assert response.status_code == 302
    case = db_session.scalars(select(Case).order_by(Case.id.desc())).first()
    assert case.state == "screening" and case.complainant_email is None
    assert "Ethics Committee" in case.complainant_name
    assert [a.clause_id for a in case.allegations] == ["MPP-C.2"]
    flow = db_session.get(CaseWorkflow, case.id)
    assert flow.own_motion and flow.code_version_id is not None
    recorded = db_session.scalars(select(AuditEvent).where(
        AuditEvent.case_ref == case.reference)).all()
    assert [e.action for e in recorded] == ["case.opened_on_own_motion"]
    assert recorded[0].actor_id == str(chair.id)
    # the procedure goes on as usual, but there is no complainant to ask for information
    with app.app_context():
        own = Journey(respondent=journey.respondent, chair=chair, committee=journey.committee,
                      case=db.session.get(Case, case.id))
        assert "no complainant to ask" in refused(own, "request_more_information", chair)
        own.fire("accept", chair, reason="Within jurisdiction.")
        assert own.case.state == "awaiting_response"


# -- panel objections ------------------------------------------------------------------------


def test_parties_are_told_the_panel_and_an_upheld_objection_removes_the_panelist(
        app, client, db_session, login_as):
    with app.app_context():
        journey = Journey().to_hearing()
        notice = messages_to(journey, "respondent")[-1]
        assert all(member.full_name in notice.body for member in journey.panel)
        assert "may object until" in notice.body
        assert messages_to(journey, "complainant")[-1].body.startswith("The hearing is set")
        target = db.session.scalar(select(PanelSeat).where(
            PanelSeat.case_id == journey.case_id, PanelSeat.user_id == journey.panel[0].id))
        # a panelist is not a party; objections need a seat of this panel
        assert refused(journey, "object_to_panelist", journey.panel[1],
                       {"seat_id": target.id}).startswith("Only")
        assert refused(journey, "object_to_panelist", journey.respondent,
                       {"seat_id": 999999}) == "Choose a member of the panel."
        journey.fire("object_to_panelist", journey.respondent, {"seat_id": target.id},
                     reason="She supervised my former business partner.")
        assert "already objected" in refused(journey, "object_to_panelist", journey.respondent,
                                             {"seat_id": target.id})
        # nobody votes while an objection waits for a ruling
        assert "must first rule" in refused(
            journey, "cast_vote", journey.panel[1],
            {"votes": {a.id: True for a in journey.case.allegations}})
        objection = db.session.scalar(select(PanelObjection))
        assert refused(journey, "rule_on_objection", journey.panel[1],
                       {"objection_id": objection.id, "objection_ruling": "upheld"}
                       ).startswith("Only the committee chair")
        assert refused(journey, "rule_on_objection", journey.chair,
                       {"objection_id": objection.id}) == "Uphold or reject the objection."
        journey.fire("rule_on_objection", journey.chair,
                     {"objection_id": objection.id, "objection_ruling": "upheld"},
                     reason="A close professional link.")
        # three seated, one removed: below quorum, so the panel is formed again
        assert journey.case.state == "panel_forming"
        seat = db.session.get(PanelSeat, target.id)
        assert seat.recused_at is not None and seat.recusal_reason.startswith("Removed")
        assert "upheld" in messages_to(journey, "respondent")[-1].body
        assert "needs at least 3 members; it has 2" in refused(
            journey, "schedule_hearing", journey.chair, {"hearing_on": future(20)})
        removed = journey.panel[0]
        replacement = journey.committee[3]
        journey.seat_panel([replacement])
        journey.fire("schedule_hearing", journey.chair, {"hearing_on": future(20)})
        assert journey.case.state == "hearing"
        assert replacement.full_name in messages_to(journey, "respondent")[-1].body
    # the removed panelist has lost access to the file
    login_as(client, removed)
    assert client.get(f"/cases/{journey.ref}").status_code == 403
    login_as(client, replacement)
    assert client.get(f"/cases/{journey.ref}").status_code == 200


def test_rejected_objection_keeps_the_panel_and_a_late_one_is_refused(app_ctx, db_session):
    journey = Journey().to_hearing()
    seat = db.session.scalar(select(PanelSeat).where(PanelSeat.case_id == journey.case_id))
    journey.fire("object_to_panelist", None, {"seat_id": seat.id}, reason="He seems biased.",
                 complainant_grant=True)
    objection = db.session.scalar(select(PanelObjection))
    assert objection.objector == "complainant"
    journey.fire("rule_on_objection", journey.chair,
                 {"objection_id": objection.id, "objection_ruling": "rejected"},
                 reason="No link shown.")
    assert journey.case.state == "hearing"
    assert db.session.get(PanelSeat, seat.id).recused_at is None
    late = datetime.now(UTC) + timedelta(days=8)
    assert "could be made until" in refused(journey, "object_to_panelist", journey.respondent,
                                            {"seat_id": seat.id}, now=late)
    journey.vote(False)
    journey.decide(None)
    assert journey.case.state == "closed"


def test_upheld_objection_with_a_spare_panelist_keeps_the_hearing(app_ctx, db_session):
    journey = Journey()
    journey.to_awaiting_response()
    journey.fire("start_investigation", journey.chair, {"investigator_id": journey.investigator.id})
    journey.fire("submit_findings", journey.investigator, {"findings": "Facts."})
    journey.seat_panel(journey.committee[:4])
    journey.fire("schedule_hearing", journey.chair, {"hearing_on": future(14)})
    seat = db.session.scalar(select(PanelSeat).where(PanelSeat.case_id == journey.case_id))
    journey.fire("object_to_panelist", journey.respondent, {"seat_id": seat.id}, reason="Bias.")
    objection = db.session.scalar(select(PanelObjection))
    journey.fire("rule_on_objection", journey.chair,
                 {"objection_id": objection.id, "objection_ruling": "upheld"}, reason="Yes.")
    assert journey.case.state == "hearing"  # four minus one: still a quorum of three
    journey.vote(True, journey.committee[1:4])
    journey.decide("warning")
    assert journey.case.state in ("decided",)


def test_complainant_objects_on_their_own_page(app, client, db_session):
    with app.app_context():
        journey = Journey().to_hearing()
        seat_id = db.session.scalar(select(PanelSeat.id).where(
            PanelSeat.case_id == journey.case_id))
    assert client.get(f"/case/{journey.ref}/object").status_code == 404
    client.post("/complaint/check", data={"reference": journey.ref, "key": FOLLOWUP_KEY})
    page = client.get(f"/case/{journey.ref}/object").get_data(as_text=True)
    assert "Object to a panel member" in page and escape(journey.panel[0].full_name) in page
    response = client.post(f"/case/{journey.ref}/object", data={
        "object_to_panelist-expected_version": db_session.get(Case, journey.case_id).version,
        "object_to_panelist-seat_id": seat_id,
        "object_to_panelist-reason": "He is my former employer."})
    assert response.status_code == 302
    objection = db_session.scalar(select(PanelObjection))
    assert objection.objector == "complainant" and objection.seat_id == seat_id


# -- separation of roles ---------------------------------------------------------------------


def test_investigator_cannot_sit_on_the_panel(app_ctx, db_session):
    journey = Journey().to_awaiting_response()
    journey.fire("start_investigation", journey.chair, {"investigator_id": journey.investigator.id})
    journey.fire("submit_findings", journey.investigator, {"findings": "Facts."})
    assert "investigated this case and cannot sit on its panel" in refused(
        journey, "appoint_panelist", journey.chair, {"panelist_id": journey.investigator.id})
    # even a seat written by other means is caught when the panel is to act
    journey.seat_panel()
    db.session.commit()
    PanelSeatFactory(case_id=journey.case_id, user=journey.investigator,
                     conflict_declared_at=datetime.now(UTC))
    message = refused(journey, "schedule_hearing", journey.chair, {"hearing_on": future(14)})
    assert "investigated this case and cannot sit on its panel" in message


def test_a_panelist_cannot_become_the_investigator(app_ctx, db_session):
    journey = Journey().to_awaiting_response()
    db.session.commit()
    PanelSeatFactory(case_id=journey.case_id, user=journey.committee[0])
    assert "sits on this case's panel and cannot investigate it" in refused(
        journey, "start_investigation", journey.chair,
        {"investigator_id": journey.committee[0].id})


def test_appeal_panel_shares_no_member_with_the_first(app_ctx, db_session):
    journey = Journey().to_decided("warning")
    journey.fire("appeal", journey.respondent, reason="The panel misread the emails.")
    assert "sat on the first panel" in refused(
        journey, "appoint_panelist", journey.chair, {"panelist_id": journey.panel[0].id})
    appeal_panel = journey.committee[3:6]
    assert journey.investigator in appeal_panel  # the investigator is barred here too
    assert "investigated this case" in refused(
        journey, "appoint_panelist", journey.chair, {"panelist_id": journey.investigator.id})
    db.session.commit()  # release SQLite's write lock for the factory
    others = [*journey.committee[3:5], CommitteeUserFactory()]
    journey.seat_panel(others)
    db.session.commit()
    PanelSeatFactory(case_id=journey.case_id, user=journey.panel[1], kind="appeal",
                     conflict_declared_at=datetime.now(UTC))
    message = refused(journey, "decide_appeal", journey.chair, {"appeal_outcome": "upheld"})
    assert "share no member with the first panel" in message
    assert journey.panel[1].full_name in message


# -- refusal of a sanction -------------------------------------------------------------------


def test_refusing_a_sanction_goes_up_the_ladder_through_the_procedure(app_ctx, db_session):
    journey = Journey().to_decided("training", programme="Boundaries course",
                                   completion_deadline=future(90))
    journey.let_appeal_window_close()
    assert journey.case.state == "sanction_in_effect"
    assert refused(journey, "refuse_sanction", journey.chair).startswith("Only the member")
    journey.fire("refuse_sanction", journey.respondent, reason="I will not do the course.")
    assert journey.case.state == "panel_forming"
    training = db.session.scalar(select(Sanction).where(Sanction.case_id == journey.case_id))
    assert training.status == "escalated" and training.details["refused_on"]
    flow = flow_of(journey)
    assert flow.minimum_level == 3 and flow.hearing_round == 2
    # the normal procedure: a hearing, a new round of votes, a decision at a higher level
    journey.fire("schedule_hearing", journey.chair, {"hearing_on": future(21)})
    journey.vote(True)
    assert "at least level 3" in refused(
        journey, "decide", journey.chair,
        {"sanction_key": "training", "programme": "Again", "completion_deadline": future(60)})
    journey.decide("probation", start_date=future(1), end_date=future(180))
    assert journey.case.state == "decided"


def test_a_sanction_without_conditions_cannot_be_refused(app_ctx, db_session):
    journey = Journey().to_decided("suspension", start_date=future(1), end_date=future(90))
    journey.let_appeal_window_close()
    assert journey.case.state == "sanction_in_effect"
    acting = operations.acting_on(journey.case, journey.respondent)
    assert "refuse_sanction" not in operations.available_triggers(journey.case, acting)
    assert "no conditions whose refusal the Code escalates" in refused(
        journey, "refuse_sanction", journey.respondent)


# -- reopening -------------------------------------------------------------------------------


def test_reopening_a_closed_case_is_the_chairs_decision_with_reasons(app_ctx, db_session):
    journey = Journey().to_hearing()
    journey.vote(False)
    journey.decide(None)
    assert journey.case.state == "closed"
    assert refused(journey, "reopen", journey.committee[0],
                   {"new_evidence": "Emails"}).startswith("Only the committee chair")
    assert refused(journey, "reopen", journey.chair, {"new_evidence": ""}) == \
        "Describe the new evidence that justifies reopening."
    assert refused(journey, "reopen", journey.chair, {"new_evidence": "Emails"},
                   reason="") == "Reasons for reopening is required."
    journey.fire("reopen", journey.chair, {"new_evidence": "Emails from March not seen before."},
                 reason="They contradict the member's account.")
    assert journey.case.state == "screening"
    flow = flow_of(journey)
    assert flow.reopened_count == 1 and flow.hearing_round == 2
    event = events(journey.ref)[-1]
    assert event.action == "case.transition.reopen" and event.details["reopened_from"] == "closed"
    assert event.reason == "They contradict the member's account."
    assert "Emails from March" in messages_to(journey, "committee")[-1].body
    # a second hearing is a new round: the first round's findings stay on record
    journey.fire("accept", journey.chair, reason="Re-screened.")
    journey.fire("start_investigation", journey.chair, {"investigator_id": journey.investigator.id})
    journey.fire("submit_findings", journey.investigator, {"findings": "New facts."})
    journey.fire("schedule_hearing", journey.chair, {"hearing_on": future(30)})
    journey.vote(True)
    journey.decide("warning")
    assert journey.case.state == "decided"


def test_open_cases_cannot_be_reopened(app_ctx, db_session):
    journey = Journey().to_awaiting_response()
    assert "not possible while the case is awaiting response" in refused(
        journey, "reopen", journey.chair, {"new_evidence": "x"})


# -- withdrawal through the workflow; plain-words stages -------------------------------------


def test_withdrawal_on_the_complainants_page_is_one_workflow_step(app, client, db_session):
    with app.app_context():
        journey = Journey().to_awaiting_response()
        version = journey.case.version
    client.post("/complaint/check", data={"reference": journey.ref, "key": FOLLOWUP_KEY})
    response = client.post(f"/complaint/case/{journey.ref}/withdraw", data={
        "reason": "We settled it.", "confirm": "y", "expected_version": str(version)})
    assert response.status_code == 302
    with app.app_context():
        recorded = events(journey.ref)
        assert recorded[-1].action == "case.transition.withdraw"
        assert recorded[-1].details["from"] == "awaiting_response"
        assert recorded[-1].actor_kind == "complainant"
        assert sum(e.action.endswith("withdraw") for e in recorded) == 1
        assert flow_of(journey).state_before_withdrawal == "awaiting_response"
        journey.case = db.session.get(Case, journey.case_id)
        journey.fire("continue_on_own_motion", journey.chair, reason="Serious allegations.")
        assert journey.case.state == "awaiting_response"


def test_every_procedure_state_has_a_plain_words_stage():
    missing = [state.name for state in STATES if state.name not in PLAIN_STAGES]
    assert missing == []
    finished = {name for name, stage in PLAIN_STAGES.items() if stage.finished}
    assert {s.name for s in STATES if s.final} <= finished


def test_procedure_page_shows_the_new_states_and_steps(app, client, db_session, login_as):
    with app.app_context():
        chair = Journey().chair
    login_as(client, chair)
    page = client.get("/workflow").get_data(as_text=True)
    for text in ("More information requested", "Referred to another body", "Stayed",
                 "object_to_panelist", "rule_on_objection", "refuse_sanction", "reopen",
                 "lift_stay", "close_unanswered"):
        assert text in page


@pytest.mark.parametrize("table", ["case_workflows", "case_stays", "panel_objections"])
def test_models_match_the_migration(app, table):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = compare_metadata(context, db.metadata)
    flat = []
    for diff in diffs:
        flat.extend(diff if isinstance(diff, list) else [diff])
    mine = [d for d in flat if table in repr(d)]
    assert mine == []


def test_the_member_reads_the_clauses_of_the_version_that_applies(app, client, db_session,
                                                                  login_as):
    with app.app_context():
        register_later_code()
        journey = journey_with_conduct(date(2025, 6, 1))
        journey.to_awaiting_response()
        respondent = journey.respondent
    login_as(client, respondent)
    page = client.get(f"/my/cases/{journey.ref}").get_data(as_text=True)
    assert "version 2024.1" in page
    assert "including after the engagement ends" not in page  # the 2026 wording
    assert "strictest level of confidentiality with respect to their client" in page


def test_the_queue_offers_own_motion_cases_to_the_chair_only(app, client, db_session, login_as):
    with app.app_context():
        journey = Journey()
        chair, member = journey.chair, journey.committee[0]
    login_as(client, chair)
    assert "/cases/open-own-motion" in client.get("/cases/", follow_redirects=True).get_data(
        as_text=True)
    login_as(client, member)
    assert "/cases/open-own-motion" not in client.get("/cases/", follow_redirects=True).get_data(
        as_text=True)
