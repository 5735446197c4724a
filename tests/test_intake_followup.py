"""Following a complaint: the key, the emailed link, the case page, reply, documents and
withdrawal; wrong keys are rate-limited and never reveal whether a reference exists."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from ethics_cases import audit
from ethics_cases.cases.models import CaseMessage, Evidence
from ethics_cases.mail.models import OutboxMessage

from .factories.cases import FOLLOWUP_KEY, CaseFactory, CaseMessageFactory
from .intake_helpers import PDF, upload


def _open(client, case, key=FOLLOWUP_KEY):  # type: ignore[no-untyped-def]
    return client.post("/complaint/check", data={"reference": case.reference, "key": key})


def test_reference_and_key_open_the_case_page_in_plain_words(client, db_session):
    case = CaseFactory(due_at=datetime(2026, 12, 24, tzinfo=UTC))
    CaseMessageFactory(case=case, audience="complainant", is_request=True,
                       body="Please send the contract you mention.")
    CaseMessageFactory(case=case, audience="respondent", body="For the member only.")
    CaseMessageFactory(case=case, audience="committee", body="Internal to the committee.")
    response = _open(client, case, key=FOLLOWUP_KEY.lower().replace("-", " "))
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Where it stands: Received" in html and "What happens next" in html
    assert "24 December 2026" in html
    assert "Please send the contract" in html and "Question for you" in html
    assert "For the member only" not in html and "Internal to the committee" not in html


def test_a_state_the_workflow_adds_later_still_reads_sensibly(client, db_session):
    case = CaseFactory(state="stayed_pending_court")
    _open(client, case)
    html = client.get(f"/complaint/case/{case.reference}").get_data(as_text=True)
    assert "Where it stands: In progress" in html


def test_wrong_key_and_unknown_reference_get_the_same_answer(client, db_session):
    case = CaseFactory()
    wrong = _open(client, case, key="ZZZZZZ-ZZZZZZ-ZZZZZZ-ZZZZZZ")
    unknown = client.post("/complaint/check", data={"reference": "EC-2026-4242",
                                                    "key": "ZZZZZZ-ZZZZZZ-ZZZZZZ-ZZZZZZ"})
    assert wrong.status_code == unknown.status_code == 422

    def body(response):  # type: ignore[no-untyped-def]
        text = response.get_data(as_text=True)
        return re.sub(r'value="[^"]*"', "", text)  # the echoed reference differs, nothing else

    assert body(wrong) == body(unknown)
    assert "We could not open a complaint" in body(wrong)
    assert client.get(f"/complaint/case/{case.reference}").status_code == 404


@pytest.fixture
def app_config(app_config):  # type: ignore[no-untyped-def]
    return {**app_config, "FOLLOWUP_REFERENCE_RATE_LIMIT": "3 per 15 minutes",
            "FOLLOWUP_IP_RATE_LIMIT": "6 per 15 minutes"}


def test_wrong_keys_are_rate_limited_per_reference_even_for_the_right_key(client, db_session):
    case = CaseFactory()
    statuses = [_open(client, case, key="ZZZZZZ-ZZZZZZ-ZZZZZZ-ZZZZZZ").status_code
                for _ in range(3)]
    assert statuses == [422, 422, 422]
    assert _open(client, case).status_code == 429  # locked for a while, even with the key
    other = CaseFactory()
    assert _open(client, other).status_code == 302  # other references are unaffected


def test_wrong_keys_are_rate_limited_per_address_across_references(client, db_session):
    statuses = [client.post("/complaint/check", data={
        "reference": f"EC-2026-{n:04d}", "key": "ZZZZZZ-ZZZZZZ-ZZZZZZ-ZZZZZZ"}).status_code
        for n in range(7)]
    assert statuses[:6] == [422] * 6 and statuses[6] == 429


def test_login_link_is_emailed_only_to_the_complainants_address_and_opens_the_case(
        client, db_session):
    case = CaseFactory(complainant_email="Alex@Example.org")
    wrong = client.post("/complaint/check/link", data={"reference": case.reference,
                                                       "email": "someone@example.org"})
    unknown = client.post("/complaint/check/link", data={"reference": "EC-2026-4242",
                                                         "email": "alex@example.org"})
    right = client.post("/complaint/check/link", data={"reference": case.reference.lower(),
                                                       "email": "alex@example.org"})
    assert wrong.get_data() == unknown.get_data() == right.get_data()
    [email] = db_session.scalars(select(OutboxMessage)).all()
    assert email.to_address == "Alex@Example.org"
    link = re.search(r"http://localhost(/complaint/check/link/\S+)", email.body_text).group(1)
    assert FOLLOWUP_KEY not in email.body_text
    response = client.get(link)
    assert response.headers["Location"].endswith(f"/complaint/case/{case.reference}")
    assert client.get(f"/complaint/case/{case.reference}").status_code == 200


def test_a_forged_host_header_never_reaches_an_emailed_sign_in_link(app, client, db_session):
    """Host-header poisoning: the token would be mailed inside a link to the attacker's site."""
    app.config["PUBLIC_BASE_URL"] = "https://ethics.example.org/office"
    # The attacker's own session and CSRF token live under the forged host; the test client's
    # cookie jar does not follow the Host header, so CSRF is off for this one request.
    app.config["WTF_CSRF_ENABLED"] = False
    case = CaseFactory(complainant_email="alex@example.org")
    response = client.post("/complaint/check/link", data={
        "reference": case.reference, "email": "alex@example.org"}, headers={"Host": "evil.example"})
    assert response.status_code == 200, response.status_code
    [email] = db_session.scalars(select(OutboxMessage)).all()
    assert "https://ethics.example.org/office/complaint/check/link/" in email.body_text
    assert "evil.example" not in email.body_text


