"""The administrators' audit page and the history component other pages embed."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import render_template_string

from ethics_cases import audit
from ethics_cases.extensions import db
from ethics_cases.security import Role

from .factories.accounts import UserFactory
from .factories.audit import AuditEventFactory
from .sql_statements import recorded_statements


def seqs(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<td class="mono" title="hash [0-9a-f]{64}">(\d+)</td>',
                                       html)]


@pytest.fixture
def admin(db_session):  # type: ignore[no-untyped-def]
    return UserFactory(full_name="Alice Admin", roles=[Role.ADMIN])


def record(app, *args, **kwargs):  # type: ignore[no-untyped-def]
    with app.app_context():
        result = audit.record(*args, **kwargs)
        db.session.commit()
        return result.seq


@pytest.mark.parametrize("roles", [[Role.MEMBER], [Role.COMMITTEE]])
def test_audit_page_refuses_other_roles(client, db_session, login_as, roles):
    login_as(client, UserFactory(roles=roles))
    assert client.get("/audit").status_code == 403
    assert "Audit trail" not in client.get("/").get_data(as_text=True)


def test_audit_page_sends_anonymous_users_to_sign_in(client):
    response = client.get("/audit")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", [Role.ADMIN, Role.CHAIR])
def test_admins_and_the_chair_see_the_page_and_the_nav_link(client, db_session, login_as, role):
    login_as(client, UserFactory(roles=[role]))
    assert 'href="/audit"' in client.get("/").get_data(as_text=True)
    assert client.get("/audit").status_code == 200


def test_page_lists_events_readably_newest_first(app, client, admin, login_as):
    actor = audit.Actor("user", str(admin.id), "ignored")
    record(app, "user.role_granted", audit.Subject("user", 9), actor=actor,
           details={"role": {"before": None, "after": "chair"}}, reason="Elected at the AGM")
    record(app, "case.transition.accept", audit.Subject("case", 3), case_ref="EC-2026-0003")
    login_as(client, admin)
    html = client.get("/audit").get_data(as_text=True)
    assert seqs(html) == [2, 1]
    assert "Alice Admin" in html and "Role granted" in html and "Elected at the AGM" in html
    assert "Case: transition accept" in html
    assert "— <span aria-label=\"changed to\">→</span> chair" in html


def test_filters_narrow_the_list(app, client, admin, login_as):
    with app.app_context():
        AuditEventFactory(action="case.filed", subject=audit.Subject("case", 1),
                          case_ref="EC-2026-0001")
        AuditEventFactory(action="case.transition.accept", subject=audit.Subject("case", 1),
                          case_ref="EC-2026-0001")
        AuditEventFactory(action="pledge.signed", subject=audit.Subject("pledge", 4),
                          case_ref=None, actor=audit.Actor("complainant", "EC-2026-0009", "C"))
    login_as(client, admin)
    get = lambda **q: seqs(client.get("/audit", query_string=q).get_data(as_text=True))  # noqa: E731
    assert get(action="case.") == [2, 1]
    assert get(action="case.filed") == [1]
    assert get(case_ref="ec-2026-0001") == [2, 1]
    assert get(subject_kind="pledge", subject_id="4") == [3]
    assert get(actor_kind="complainant") == [3]
    assert get(actor_id="EC-2026-0009") == [3]
    assert get(actor_kind="system", action="pledge.signed") == []
    today = datetime.now(UTC).date()
    assert get(date_from=today.isoformat(), date_to=today.isoformat()) == [3, 2, 1]
    assert get(date_to=(today - timedelta(days=1)).isoformat()) == []


def test_bad_filters_are_explained(client, admin, login_as):
    login_as(client, admin)
    html = client.get("/audit", query_string={"date_from": "2026-05-02",
                                              "date_to": "2026-05-01"}).get_data(as_text=True)
    assert "The end date is before the start date." in html
    assert 'value="2026-05-02"' in html


def test_keyset_pagination_walks_both_ways(app, client, admin, login_as, monkeypatch):
    from ethics_cases.audit import views

    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    with app.app_context():
        AuditEventFactory.create_batch(7, action="case.filed")
    login_as(client, admin)
    first = client.get("/audit?action=case.filed").get_data(as_text=True)
    assert seqs(first) == [7, 6, 5]
    assert "Newer events" not in first
    second = client.get("/audit?action=case.filed&before=5").get_data(as_text=True)
    assert seqs(second) == [4, 3, 2]
    assert "after=4" in second and "before=2" in second and "action=case.filed" in second
    assert seqs(client.get("/audit?before=2").get_data(as_text=True)) == [1]
    back = client.get("/audit?action=case.filed&after=4").get_data(as_text=True)
    assert seqs(back) == [7, 6, 5]


def test_history_component_resolves_names_in_one_query(app, db_session):
    users = UserFactory.create_batch(4)
    with app.app_context():
        for user in users:
            for _ in range(3):
                AuditEventFactory(subject=audit.Subject("case", 77),
                                  actor=audit.Actor("user", str(user.id), "x"))
        AuditEventFactory(subject=audit.Subject("case", 77), reason="Late filing accepted",
                          details={"deadline": {"before": "2026-01-01", "after": "2026-02-01"}})
        events = audit.history_for(audit.Subject("case", 77))
        with recorded_statements() as statements, app.test_request_context():
            html = render_template_string(
                '{% from "audit/_history.html" import render_history %}'
                "{{ render_history(events) }}", events=events)
    assert len([s for s in statements if "FROM users" in s]) == 1
    for user in users:
        assert html.count(user.full_name) == 3
    assert "Late filing accepted" in html
    assert "2026-01-01 <span aria-label=\"changed to\">→</span> 2026-02-01" in html


@pytest.mark.browser
def test_admin_reads_the_audit_trail_in_a_browser(app, browser_page, screenshot, db_session):
    from .factories.accounts import PASSWORD

    admin = UserFactory(full_name="Alice Admin", roles=[Role.ADMIN])
    chair = UserFactory(full_name="Chris Chair", roles=[Role.CHAIR])
    with app.app_context():
        AuditEventFactory(action="complaint.filed", subject=audit.Subject("case", 42),
                          case_ref="EC-2026-0042",
                          actor=audit.Actor("complainant", "EC-2026-0042", "Complainant"))
        AuditEventFactory(action="case.transition.accept", subject=audit.Subject("case", 42),
                          case_ref="EC-2026-0042", actor=audit.Actor("user", str(chair.id), ""),
                          reason="Within jurisdiction and time limit",
                          details={"state": {"before": "submitted", "after": "accepted"}})
        AuditEventFactory(action="user.role_granted", subject=audit.Subject("user", chair.id),
                          actor=audit.Actor("user", str(admin.id), ""),
                          details={"role": {"before": None, "after": "chair"}})
    page = browser_page
    page.goto("/login")
    page.fill("input[name=email]", admin.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.click("text=Audit trail")
    page.wait_for_selector("h1:has-text('Audit trail')")
    html = page.content()  # signing in may add its own event: check ours are all there
    for text in ("Complaint filed", "Case: transition accept", "Role granted", "Chris Chair"):
        assert text in html
    screenshot(page, "audit-trail")
    page.fill("input[name=case_ref]", "EC-2026-0042")
    page.click("button:has-text('Filter')")
    assert page.locator("tbody tr").count() == 2
    assert "Chris Chair" in page.content()


def test_actor_filter_accepts_a_users_email(app, client, admin, login_as):
    other = UserFactory()
    with app.app_context():
        AuditEventFactory(actor=audit.Actor("user", str(admin.id), ""))
        AuditEventFactory(actor=audit.Actor("user", str(other.id), ""))
    login_as(client, admin)
    html = client.get("/audit", query_string={"actor_id": other.email.upper()}).get_data(
        as_text=True)
    assert seqs(html) == [2]
    html = client.get("/audit", query_string={"actor_id": "nobody@example.org"}).get_data(
        as_text=True)
    assert seqs(html) == [] and "No events match these filters." in html
