"""The sanctions ladder from code_of_ethics.yaml, standing derived from sanctions, escalation on
non-compliance, and complete journeys from filing to each of the six sanctions and to
dismissal, each ending with the audit chain verifying."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from ethics_cases.accounts.models import Member
from ethics_cases.accounts.standing import Standing, standing_of, standings_of
from ethics_cases.audit.models import AuditEvent
from ethics_cases.audit.verify import verify_chain
from ethics_cases.code import current_code
from ethics_cases.extensions import db
from ethics_cases.workflow import ladder
from ethics_cases.workflow.context import Refused
from ethics_cases.workflow.models import Sanction

from .factories.accounts import MemberUserFactory
from .factories.cases import CaseFactory
from .factories.workflow import Journey, SanctionFactory, future
from .sql_statements import recorded_statements


def chain_verifies() -> None:
    result = verify_chain(db.session.connection())
    db.session.commit()
    assert result.ok, result.summary()


def member_of(journey: Journey) -> Member:
    db.session.expire_all()
    return db.session.get(Member, journey.respondent.member.id)


# -- the ladder's rules come from the YAML ------------------------------------------------------


def test_the_rules_enforced_are_the_ones_in_the_code(app_ctx):
    code = current_code()
    warning = code.sanction("warning")
    assert (warning.rules.max_per_member, warning.rules.escalate_to) == (2, "training")
    assert code.sanction("suspension").rules.requires == ("start_date", "end_date")


def test_third_warning_is_refused_and_training_is_the_floor(app_ctx, db_session):
    respondent = MemberUserFactory()
    for _ in range(2):
        SanctionFactory(case=CaseFactory(respondent=respondent.member, state="closed"))
    journey = Journey(respondent=respondent).to_hearing()
    journey.vote(True)
    with pytest.raises(Refused) as caught:
        journey.decide("warning")
    assert caught.value.message == ("Warning may be given at most 2 times to a member; this "
                                    "member has had 2.")
    assert caught.value.field == "sanction_key"
    floor = ladder.floor_for(current_code(), ladder.prior_sanctions(respondent.member.id))
    assert floor.level == current_code().sanction("training").level
    journey.decide("training", programme="Ethics refresher", completion_deadline=future(60))
    assert journey.case.state == "decided"


def test_two_warnings_raise_the_floor_to_training_for_every_lower_choice(app_ctx):
    prior = [Sanction(key="warning", level=1), Sanction(key="warning", level=1)]
    with pytest.raises(Refused) as caught:
        ladder.check_sanction("warning", {}, prior=prior, minimum_level=1, today=date.today())
    assert "at most 2 times" in caught.value.message
    entry, stored = ladder.check_sanction(
        "probation", {"start_date": date.today() + timedelta(1),
                      "end_date": date.today() + timedelta(9)},
        prior=prior, minimum_level=1, today=date.today())
    assert entry.key == "probation" and set(stored) == {"start_date", "end_date"}
    assert ladder.floor_for(current_code(), prior[:1]).level == 1


@pytest.mark.parametrize(("key", "details", "message"), [
    ("suspension", {}, "Suspension requires the start date."),
    ("suspension", {"start_date": date.today() + timedelta(5)},
     "Suspension requires the end date."),
    ("suspension", {"start_date": date.today() + timedelta(5),
                    "end_date": date.today() + timedelta(2)},
     "The end date must be after the start date."),
    ("training", {"programme": "X", "completion_deadline": date.today() - timedelta(1)},
     "The completion deadline must be in the future."),
    ("legal_referral", {"authority": "Police"}, "Legal Action requires the authority's reference."),
    ("nonsense", {}, "There is no sanction 'nonsense' in the Code."),
])
def test_required_details_per_sanction(app_ctx, key, details, message):
    with pytest.raises(Refused) as caught:
        ladder.check_sanction(key, details, prior=[], minimum_level=1, today=date.today())
    assert caught.value.message == message


# -- standing derived from sanctions ----------------------------------------------------------


def test_suspension_ends_by_itself_on_its_end_date(app_ctx, db_session):
    start, end = date.today() + timedelta(days=61), date.today() + timedelta(days=120)
    journey = Journey().to_decided("suspension", start_date=start.isoformat(),
                                   end_date=end.isoformat())
    journey.let_appeal_window_close()
    assert journey.case.state == "sanction_in_effect"
    member = member_of(journey)
    assert standing_of(member, start - timedelta(days=1)) == Standing.GOOD
    assert standing_of(member, start) == Standing.SUSPENDED
    assert standing_of(member, end - timedelta(days=1)) == Standing.SUSPENDED
    assert standing_of(member, end) == Standing.GOOD  # no job ran: derived from the dates
    # and the committee closes the case once it has ended
    with pytest.raises(Refused, match="runs until"):
        journey.fire("confirm_compliance", journey.chair, reason="Done.")
    journey.fire("confirm_compliance", journey.chair, reason="Suspension served.",
                 now=datetime.combine(end, datetime.min.time(), tzinfo=UTC))
    assert journey.case.state == "closed"


def test_standings_of_many_members_in_one_query_per_source(app_ctx, db_session):
    journey = Journey().to_decided("revocation")
    journey.let_appeal_window_close()
    others = [MemberUserFactory().member for _ in range(5)]
    members = [member_of(journey), *(db.session.get(Member, m.id) for m in others)]
    with recorded_statements() as statements:
        result = standings_of(members, date.today() + timedelta(days=61))
    assert result[members[0].id] == Standing.REVOKED
    assert all(result[m.id] == Standing.GOOD for m in members[1:])
    assert len(statements) == 1


def test_revocation_ends_membership_and_credentials(app_ctx, db_session):
    journey = Journey().to_decided("revocation")
    assert standing_of(member_of(journey)) == Standing.GOOD  # not before the window closes
    journey.let_appeal_window_close()
    assert journey.case.state == "closed"
    member = member_of(journey)
    later = date.today() + timedelta(days=60)
    assert member.ended_on == later and member.credentials == ""
    assert standing_of(member, later) == Standing.REVOKED
    assert not standing_of(member, later).may_sign_pledge
    sanction = db.session.scalar(select(Sanction))
    assert sanction.details["credentials_withdrawn"] == "Certified Mentor"


# -- compliance and escalation ----------------------------------------------------------------


def test_training_completed_closes_the_case(app_ctx, db_session):
    journey = Journey().to_decided("training", programme="Boundaries course",
                                   completion_deadline=future(90))
    journey.let_appeal_window_close()
    with pytest.raises(Refused, match="not reported completion"):
        journey.fire("confirm_compliance", journey.chair, reason="Done?")
    with pytest.raises(Refused, match="Only the member"):
        journey.fire("report_completion", journey.chair, reason="Done.")
    journey.fire("report_completion", journey.respondent, reason="Completed on 3 May; "
                 "certificate attached.")
    journey.fire("confirm_compliance", journey.chair, reason="Certificate checked.")
    assert journey.case.state == "closed"
    assert db.session.scalar(select(Sanction.status)) == "completed"


def test_non_compliance_escalates_to_the_next_level_through_a_new_hearing(app_ctx, db_session):
    journey = Journey().to_decided("training", programme="Boundaries course",
                                   completion_deadline=future(90))
    journey.let_appeal_window_close()
    with pytest.raises(Refused, match="Give the date"):
        journey.fire("report_non_compliance", journey.chair, reason="Missed the deadline.")
    journey.fire("report_non_compliance", journey.chair, {"hearing_on": future(100)},
                 reason="Course not completed by the deadline.")
    assert journey.case.state == "hearing"
    journey.vote(True)
    with pytest.raises(Refused, match="at least level 3 \\(Probation\\) because the case was "
                                      "escalated for non-compliance with level 2"):
        journey.decide("training", programme="Again", completion_deadline=future(90))
    journey.decide("probation", start_date=future(1), end_date=future(200))
    assert journey.case.state == "decided"
    statuses = [s for (s,) in db.session.execute(select(Sanction.status).order_by(Sanction.id))]
    assert statuses == ["escalated", "pending_appeal"]


def test_suspension_non_compliance_does_not_escalate(app_ctx, db_session):
    journey = Journey().to_decided("suspension", start_date=future(1), end_date=future(30))
    journey.let_appeal_window_close()
    with pytest.raises(Refused, match="does not escalate"):
        journey.fire("report_non_compliance", journey.chair, {"hearing_on": future(9)})


def test_probation_check_ins_and_review_at_end(app_ctx, db_session):
    journey = Journey().to_decided("probation", start_date=future(1), end_date=future(90))
    journey.let_appeal_window_close()
    assert standing_of(member_of(journey), date.today() + timedelta(days=61)) == \
        Standing.ON_PROBATION
    journey.fire("record_check_in", journey.committee[0], reason="Supervision logs in order.")
    journey.fire("confirm_compliance", journey.chair, reason="Probation passed.",
                 now=datetime.now(UTC) + timedelta(days=91))
    assert journey.case.state == "closed"


# -- complete journeys, each ending with a verified chain --------------------------------------


JOURNEYS = {
    "warning": {},
    "training": {"programme": "Ethics in mentoring", "completion_deadline": future(120)},
    "probation": {"start_date": future(1), "end_date": future(180)},
    "suspension": {"start_date": future(1), "end_date": future(90)},
    "revocation": {},
    "legal_referral": {"authority": "Metropolitan Police", "authority_reference": "CR-2026-77"},
}


@pytest.mark.parametrize("key", list(JOURNEYS))
def test_journey_from_filing_to_each_sanction(app_ctx, db_session, key):
    journey = Journey(clauses=("MPP-B.1", "MPP-A.2"))
    journey.to_awaiting_response()
    journey.fire("respond", journey.respondent, reason="My account of events.")
    journey.fire("start_investigation", journey.chair, {"investigator_id": journey.investigator.id})
    journey.fire("request_information", journey.investigator, {"audience": "respondent"},
                 reason="Please send your session notes.")
    journey.fire("submit_findings", journey.investigator, {"findings": "Facts established."})
    journey.seat_panel()
    journey.fire("schedule_hearing", journey.chair, {"hearing_on": future(20)})
    journey.vote(True)
    journey.decide(key, **JOURNEYS[key])
    journey.let_appeal_window_close()
    sanction = db.session.scalar(select(Sanction))
    assert sanction.key == key
    assert sanction.status in ("in_effect", "completed")
    expected_state = "sanction_in_effect" if ladder.needs_follow_up(
        current_code().sanction(key)) else "closed"
    assert journey.case.state == expected_state
    actions = [a for (a,) in db.session.execute(
        select(AuditEvent.action).where(AuditEvent.case_ref == journey.case.reference)
        .order_by(AuditEvent.seq))]
    assert actions[0] == "case.transition.start_screening"
    assert actions[-1] == "case.transition.confirm_sanction"
    assert all(a.startswith("case.transition.") for a in actions)
    chain_verifies()


def test_journey_to_dismissal(app_ctx, db_session):
    journey = Journey()
    journey.fire("start_screening", journey.chair)
    journey.fire("dismiss", journey.chair, reason="The member's conduct was outside mentoring.")
    assert journey.case.state == "dismissed"
    chain_verifies()


def test_apply_due_puts_sanctions_into_effect_once_the_window_closed(app, db_session, runner):
    with app.app_context():
        due = Journey().to_decided("warning")
        open_ = Journey(chair=due.chair, committee=due.committee).to_decided("warning")
        case = db.session.get(type(due.case), due.case_id)
        case.due_at = datetime.now(UTC) - timedelta(minutes=1)
        db.session.commit()
    result = runner.invoke(args=["workflow", "apply-due"])
    assert result.exit_code == 0, result.output
    assert "1 sanction(s) put into effect, 0 skipped." in result.output
    again = runner.invoke(args=["workflow", "apply-due"])
    assert "0 sanction(s) put into effect" in again.output
    with app.app_context():
        states = {c.id: c.state for c in db.session.scalars(select(type(due.case)))}
        assert states[due.case_id] == "closed" and states[open_.case_id] == "decided"
        event = db.session.scalar(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1))
        assert (event.action, event.actor_kind) == ("case.transition.confirm_sanction", "system")