def test_an_expired_or_forged_login_link_opens_nothing(app, client, db_session, monkeypatch):
    from ethics_cases.cases import operations

    case = CaseFactory()
    with app.test_request_context():
        token = operations.login_link_token(case)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(f"/complaint/check/link/{forged}").headers["Location"].endswith(
        "/complaint/check")
    monkeypatch.setattr(operations, "LOGIN_LINK_MAX_AGE", -1)
    assert client.get(f"/complaint/check/link/{token}").headers["Location"].endswith(
        "/complaint/check")
    assert client.get(f"/complaint/case/{case.reference}").status_code == 404
    monkeypatch.setattr(operations, "LOGIN_LINK_MAX_AGE", 3600)
    assert client.get(f"/complaint/check/link/{token}").headers["Location"].endswith(
        f"/complaint/case/{case.reference}")


def test_reply_answers_the_committees_request(client, db_session):
    case = CaseFactory()
    request = CaseMessageFactory(case=case, audience="complainant", is_request=True)
    _open(client, case)
    response = client.post(f"/complaint/case/{case.reference}/reply",
                           data={"body": "Here is what happened next.",
                                 "in_reply_to": str(request.id)})
    assert response.status_code == 302
    reply = db_session.scalars(select(CaseMessage).where(CaseMessage.in_reply_to_id.is_not(None))
                               ).one()
    assert reply.author_kind == "complainant" and reply.audience == "committee"
    assert db_session.get(CaseMessage, request.id).answered_at is not None


def test_an_empty_reply_is_refused_with_a_message(client, db_session):
    case = CaseFactory()
    _open(client, case)
    response = client.post(f"/complaint/case/{case.reference}/reply", data={"body": ""})
    assert response.status_code == 422
    assert "Please write your message." in response.get_data(as_text=True)


