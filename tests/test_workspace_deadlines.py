"""``flask deadlines run`` with a controlled clock: reminders once per lead time, suspensions
ended, missed responses flagged, the procedure's system steps taken, and a second run idle."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from ethics_cases.audit.models import AuditEvent
from ethics_cases.audit.verify import verify_chain
from ethics_cases.extensions import db
from ethics_cases.mail.models import OutboxMessage
from ethics_cases.workflow.models import Sanction, SanctionStatus
from ethics_cases.workspace import deadlines
from ethics_cases.workspace.models import DeadlineNotice
from tests.factories.workflow import ChairFactory, Journey
from tests.factories.workspace import staged_case

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def outbox(template: str, case_id: int | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(OutboxMessage.template == template)
    if case_id is not None:
        query = query.where(OutboxMessage.case_id == case_id)
    return list(db.session.scalars(query.order_by(OutboxMessage.id)))


def events(action: str, case_ref: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == action)
    if case_ref is not None:
        query = query.where(AuditEvent.case_ref == case_ref)
    return list(db.session.scalars(query.order_by(AuditEvent.seq)))


def test_a_reminder_goes_once_per_lead_time_and_never_twice(app, app_ctx, db_session):
    app.config["DEADLINE_REMINDER_DAYS"] = "7, 2"
    case = staged_case("awaiting_response", due_in_days=10, now=T0)
    address = case.respondent.email

    assert deadlines.run(T0).reminders == 0  # ten days left: too early
    summary = deadlines.run(T0 + timedelta(days=4))  # six days left: the 7-day reminder
    assert summary.reminders == 1 and summary.emails == 1
    [sent] = outbox("deadline_reminder", case.id)
    assert sent.to_address == address and sent.recipient_role == "respondent"
    assert case.reference in sent.subject and "send your response" in sent.body_text
    assert "6 days from now" in sent.body_text

    again = deadlines.run(T0 + timedelta(days=4, hours=1))  # every few minutes: nothing new
    assert again.reminders == 0 and len(outbox("deadline_reminder", case.id)) == 1

    assert deadlines.run(T0 + timedelta(days=9)).reminders == 1  # one day left: the 2-day one
    assert deadlines.run(T0 + timedelta(days=9, minutes=5)).reminders == 0
    assert len(outbox("deadline_reminder", case.id)) == 2
    [first, second] = events("case.deadline.reminder_sent", case.reference)
    assert first.actor_kind == "system" and first.details["lead_days"] == 7
    assert second.details["lead_days"] == 2
    assert verify_chain(db.session.connection()).ok


def test_a_job_that_first_runs_late_sends_one_reminder_not_one_per_lead(app, app_ctx,
                                                                         db_session):
    app.config["DEADLINE_REMINDER_DAYS"] = [7, 2]
    case = staged_case("awaiting_response", due_in_days=1, now=T0)
    assert deadlines.run(T0).reminders == 1
    assert len(outbox("deadline_reminder", case.id)) == 1
    assert deadlines.run(T0 + timedelta(hours=2)).reminders == 0
    assert db.session.scalar(select(func.count(DeadlineNotice.id)).where(
        DeadlineNotice.case_id == case.id)) == 2  # both lead times covered


def test_an_extended_deadline_is_reminded_again(app, app_ctx, db_session):
    case = staged_case("awaiting_response", due_in_days=1, now=T0)
    assert deadlines.run(T0).reminders == 1
    case = db.session.get(type(case), case.id)
    case.due_at = T0 + timedelta(days=5)
    db.session.commit()
    assert deadlines.run(T0 + timedelta(days=4)).reminders == 1
    assert len(outbox("deadline_reminder", case.id)) == 2


def test_the_complainant_is_reminded_of_requested_information_and_the_panel_of_the_hearing(
        app, app_ctx, db_session):
    from tests.factories.workflow import PanelSeatFactory

    asked = staged_case("more_information_requested", due_in_days=1, now=T0)
    hearing = staged_case("hearing", due_in_days=1, now=T0)
    seats = [PanelSeatFactory(case_id=hearing.id) for _ in range(3)]
    PanelSeatFactory(case_id=hearing.id, recused_at=T0)  # left the panel: not reminded
    deadlines.run(T0)
    [to_complainant] = outbox("deadline_reminder", asked.id)
    assert to_complainant.to_address == asked.complainant_email
    assert "follow-up key" in to_complainant.body_text  # no account: the key page
    assert {m.to_address for m in outbox("deadline_reminder", hearing.id)} == {
        seat.user.email for seat in seats}


def test_a_missed_response_deadline_is_flagged_to_the_chair_once(app, app_ctx, db_session):
    chair = ChairFactory()
    late = staged_case("awaiting_response", due_in_days=-1, now=T0)
    staged_case("awaiting_response", due_in_days=3, now=T0)  # still running
    summary = deadlines.run(T0)
    assert summary.missed_flagged == 1
    [flag] = events("case.deadline.missed", late.reference)
    assert flag.actor_kind == "system" and flag.details["state"] == "awaiting_response"
    [mail] = outbox("deadline_missed", late.id)
    assert mail.to_address == chair.email and "response deadline has passed" in mail.subject
    assert deadlines.run(T0 + timedelta(minutes=10)).missed_flagged == 0
    assert len(events("case.deadline.missed", late.reference)) == 1
    assert len(outbox("deadline_missed")) == 1


def test_a_suspension_ends_and_the_appeal_window_closes_through_the_procedure(
        app, app_ctx, db_session, runner):
    today = date.today()
    start, end = today + timedelta(days=1), today + timedelta(days=40)
    journey = Journey().to_decided("suspension", start_date=start.isoformat(),
                                   end_date=end.isoformat())
    now = datetime.now(UTC)

    # The appeal window (28 days) closes: the system puts the sanction into effect.
    summary = deadlines.run(now + timedelta(days=30))
    assert summary.steps.get("sanction(s) put into effect") == 1
    assert summary.suspensions_ended == 0
    db.session.expire_all()
    case = db.session.get(type(journey.case), journey.case_id)
    assert case.state == "sanction_in_effect"
    [step] = events("case.transition.confirm_sanction", journey.ref)
    assert step.actor_kind == "system"

    # Its end date passes: the suspension ends, once.
    later = datetime.combine(end, datetime.min.time(), tzinfo=UTC) + timedelta(hours=1)
    result = runner.invoke(args=["deadlines", "run", "--now", later.isoformat()])
    assert result.exit_code == 0, result.output
    assert "1 suspension(s) ended" in result.output
    sanction = db.session.scalar(select(Sanction).where(Sanction.case_id == journey.case_id)
                                 .execution_options(populate_existing=True))
    assert sanction.status == SanctionStatus.COMPLETED.value
    assert sanction.details["ended_on"] == end.isoformat()
    [ended] = events("sanction.suspension_ended", journey.ref)
    assert ended.actor_kind == "system"
    [mail] = outbox("suspension_ended", journey.case_id)
    assert mail.to_address == journey.respondent.email

    again = runner.invoke(args=["deadlines", "run", "--now", later.isoformat()])
    assert "0 suspension(s) ended" in again.output
    assert len(events("sanction.suspension_ended")) == 1
    # The case stays for the committee to confirm compliance and close (from the end date on;
    # the queue shows it overdue once its due day has passed).
    db.session.expire_all()
    case = db.session.get(type(journey.case), journey.case_id)
    assert case.state == "sanction_in_effect" and case.due_at.date() == end
    assert verify_chain(db.session.connection()).ok


def test_unanswered_requests_for_information_close_through_the_procedure(app, app_ctx,
                                                                         db_session):
    asked = staged_case("more_information_requested", due_in_days=-1, now=T0)
    summary = deadlines.run(T0)
    assert summary.steps["case(s) closed for want of information"] == 1
    db.session.expire_all()
    assert db.session.get(type(asked), asked.id).state == "closed"
    [step] = events("case.transition.close_unanswered", asked.reference)
    assert step.actor_kind == "system"
    assert deadlines.run(T0).steps["case(s) closed for want of information"] == 0


def test_the_command_prints_a_summary_and_rejects_a_bad_clock(app, db_session, runner):
    result = runner.invoke(args=["deadlines", "run"])
    assert result.exit_code == 0
    assert "reminder(s) sent" in result.output and "missed response" in result.output
    bad = runner.invoke(args=["deadlines", "run", "--now", "tomorrow"])
    assert bad.exit_code != 0 and "ISO date-time" in bad.output


def test_overlapping_runs_send_each_reminder_once(app, db_session):
    """Cron may start a run before the previous one finished: the notices' unique key lets
    only one of them send (the other rolls back its emails with its notice)."""
    import threading

    with app.app_context():
        cases = [staged_case("awaiting_response", due_in_days=1, now=T0) for _ in range(4)]
        ChairFactory()
        late = staged_case("awaiting_response", due_in_days=-1, now=T0)
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with app.app_context():
                barrier.wait(timeout=30)
                deadlines.run(T0)
        except BaseException as problem:  # reported below
            errors.append(problem)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    with app.app_context():
        for case in cases:
            assert len(outbox("deadline_reminder", case.id)) == 1
            assert len(events("case.deadline.reminder_sent", case.reference)) == 1
        assert len(outbox("deadline_missed", late.id)) == 1
        assert len(events("case.deadline.missed", late.reference)) == 1
        assert verify_chain(db.session.connection()).ok
