"""The outbox: emails commit with their action, and are delivered to a real SMTP server."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ethics_cases.extensions import db
from ethics_cases.mail import deliver_pending, queue_email
from ethics_cases.mail.models import OutboxMessage
from ethics_cases.mail.outbox import MAX_ATTEMPTS, retry_delay
from ethics_cases.types import utcnow

from .smtp_server import free_port, point_mail_at


def test_queued_email_commits_with_the_action_and_not_without_it(app, db_session):
    with app.app_context():
        queue_email("a@example.org", "Kept", "test_message", name="A")
        db.session.commit()
        queue_email("b@example.org", "Rolled back", "test_message", name="B")
        db.session.rollback()
        rows = db.session.scalars(select(OutboxMessage)).all()
    assert [row.subject for row in rows] == ["Kept"]
    assert "Hello A," in rows[0].body_text
    assert rows[0].sent_at is None and rows[0].attempts == 0


def test_without_smtp_messages_stay_in_the_outbox(app, db_session, runner):
    with app.app_context():
        queue_email("a@example.org", "Waiting", "test_message", name="A")
        db.session.commit()
    result = runner.invoke(args=["mail", "send"])
    assert "1 message(s) stay in the outbox" in result.output
    assert db_session.scalars(select(OutboxMessage)).one().sent_at is None


def test_delivery_to_a_real_smtp_server(app, db_session, smtp_server):
    controller, inbox = smtp_server
    point_mail_at(app, controller.port)
    with app.app_context():
        queue_email("complainant@example.org", "Your complaint EC-2026-0001", "test_message",
                    name="Sam")
        db.session.commit()
        report = deliver_pending()
    assert (report.sent, report.failed) == (1, 0)
    [received] = inbox.received
    assert received["To"] == "complainant@example.org"
    assert received["From"] == "ethics@imc.example"
    assert received["Subject"] == "Your complaint EC-2026-0001"
    assert "Hello Sam," in received.get_payload()
    row = db_session.scalars(select(OutboxMessage)).one()
    assert row.sent_at is not None and row.attempts == 1
    with app.app_context():  # sent messages are never sent again
        assert deliver_pending().sent == 0
    assert len(inbox.received) == 1


def test_the_cli_sends_the_outbox(app, db_session, smtp_server, runner):
    controller, inbox = smtp_server
    point_mail_at(app, controller.port)
    result = runner.invoke(args=["mail", "test", "admin@example.org"])
    assert result.exit_code == 0
    result = runner.invoke(args=["mail", "send"])
    assert "Sent 1, failed 0" in result.output
    assert [m["To"] for m in inbox.received] == ["admin@example.org"]


def test_a_failed_send_keeps_the_message_and_retries_later(app, db_session, smtp_server):
    controller, inbox = smtp_server
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())  # nobody listens there
    with app.app_context():
        queue_email("a@example.org", "Retry me", "test_message", name="A")
        db.session.commit()
        start = utcnow()
        report = deliver_pending(now=start)
    assert report.failed == 1
    row = db_session.scalars(select(OutboxMessage)).one()
    assert row.sent_at is None and row.attempts == 1
    assert "ConnectionRefusedError" in row.last_error
    assert row.next_attempt_at == start + retry_delay(1)

    point_mail_at(app, controller.port)  # the server is back, but the retry is not yet due
    with app.app_context():
        assert deliver_pending(now=start + timedelta(seconds=30)).sent == 0
        assert deliver_pending(now=start + retry_delay(1)).sent == 1
    assert [m["Subject"] for m in inbox.received] == ["Retry me"]
    db_session.expire_all()
    row = db_session.scalars(select(OutboxMessage)).one()
    assert row.attempts == 2 and row.last_error == "" and row.sent_at is not None


def test_backoff_grows_and_gives_up_after_max_attempts(app, db_session):
    assert retry_delay(1) < retry_delay(2) < retry_delay(3)
    assert retry_delay(50) == timedelta(hours=6)
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    with app.app_context():
        queue_email("a@example.org", "Hopeless", "test_message", name="A")
        db.session.commit()
        moment = utcnow()
        for _ in range(MAX_ATTEMPTS + 2):
            deliver_pending(now=moment)
            moment += timedelta(days=1)
    row = db_session.scalars(select(OutboxMessage)).one()
    assert row.attempts == MAX_ATTEMPTS and row.sent_at is None