def test_complainant_adds_evidence_and_a_bad_file_adds_nothing(app, client, db_session):
    case = CaseFactory()
    _open(client, case)
    url = f"/complaint/case/{case.reference}/evidence"
    bad = client.post(url, data={"files": [upload(PDF, "a.pdf"),
                                           upload(b"<html></html>", "b.pdf")]},
                      content_type="multipart/form-data")
    assert bad.status_code == 422 and "not a type of file we accept" in bad.get_data(as_text=True)
    assert db_session.scalars(select(Evidence)).all() == []
    good = client.post(url, data={"files": [upload(PDF, "a.pdf")]},
                       content_type="multipart/form-data")
    assert good.status_code == 302
    [item] = db_session.scalars(select(Evidence)).all()
    assert item.case_id == case.id and item.uploaded_by_kind == "complainant"


def test_withdrawal_needs_a_reason_and_then_closes_the_complaint(client, db_session):
    case = CaseFactory(due_at=datetime.now(UTC) + timedelta(days=3))
    _open(client, case)
    url = f"/complaint/case/{case.reference}/withdraw"
    refused = client.post(url, data={"reason": "", "confirm": "y", "expected_version": "1"})
    assert refused.status_code == 422
    assert "Please give a reason" in refused.get_data(as_text=True)
    assert 'name="expected_version" type="hidden" value="1"' in refused.get_data(as_text=True)
    assert client.post(url, data={"reason": "We settled it.", "confirm": "y",
                                  "expected_version": "1"}).status_code == 302
    db_session.refresh(case)
    assert case.state == "withdrawn" and case.withdrawal_reason == "We settled it."
    assert case.withdrawn_at is not None and case.due_at is None and case.version == 2
    html = client.get(f"/complaint/case/{case.reference}").get_data(as_text=True)
    assert "Where it stands: Withdrawn" in html and "Withdraw my complaint" not in html


def test_a_withdrawal_from_a_page_the_committee_has_since_changed_is_not_applied(
        client, db_session):
    case = CaseFactory(due_at=datetime.now(UTC) + timedelta(days=3))
    _open(client, case)
    shown = client.get(f"/complaint/case/{case.reference}").get_data(as_text=True)
    assert 'name="expected_version" type="hidden" value="1"' in shown
    case.version = 2  # the committee acted meanwhile (e.g. started screening)
    db_session.commit()
    response = client.post(f"/complaint/case/{case.reference}/withdraw",
                           data={"reason": "settled", "confirm": "y", "expected_version": "1"},
                           follow_redirects=True)
    assert "The committee changed your case while you were writing" in response.get_data(
        as_text=True)
    db_session.refresh(case)
    assert case.state != "withdrawn" and case.version == 2
    missing = client.post(f"/complaint/case/{case.reference}/withdraw",
                          data={"reason": "settled", "confirm": "y"})
    assert missing.status_code == 422 and "This page was out of date" in missing.get_data(
        as_text=True)


def test_withdrawal_after_a_decision_is_refused(client, db_session):
    case = CaseFactory(state="decided")
    _open(client, case)
    client.post(f"/complaint/case/{case.reference}/withdraw",
                data={"reason": "changed my mind", "confirm": "y", "expected_version": "1"})
    db_session.refresh(case)
    assert case.state == "decided"


def test_complainant_actions_are_audited_as_the_complainant(client, db_session):
    case = CaseFactory()
    _open(client, case)
    client.post(f"/complaint/case/{case.reference}/reply", data={"body": "A message"})
    db_session.refresh(case)
    client.post(f"/complaint/case/{case.reference}/withdraw", data={
        "reason": "private reason text", "confirm": "y", "expected_version": str(case.version)})
    events = db_session.scalars(select(audit.AuditEvent).order_by(audit.AuditEvent.seq)).all()
    assert [e.action for e in events] == ["case.message.sent", "case.transition.withdraw"]
    assert {(e.actor_kind, e.actor_id, e.case_ref) for e in events} == {
        ("complainant", case.reference, case.reference)}
    assert all("private reason" not in e.canonical and "A message" not in e.canonical
               for e in events)
