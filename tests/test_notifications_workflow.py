"""Emails at each step (received by a real aiosmtpd server), retries that never lose the
case action, and the confidentiality rules of respondent mail."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ethics_cases.audit.models import AuditEvent
from ethics_cases.cases.identity import WITHHELD_NAME
from ethics_cases.extensions import db
from ethics_cases.mail import deliver_pending
from ethics_cases.mail.models import OutboxMessage
from ethics_cases.notifications.workflow_mail import STEP_MAIL
from ethics_cases.types import utcnow
from ethics_cases.workflow.procedure import TRIGGERS

from .factories.accounts import MemberUserFactory
from .factories.cases import FOLLOWUP_KEY, AllegationFactory, CaseFactory
from .factories.workflow import Journey, future
from .smtp_server import Inbox, free_port


def _body(message) -> str:  # type: ignore[no-untyped-def]
    part = message
    while part.is_multipart():
        part = part.get_payload()[0]
    return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")


def _by_recipient(inbox: Inbox) -> dict[str, list]:
    found: dict[str, list] = {}
    for message in inbox.received:
        found.setdefault(message["To"], []).append(message)
    return found


def _withheld_journey() -> Journey:
    db.session.commit()  # release SQLite's lock for the factories
    user = MemberUserFactory()
    case = CaseFactory(withhold_identity=True, respondent=user.member,
                       complainant_name="Zelda Quonsett",
                       complainant_email="zelda.quonsett@example.org",
                       complainant_phone="+44 7700 900123")
    AllegationFactory(case=case, clause_id="MPP-B.1", position=0)
    return Journey(respondent=user, case=case)


def test_every_trigger_in_the_table_exists():
    assert set(STEP_MAIL) <= set(TRIGGERS)


def test_acceptance_emails_both_parties_through_smtp(app, db_session, smtp):
    with app.app_context():
        journey = Journey().to_awaiting_response()
        respondent_email = journey.respondent.email
        complainant = (journey.case.complainant_name, journey.case.complainant_email)
        ref = journey.ref
        assert deliver_pending().sent == 2
    received = _by_recipient(smtp)
    assert set(received) == {respondent_email, complainant[1]}
    [to_respondent] = received[respondent_email]
    [to_complainant] = received[complainant[1]]
    assert to_respondent["Subject"] == f"An ethics complaint about you: case {ref}"
    body = _body(to_respondent)
    assert f"/my/cases/{ref}" in body
    assert "send your response by" in body
    assert complainant[1] not in body  # never the complainant's contact details
    assert to_complainant["Subject"] == f"Your complaint {ref} has been accepted"
    body = _body(to_complainant)
    assert "/complaint/check" in body
    assert FOLLOWUP_KEY not in body  # a link to the follow-up page, never the key
    rows = db_session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert {r.recipient_role for r in rows} == {"respondent", "complainant"}
    assert all(r.case_id == journey.case_id and r.status == "sent" for r in rows)
    event = db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "case.transition.accept")).one()
    assert sorted(event.details["outbox_ids"]) == [r.id for r in rows]


def test_screening_alone_emails_nobody_and_the_respondent_only_once_notified(app, db_session):
    with app.app_context():
        journey = Journey()
        journey.fire("start_screening", journey.chair)
        assert db.session.scalars(select(OutboxMessage)).all() == []
        journey.fire("dismiss", journey.chair, reason="Outside our jurisdiction.")
        rows = db.session.scalars(select(OutboxMessage)).all()
        assert [r.recipient_role for r in rows] == ["complainant"]  # the member never knew
        assert "Outside our jurisdiction." in rows[0].body_text
        assert "appeal" in rows[0].body_text


def test_withheld_identity_never_reaches_respondent_mail(app, db_session, smtp):
    with app.app_context():
        journey = _withheld_journey()
        journey.to_awaiting_response()
        respondent_email = journey.respondent.email
        deliver_pending()
    [to_respondent] = _by_recipient(smtp)[respondent_email]
    body = _body(to_respondent) + to_respondent["Subject"]
    assert "Zelda" not in body and "Quonsett" not in body
    assert "zelda.quonsett" not in body and "900123" not in body
    assert WITHHELD_NAME.lower() in body.lower() or "withheld" in body.lower()
    [to_complainant] = _by_recipient(smtp)["zelda.quonsett@example.org"]
    assert "your identity is not shared" in _body(to_complainant)


def test_a_request_for_information_goes_only_to_the_addressed_party(app, db_session):
    with app.app_context():
        journey = Journey().to_awaiting_response()
        journey.fire("start_investigation", journey.chair,
                     {"investigator_id": journey.investigator.id})
        first = db.session.scalar(select(db.func.max(OutboxMessage.id)))
        journey.fire("request_information", journey.investigator, {"audience": "respondent"},
                     reason="When did the sessions end?")
        rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.id > first)).all()
        assert [(r.to_address, r.template) for r in rows] == [
            (journey.respondent.email, "information_requested")]
        assert "When did the sessions end?" in rows[0].body_text


def test_panel_members_are_emailed_on_appointment_and_hearing(app, db_session):
    with app.app_context():
        journey = Journey().to_hearing()
        rows = db.session.scalars(select(OutboxMessage)).all()
        appointed = {r.to_address for r in rows if r.template == "panel_appointment"}
        assert appointed == {m.email for m in journey.panel}
        hearing = {r.to_address for r in rows if r.template == "hearing_scheduled"}
        assert hearing == {m.email for m in journey.panel} | {
            journey.respondent.email, journey.case.complainant_email}


def test_objections_reach_the_chair_and_the_ruling_reaches_the_objector_and_the_panelist(
        app, db_session):
    from ethics_cases.workflow.models import PanelObjection, PanelSeat

    with app.app_context():
        journey = Journey().to_hearing()
        seat = db.session.scalar(select(PanelSeat).where(
            PanelSeat.case_id == journey.case_id, PanelSeat.user_id == journey.panel[0].id))
        first = db.session.scalar(select(db.func.max(OutboxMessage.id)))
        journey.fire("object_to_panelist", journey.respondent, {"seat_id": seat.id},
                     reason="She supervised my former business partner.")
        [to_chair] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.id > first))
        assert (to_chair.to_address, to_chair.template) == (journey.chair.email, "objection_filed")
        assert journey.panel[0].full_name in to_chair.body_text
        assert "business partner" not in to_chair.body_text  # grounds stay on the case page
        objection = db.session.scalar(select(PanelObjection))
        first = db.session.scalar(select(db.func.max(OutboxMessage.id)))
        journey.fire("rule_on_objection", journey.chair,
                     {"objection_id": objection.id, "objection_ruling": "upheld"},
                     reason="A close professional link.")
        rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.id > first)).all()
        assert sorted((r.to_address, r.template) for r in rows) == sorted([
            (journey.respondent.email, "objection_ruled"),
            (journey.panel[0].email, "panel_seat_ended")])
        ruled = next(r for r in rows if r.template == "objection_ruled")
        assert "upheld your objection to " + journey.panel[0].full_name in " ".join(
            ruled.body_text.split())
        assert "A close professional link." in ruled.body_text


def test_a_rejected_objection_tells_the_objector_only(app, db_session):
    from ethics_cases.workflow.models import PanelObjection, PanelSeat

    with app.app_context():
        journey = Journey().to_hearing()
        seat = db.session.scalar(select(PanelSeat).where(PanelSeat.case_id == journey.case_id))
        journey.fire("object_to_panelist", None, {"seat_id": seat.id}, reason="He seems biased.",
                     complainant_grant=True)
        objection = db.session.scalar(select(PanelObjection))
        first = db.session.scalar(select(db.func.max(OutboxMessage.id)))
        journey.fire("rule_on_objection", journey.chair,
                     {"objection_id": objection.id, "objection_ruling": "rejected"},
                     reason="No link shown.")
        rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.id > first)).all()
        assert [(r.to_address, r.template) for r in rows] == [
            (journey.case.complainant_email, "objection_ruled")]
        assert "rejected your objection" in rows[0].body_text
        assert "No link shown." in rows[0].body_text


def test_a_broken_template_never_costs_the_committee_its_action(app, db_session, tmp_path):
    folder = tmp_path / "templates" / "notifications"
    folder.mkdir(parents=True)
    (folder / "case_opened_respondent.txt").write_text(
        "{% block subject %}{{ no_such_thing.attribute }}{% endblock %}")
    with app.app_context():
        journey = Journey().to_awaiting_response()
        assert journey.case.state == "awaiting_response"
        event = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "case.transition.accept")).one()
        assert event.details["notification_error"] is True
        assert db.session.scalars(select(OutboxMessage)).all() == []  # savepoint rolled back


def test_a_failing_smtp_server_is_retried_and_the_action_stands(app, db_session, smtp):
    port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = free_port()  # nobody listens there
    with app.app_context():
        journey = Journey().to_awaiting_response()
        start = utcnow()
        report = deliver_pending(now=start)
        assert (report.sent, report.failed) == (0, 2)
        db.session.expire_all()
        assert journey.case.state == "awaiting_response"  # the case action is untouched
        rows = db.session.scalars(select(OutboxMessage)).all()
        assert all(r.attempts == 1 and r.status == "retrying" for r in rows)
        assert all("ConnectionRefused" in r.last_error for r in rows)
        assert all(r.next_attempt_at > start for r in rows)
    app.config["MAIL_PORT"] = port
    with app.app_context():
        assert deliver_pending(now=start + timedelta(seconds=10)).sent == 0  # not yet due
        assert deliver_pending(now=start + timedelta(minutes=5)).sent == 2
    assert len(smtp.received) == 2


def test_giving_up_is_visible_and_audited(app, db_session, runner):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_MAX_ATTEMPTS=2)
    with app.app_context():
        journey = Journey()
        journey.fire("start_screening", journey.chair)
        journey.fire("dismiss", journey.chair, reason="Out of time.")
        moment = utcnow()
        deliver_pending(now=moment)
        report = deliver_pending(now=moment + timedelta(days=1))
        assert report.gave_up == 1
        assert deliver_pending(now=moment + timedelta(days=9)).failed == 0  # no more tries
    row = db_session.scalars(select(OutboxMessage)).one()
    assert row.status == "failed" and row.attempts == 2 and row.gave_up_at is not None
    assert db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "mail.gave_up")).one().details["message_id"] == row.id


def test_the_cli_says_when_it_gave_up(app, db_session, runner):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_MAX_ATTEMPTS=1)
    with app.app_context():
        journey = Journey()
        journey.fire("start_screening", journey.chair)
        journey.fire("dismiss", journey.chair, reason="Out of time.")
    result = runner.invoke(args=["mail", "send"])
    assert "Gave up on 1 message" in result.output and result.exit_code == 1


def test_decision_emails_both_parties_and_mentions_their_letter(app, db_session):
    with app.app_context():
        Journey().to_decided("training", programme="Boundaries course",
                             completion_deadline=future(90))
        rows = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.template == "decision")).all()
        assert {r.recipient_role for r in rows} == {"respondent", "complainant"}
        by_role = {r.recipient_role: r.body_text for r in rows}
        assert "Decision letter" in by_role["respondent"]
        assert "Outcome letter" in by_role["complainant"]
        assert "unless you appeal" in by_role["respondent"]


def test_links_from_the_scheduler_use_the_public_base_url(app, db_session):
    app.config["PUBLIC_BASE_URL"] = "https://ethics.imc.example"
    with app.app_context():
        journey = Journey().to_awaiting_response()  # no request: as from cron
        row = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.recipient_role == "respondent")).one()
    assert f"https://ethics.imc.example/my/cases/{journey.ref}" in row.body_text


def test_the_chair_dismissing_through_the_form_emails_the_complainant(app, client, db_session,
                                                                     login_as, smtp):
    with app.app_context():
        journey = Journey()
        journey.fire("start_screening", journey.chair)
        version, email = journey.case.version, journey.case.complainant_email
    login_as(client, journey.chair)
    response = client.post(f"/cases/{journey.ref}/actions/dismiss",
                           data={"dismiss-expected_version": version,
                                 "dismiss-reason": "The conduct is outside our remit."})
    assert response.status_code == 302
    with app.app_context():
        assert deliver_pending().sent == 1
    [received] = smtp.received
    assert received["To"] == email
    body = _body(received)
    assert "The conduct is outside our remit." in body
    assert "http://localhost/complaint/check" in body  # the request's own host
    assert "Dismissal letter" in body
