"""notify(): editable templates, administrator overrides, queued in the caller's transaction."""

from __future__ import annotations

from sqlalchemy import select

from ethics_cases.extensions import db
from ethics_cases.mail.models import OutboxMessage
from ethics_cases.notifications import Recipient, notify


def test_notify_renders_and_queues_without_committing(app, db_session):
    with app.app_context():
        rows = notify("generic", [Recipient("a@example.org", "Ann", "member"), "a@example.org",
                                  Recipient("", "Nobody")],
                      subject="Hello\nthere", message="Body text", link="https://x/1")
        assert len(rows) == 1 and rows[0].id is not None  # duplicates and blanks skipped
        db.session.rollback()  # the caller's action failed: the email goes with it
        assert db.session.scalars(select(OutboxMessage)).all() == []
        notify("generic", ["b@example.org"], subject="Kept", message="Body text")
        db.session.commit()
    row = db_session.scalars(select(OutboxMessage)).one()
    assert row.subject == "Kept" and row.template == "generic"
    assert "Body text" in row.body_text and "The ethics committee" in row.body_text
    assert row.status == "queued" and row.body_html == ""


def test_an_administrator_template_overrides_the_shipped_one(app, db_session, tmp_path):
    folder = tmp_path / "templates" / "notifications"
    folder.mkdir(parents=True)
    (folder / "generic.txt").write_text(
        "{% block subject %}Custom: {{ subject }}{% endblock %}"
        "{% block body %}Our own words. {{ message }}{% endblock %}")
    (folder / "generic.html").write_text("{% block body %}<p>{{ message }}</p>{% endblock %}")
    with app.app_context():
        [row] = notify("generic", ["c@example.org"], subject="S", message="<b>M</b>")
        assert row.subject == "Custom: S"
        assert row.body_text.startswith("Our own words. <b>M</b>")  # text is not escaped
        assert row.body_html == "<p>&lt;b&gt;M&lt;/b&gt;</p>"  # HTML is
        db.session.rollback()
