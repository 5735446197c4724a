"""Workflow pages: the actions box shows only what the user may do now; forms post through
``operations.fire``; refusals keep the input and say why; conflicts answer 409 naming who
changed the case; respondents see their case only once notified; panel access rules."""

from __future__ import annotations

import io

from sqlalchemy import select

from ethics_cases.audit.models import AuditEvent
from ethics_cases.cases.models import Case, CaseMessage, Evidence
from ethics_cases.extensions import db
from ethics_cases.workflow.procedure import STATES, STEPS

from .factories.accounts import MemberUserFactory
from .factories.cases import FOLLOWUP_KEY, SAMPLE_PDF
from .factories.workflow import Journey, future


def _journey(app, **kwargs) -> Journey:  # type: ignore[no-untyped-def]
    with app.app_context():
        journey = Journey(**kwargs)
        journey.fire("start_screening", journey.chair)
        db.session.commit()
        return journey


def _state(db_session, journey: Journey) -> str:
    db_session.expire_all()
    return db_session.get(Case, journey.case_id).state


def _version(db_session, journey: Journey) -> int:
    db_session.expire_all()
    return db_session.get(Case, journey.case_id).version


def test_case_page_shows_only_the_actions_this_user_may_take_now(app, client, db_session,
                                                                login_as):
    journey = _journey(app)
    login_as(client, journey.chair)
    page = client.get(f"/cases/{journey.ref}").get_data(as_text=True)
    assert "Accept and notify the member" in page and "Dismiss" in page
    assert "Extend the response deadline" not in page
    login_as(client, journey.committee[0])
    page = client.get(f"/cases/{journey.ref}").get_data(as_text=True)
    assert "Screening" in page
    assert "Accept and notify the member" not in page
    assert "Nothing for you to do on this case now." in page


def test_chair_accepts_through_the_form(app, client, db_session, login_as):
    journey = _journey(app)
    login_as(client, journey.chair)
    version = _version(db_session, journey)
    response = client.post(f"/cases/{journey.ref}/actions/accept",
                           data={"accept-expected_version": version,
                                 "accept-clause_ids": ["MPP-A.2"],
                                 "accept-reason": "Within jurisdiction."})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/cases/{journey.ref}")
    assert _state(db_session, journey) == "awaiting_response"


def test_missing_reason_keeps_the_input_and_says_what_to_fix(app, client, db_session, login_as):
    journey = _journey(app)
    login_as(client, journey.chair)
    version = _version(db_session, journey)
    response = client.post(f"/cases/{journey.ref}/actions/dismiss",
                           data={"dismiss-expected_version": version, "dismiss-reason": ""})
    assert response.status_code == 422
    assert "Please fill this in." in response.get_data(as_text=True)
    response = client.post(f"/cases/{journey.ref}/actions/extend_deadline",
                           data={"extend_deadline-expected_version": version,
                                 "extend_deadline-due_on": "2099-01-01",
                                 "extend_deadline-reason": "Asked for more time."})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "is not possible while the case is screening" in page
    assert "Asked for more time." in page  # kept
    assert _state(db_session, journey) == "screening"


def test_a_stale_form_answers_409_naming_who_changed_the_case(app, client, db_session, login_as):
    journey = _journey(app)
    stale = _version(db_session, journey)
    with app.app_context():
        journey.case = db.session.get(Case, journey.case_id)
        journey.fire("dismiss", journey.chair, reason="Out of scope.")
    other_chair = journey.chair
    login_as(client, other_chair)
    response = client.post(f"/cases/{journey.ref}/actions/accept",
                           data={"accept-expected_version": stale, "accept-reason": "Go."})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert f"This case was changed by {journey.chair.full_name} at " in page
    assert _state(db_session, journey) == "dismissed"


def test_refusals_without_csrf_or_the_role(app, client, db_session, login_as):
    journey = _journey(app)
    login_as(client, journey.chair)
    response = client.post(f"/cases/{journey.ref}/actions/dismiss",
                           data={"dismiss-expected_version": 1, "dismiss-reason": "x"},
                           csrf=False)
    assert response.status_code == 400
    member = MemberUserFactory()
    login_as(client, member)
    response = client.post(f"/cases/{journey.ref}/actions/dismiss",
                           data={"dismiss-expected_version": 1, "dismiss-reason": "x"})
    assert response.status_code == 403
    assert client.get("/cases/EC-2000-0001/actions/dismiss").status_code == 403
    login_as(client, journey.chair)
    assert client.get(f"/cases/{journey.ref}/actions/nope").status_code == 404
    assert _state(db_session, journey) == "screening"


