"""The administrators' outbox page: list, filter, read, retry; refusals; audited reads."""

from __future__ import annotations

from sqlalchemy import select

from ethics_cases.audit.models import AuditEvent
from ethics_cases.extensions import db
from ethics_cases.mail.models import OutboxMessage
from ethics_cases.notifications import Recipient, notify
from ethics_cases.security import Role
from ethics_cases.types import utcnow

from .factories.accounts import MemberUserFactory, UserFactory
from .factories.workflow import ChairFactory
from .sql_statements import recorded_statements


def _admin():  # type: ignore[no-untyped-def]
    return UserFactory(roles=[Role.ADMIN])


def _queue(app, n: int = 1, **fields):  # type: ignore[no-untyped-def]
    with app.app_context():
        rows = []
        for i in range(n):
            [row] = notify("generic", [Recipient(f"person{i}@example.org", "P", "complainant")],
                           subject=f"Subject {i}", message="Private words")
            for key, value in fields.items():
                setattr(row, key, value)
            rows.append(row.id)
        db.session.commit()
        return rows


def _events(session, action: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_only_administrators_see_the_outbox(app, client, db_session, login_as):
    [message_id] = _queue(app)
    urls = ["/admin/outbox", f"/admin/outbox/{message_id}"]
    for url in urls:
        assert client.get(url).status_code in (302, 401)  # anonymous: sign in
    for user in (MemberUserFactory(), ChairFactory()):
        login_as(client, user)
        for url in urls:
            assert client.get(url).status_code == 403
        assert client.post(f"/admin/outbox/{message_id}/retry").status_code == 403
    assert _events(db_session, "outbox.viewed") == []


def test_the_outbox_lists_filters_and_is_audited(app, client, db_session, login_as):
    queued = _queue(app, 2)
    failed = _queue(app, 1, attempts=8, gave_up_at=utcnow(), last_error="SMTPDataError: 554")
    admin = _admin()
    login_as(client, admin)
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "person0@example.org" in page and "Given up (1)" in page and "Queued (3)" not in page
    assert "No mail server is configured" in page
    page = client.get("/admin/outbox?status=failed").get_data(as_text=True)
    assert "Subject 0" in page and "Subject 1" not in page  # only the given-up one
    [first, second] = _events(db_session, "outbox.viewed")
    assert sorted(first.details["message_ids"]) == sorted(queued + failed)
    assert second.details["status"] == "failed" and second.details["message_ids"] == failed
    assert first.actor_id == str(admin.id)

    page = client.get(f"/admin/outbox/{failed[0]}").get_data(as_text=True)
    assert "Private words" in page and "SMTPDataError: 554" in page and "Retry now" in page
    [viewed] = _events(db_session, "outbox.message_viewed")
    assert viewed.details["message_id"] == failed[0]


def test_retry_now_gives_a_given_up_message_another_attempt(app, client, db_session,
                                                            login_as):
    [message_id] = _queue(app, 1, attempts=8, gave_up_at=utcnow(), last_error="boom")
    login_as(client, _admin())
    assert client.post(f"/admin/outbox/{message_id}/retry", csrf=False).status_code == 400
    response = client.post(f"/admin/outbox/{message_id}/retry")
    assert response.status_code == 302
    row = db_session.get(OutboxMessage, message_id)
    assert row.gave_up_at is None and row.status == "retrying"  # stays: no SMTP configured
    [event] = _events(db_session, "outbox.retry_requested")
    assert event.details == {"message_id": message_id, "attempts": 8, "gave_up": True}


def test_retry_now_sends_at_once_when_smtp_is_configured(app, client, db_session, login_as,
                                                         smtp):
    [message_id] = _queue(app, 1, attempts=8, gave_up_at=utcnow(), last_error="boom")
    login_as(client, _admin())
    client.post(f"/admin/outbox/{message_id}/retry")
    assert [m["To"] for m in smtp.received] == ["person0@example.org"]
    assert db_session.get(OutboxMessage, message_id).status == "sent"


def test_the_outbox_filters_by_case_without_a_query_per_row(app, client, db_session, login_as):

    from .factories.workflow import Journey

    with app.app_context():
        first = Journey().to_awaiting_response()
        second = Journey(respondent=None)
        second.to_awaiting_response()
    login_as(client, _admin())
    page = client.get(f"/admin/outbox?case={first.ref.lower()}").get_data(as_text=True)
    assert first.ref in page and second.ref not in page
    assert "Queued (2)" in page  # the counts follow the filter too

    with recorded_statements(app) as statements:
        client.get("/admin/outbox")
        few = len(statements)
        _queue(app, 20)
        statements.clear()
        client.get("/admin/outbox")
    assert len(statements) == few  # 24 rows cost no more queries than 4
