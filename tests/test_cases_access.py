"""Confidentiality: only the complainant and the committee open a case or its documents;
everyone else gets 404, as if it did not exist. Downloads are attachments and audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ethics_cases import audit
from ethics_cases.security import Role

from .factories.accounts import MemberUserFactory, UserFactory
from .factories.cases import (
    FOLLOWUP_KEY,
    SAMPLE_PDF,
    AllegationFactory,
    CaseFactory,
    CaseMessageFactory,
    EvidenceFactory,
    write_evidence_file,
)


@pytest.fixture
def case_with_file(app, db_session):  # type: ignore[no-untyped-def]
    case = CaseFactory(narrative="A confidential account of what happened in March.")
    item = EvidenceFactory(case=case, original_filename="contract.pdf")
    write_evidence_file(app.config["UPLOAD_FOLDER"], item, SAMPLE_PDF)
    return case, item


def _download(client, url):  # type: ignore[no-untyped-def]
    """GET a file and close the streamed response (as a WSGI server would)."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def _urls(case, item):  # type: ignore[no-untyped-def]
    return [f"/complaint/case/{case.reference}", f"/cases/{case.reference}",
            f"/cases/{case.reference}/documents/{item.id}"]


@pytest.mark.parametrize("who", ["anonymous", "other_complainant", "member", "plain_user"])
def test_nobody_else_can_open_the_case_or_its_documents(client, db_session, login_as,
                                                        case_with_file, who):
    case, item = case_with_file
    if who == "other_complainant":
        other = CaseFactory()
        client.post("/complaint/check", data={"reference": other.reference, "key": FOLLOWUP_KEY})
    elif who == "member":
        login_as(client, MemberUserFactory())
    elif who == "plain_user":
        login_as(client, UserFactory())
    complainant_page, committee_page, download = _urls(case, item)
    assert client.get(complainant_page).status_code == 404
    assert client.get(download).status_code == 404
    # The committee page is role-protected: sign-in for the anonymous, 403 for others.
    assert client.get(committee_page).status_code in (302, 403)
    assert client.post(f"/complaint/case/{case.reference}/withdraw",
                       data={"reason": "x", "confirm": "y"}).status_code == 404


def test_the_complainant_downloads_their_file_as_an_attachment(client, db_session,
                                                                case_with_file):
    case, item = case_with_file
    client.post("/complaint/check", data={"reference": case.reference, "key": FOLLOWUP_KEY})
    response = _download(client, _urls(case, item)[2])
    assert response.status_code == 200
    assert response.data == SAMPLE_PDF
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "contract.pdf" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Type"] == "application/pdf"


def test_unsafe_types_are_served_as_octet_stream(app, client, db_session, login_as):
    case = CaseFactory()
    item = EvidenceFactory(case=case, original_filename="notes.txt", content_type="text/plain",
                           content=b"<script>alert(1)</script>")
    write_evidence_file(app.config["UPLOAD_FOLDER"], item, b"<script>alert(1)</script>")
    login_as(client, UserFactory(roles=[Role.COMMITTEE]))
    response = _download(client, f"/cases/{case.reference}/documents/{item.id}")
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith("attachment;")


def test_a_document_of_another_case_is_not_reachable_through_this_case(
        client, db_session, case_with_file):
    _case, item = case_with_file
    other = CaseFactory()
    client.post("/complaint/check", data={"reference": other.reference, "key": FOLLOWUP_KEY})
    assert client.get(f"/cases/{other.reference}/documents/{item.id}").status_code == 404


@pytest.mark.parametrize("role", [Role.COMMITTEE, Role.CHAIR, Role.ADMIN])
def test_the_committee_sees_the_case_page_with_clause_text_documents_and_messages(
        client, db_session, login_as, case_with_file, role):
    case, item = case_with_file
    AllegationFactory(case=case, clause_id="MPP-B.1")
    CaseMessageFactory(case=case, audience="complainant", body="Could you send the invoice?")
    login_as(client, UserFactory(roles=[role]))
    html = client.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert case.complainant_name in html and case.respondent.full_name in html
    assert "MPP-B.1" in html and "strictest level of confidentiality" in html
    assert "contract.pdf" in html and "Could you send the invoice?" in html
    assert _download(client, f"/cases/{case.reference}/documents/{item.id}").status_code == 200


def test_the_committee_list_is_newest_first_filterable_and_paginated(
        client, db_session, login_as):
    from datetime import UTC, datetime, timedelta

    start = datetime(2026, 1, 1, tzinfo=UTC)
    made = [CaseFactory(submitted_at=start + timedelta(days=n),
                        state="screening" if n % 2 else "submitted") for n in range(55)]
    login_as(client, UserFactory(roles=[Role.COMMITTEE]))
    first = client.get("/cases/", follow_redirects=True).get_data(as_text=True)
    assert first.index(made[54].reference) < first.index(made[53].reference)
    assert made[4].reference not in first and "Page 1 of 2" in first
    assert made[4].reference in client.get("/cases/?page=2",
                                           follow_redirects=True).get_data(as_text=True)
    screening = client.get("/cases/?state=screening", follow_redirects=True).get_data(as_text=True)
    assert made[53].reference in screening and made[54].reference not in screening


def test_a_member_who_filed_while_signed_in_sees_the_complaint_on_their_page(
        app, client, db_session, login_as):
    user = MemberUserFactory()
    mine = CaseFactory(complainant_user=user)
    CaseFactory()  # somebody else's
    login_as(client, user)
    assert client.get(f"/complaint/case/{mine.reference}").status_code == 200
    with app.test_request_context():
        from flask import render_template_string
        from flask_login import login_user

        from ethics_cases.accounts.models import User
        from ethics_cases.extensions import db

        login_user(db.session.get(User, user.id))
        html = render_template_string('{% include "cases/_my_cases.html" %}')
    assert mine.reference in html and html.count("<li>") == 1


def test_downloads_are_audited(client, db_session, login_as, case_with_file):
    case, item = case_with_file
    committee = UserFactory(roles=[Role.COMMITTEE])
    login_as(client, committee)
    _download(client, f"/cases/{case.reference}/documents/{item.id}")
    [event] = db_session.scalars(select(audit.AuditEvent)).all()
    assert (event.action, event.subject_kind, event.subject_id) == (
        "evidence.downloaded", "evidence", str(item.id))
    assert (event.actor_kind, event.actor_id, event.case_ref) == (
        "user", str(committee.id), case.reference)


def test_the_committee_case_page_shows_the_cases_audit_history(client, db_session, login_as,
                                                               case_with_file):
    case, item = case_with_file
    login_as(client, UserFactory(roles=[Role.CHAIR]))
    before = client.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert "Evidence downloaded" not in before
    _download(client, f"/cases/{case.reference}/documents/{item.id}")
    after = client.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert "Evidence downloaded" in after