def test_respondent_sees_the_case_only_once_notified_and_responds(app, client, db_session,
                                                                  login_as):
    journey = _journey(app)
    login_as(client, journey.respondent)
    assert client.get(f"/my/cases/{journey.ref}").status_code == 404
    assert journey.ref not in client.get("/my/cases").get_data(as_text=True)
    with app.app_context():
        journey.case = db.session.get(Case, journey.case_id)
        journey.fire("accept", journey.chair, reason="OK.")
    page = client.get(f"/my/cases/{journey.ref}").get_data(as_text=True)
    assert "MPP-B.1" in page and "Send my response" in page
    assert journey.ref in client.get("/my/cases").get_data(as_text=True)
    version = _version(db_session, journey)
    response = client.post(f"/my/cases/{journey.ref}/actions/respond",
                           data={"respond-expected_version": version,
                                 "respond-reason": "I deny it."})
    assert response.status_code == 302
    assert db_session.scalar(select(CaseMessage.body).where(
        CaseMessage.author_kind == "respondent")) == "I deny it."
    # the respondent cannot use committee actions, and another member sees nothing
    assert client.post(f"/cases/{journey.ref}/actions/extend_deadline",
                       data={}).status_code == 403
    login_as(client, MemberUserFactory())
    assert client.get(f"/my/cases/{journey.ref}").status_code == 404


def test_respondent_uploads_evidence(app, client, db_session, login_as):
    journey = _journey(app)
    with app.app_context():
        journey.case = db.session.get(Case, journey.case_id)
        journey.fire("accept", journey.chair, reason="OK.")
    login_as(client, journey.respondent)
    response = client.post(f"/my/cases/{journey.ref}/evidence",
                           data={"files": (io.BytesIO(SAMPLE_PDF), "reply.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    row = db_session.scalar(select(Evidence))
    assert (row.original_filename, row.uploaded_by_kind) == ("reply.pdf", "respondent")
    response = client.post(f"/my/cases/{journey.ref}/evidence",
                           data={"files": (io.BytesIO(b"MZ\x90\x00binary"), "evil.pdf")},
                           content_type="multipart/form-data")
    assert db_session.scalar(select(Evidence).where(Evidence.original_filename == "evil.pdf")) \
        is None


def test_undeclared_panelist_must_declare_and_recused_panelist_loses_access(
        app, client, db_session, login_as):
    journey = _journey(app)
    with app.app_context():
        journey.case = db.session.get(Case, journey.case_id)
        journey.fire("accept", journey.chair, reason="OK.")
        journey.fire("start_investigation", journey.chair,
                     {"investigator_id": journey.investigator.id})
        journey.fire("submit_findings", journey.investigator, {"findings": "Facts."})
        journey.fire("appoint_panelist", journey.chair, {"panelist_id": journey.panel[0].id})
        journey.fire("appoint_panelist", journey.chair, {"panelist_id": journey.panel[1].id})
    login_as(client, journey.panel[0])
    response = client.get(f"/cases/{journey.ref}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/cases/{journey.ref}/actions/declare_no_conflict")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    narrative = db_session.get(Case, journey.case_id).narrative
    assert "Before you see the case file" in page and narrative not in page
    version = _version(db_session, journey)
    response = client.post(f"/cases/{journey.ref}/actions/declare_no_conflict",
                           data={"declare_no_conflict-expected_version": version,
                                 "declare_no_conflict-no_conflict": "y"})
    assert response.status_code == 302
    assert client.get(f"/cases/{journey.ref}").status_code == 200
    login_as(client, journey.panel[1])
    version = _version(db_session, journey)
    client.post(f"/cases/{journey.ref}/actions/recuse",
                data={"recuse-expected_version": version, "recuse-reason": "I know them."})
    assert client.get(f"/cases/{journey.ref}").status_code == 403


def test_procedure_page_is_generated_from_the_machine(client, db_session, login_as):
    login_as(client, MemberUserFactory())
    page = client.get("/workflow").get_data(as_text=True)
    assert "<svg" in page
    for state in STATES:
        assert f'id="state-{state.name}"' in page
    for step in STEPS:
        assert step.trigger in page
    response = client.get("/workflow/workflow.css")
    assert response.status_code == 200 and response.mimetype == "text/css"
    response.close()


def test_steps_a_case_only_guard_would_refuse_are_not_offered(app, client, db_session,
                                                              login_as):
    other = _journey(app)
    with app.app_context():
        other.case = db.session.get(Case, other.case_id)
        other.fire("accept", other.chair, reason="OK.")
        other.fire("start_investigation", other.chair, {"investigator_id": other.investigator.id})
        other.fire("submit_findings", other.investigator, {"findings": "Facts."})
        other.seat_panel()
        other.fire("schedule_hearing", other.chair, {"hearing_on": future(9)})
        other.vote(True)
        other.decide("warning")
    login_as(client, other.chair)
    page = client.get(f"/cases/{other.ref}").get_data(as_text=True)
    assert "Decided (appeal window)" in page
    assert "Sanction takes effect" not in page  # the appeal window is still open


def test_respondent_answers_a_request_for_information(app, client, db_session, login_as):
    journey = _journey(app)
    with app.app_context():
        journey.case = db.session.get(Case, journey.case_id)
        journey.fire("accept", journey.chair, reason="OK.")
        journey.fire("start_investigation", journey.chair,
                     {"investigator_id": journey.investigator.id})
        journey.fire("request_information", journey.investigator, {"audience": "respondent"},
                     reason="Please send your session notes.")
        request_id = db.session.scalar(select(CaseMessage.id).where(
            CaseMessage.is_request.is_(True)))
    login_as(client, journey.respondent)
    page = client.get(f"/my/cases/{journey.ref}").get_data(as_text=True)
    assert "Please send your session notes." in page and "Send answer" in page
    response = client.post(f"/my/cases/{journey.ref}/reply",
                           data={"body": "Attached separately.", "in_reply_to": request_id})
    assert response.status_code == 302
    db_session.expire_all()
    assert db_session.get(CaseMessage, request_id).answered_at is not None
    answer = db_session.scalar(select(CaseMessage).where(CaseMessage.in_reply_to_id == request_id))
    assert (answer.author_kind, answer.audience) == ("respondent", "committee")
    # a request to the complainant is not the respondent's to answer
    with app.app_context():
        journey.case = db.session.get(Case, journey.case_id)
        journey.fire("request_information", journey.investigator, {"audience": "complainant"},
                     reason="When did it end?")
        other = db.session.scalar(select(CaseMessage.id).where(
            CaseMessage.audience == "complainant", CaseMessage.is_request.is_(True)))
    client.post(f"/my/cases/{journey.ref}/reply", data={"body": "x", "in_reply_to": other})
    assert db_session.scalar(select(CaseMessage).where(CaseMessage.in_reply_to_id == other)) \
        is None


def test_complainant_appeals_a_dismissal_from_a_followup_session(app, client, db_session):
    journey = _journey(app)
    with app.test_request_context():
        journey.case = db.session.get(Case, journey.case_id)
        journey.fire("dismiss", journey.chair, reason="Not about mentoring.")
        notice = db.session.scalar(select(CaseMessage.body).where(
            CaseMessage.audience == "complainant"))
    assert f"/case/{journey.ref}/appeal" in notice
    # nobody without the follow-up grant learns anything
    assert client.get(f"/case/{journey.ref}/appeal").status_code == 404
    client.post("/complaint/check", data={"reference": journey.ref, "key": FOLLOWUP_KEY})
    page = client.get(f"/case/{journey.ref}/appeal").get_data(as_text=True)
    assert "Appeal against the dismissal" in page
    response = client.post(f"/case/{journey.ref}/appeal", data={
        "appeal_dismissal-expected_version": _version(db_session, journey),
        "appeal_dismissal-reason": "It happened during a paid mentoring session."})
    assert response.status_code == 302
    assert _state(db_session, journey) == "appeal"
    event = db_session.scalar(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1))
    assert (event.action, event.actor_kind) == ("case.transition.appeal_dismissal",
                                                "complainant")
    assert "An appeal is not possible now" in client.get(
        f"/case/{journey.ref}/appeal").get_data(as_text=True)
