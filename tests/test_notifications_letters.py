"""Letters: generated on decision, sanction and dismissal steps in the step's transaction,
hash recorded, downloadable only by those entitled, each download audited."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from ethics_cases.audit.models import AuditEvent
from ethics_cases.extensions import db
from ethics_cases.notifications.letters import letter_path, letters_folder
from ethics_cases.notifications.models import CaseLetter
from ethics_cases.workflow import operations

from .factories.accounts import MemberUserFactory
from .factories.cases import AllegationFactory, CaseFactory
from .factories.workflow import Journey, future


def _letters(session) -> list[CaseLetter]:  # type: ignore[no-untyped-def]
    return list(session.scalars(select(CaseLetter).order_by(CaseLetter.id)))


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(str(path)).pages)


def _decided(app, **case_kwargs) -> Journey:  # type: ignore[no-untyped-def]
    with app.app_context():
        if case_kwargs:
            db.session.commit()
            user = MemberUserFactory()
            case = CaseFactory(respondent=user.member, **case_kwargs)
            AllegationFactory(case=case, clause_id="MPP-B.1", position=0)
            journey = Journey(respondent=user, case=case)
        else:
            journey = Journey()
        journey.to_decided("training", programme="Boundaries course",
                           completion_deadline=future(90))
        return journey


def test_a_decision_issues_letters_to_both_parties_with_their_hash(app, db_session):
    journey = _decided(app)
    letters = _letters(db_session)
    assert [(x.kind, x.recipient, x.trigger) for x in letters] == [
        ("decision", "respondent", "decide"), ("outcome", "complainant", "decide")]
    with app.app_context():
        for letter in letters:
            path = letter_path(letter)
            data = path.read_bytes()
            assert data.startswith(b"%PDF")
            assert hashlib.sha256(data).hexdigest() == letter.sha256 and len(data) == letter.size
            assert letters_folder() == Path(app.instance_path) / "letters"
        event = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "case.transition.decide")).one()
    assert [item["sha256"] for item in event.details["letters"]] == [x.sha256 for x in letters]
    with app.app_context():
        text = _pdf_text(letter_path(letters[0]))
    assert journey.ref in text and "MPP-B.1: breach found" in text
    assert "The panel's reasons." in text and "until" in text  # the appeal window


def test_the_sanction_letter_follows_when_the_sanction_takes_effect(app, db_session):
    journey = _decided(app)
    with app.app_context():
        db.session.expire_all()
        journey.case = db.session.get(type(journey.case), journey.case_id)
        journey.let_appeal_window_close()
    kinds = [(x.kind, x.recipient, x.trigger) for x in _letters(db_session)]
    assert kinds[-1] == ("sanction", "respondent", "confirm_sanction")
    with app.app_context():
        text = _pdf_text(letter_path(_letters(db_session)[-1]))
    assert "Boundaries course" in text


def test_a_dismissal_issues_the_complainants_letter(app, db_session):
    with app.app_context():
        journey = Journey()
        journey.fire("start_screening", journey.chair)
        journey.fire("dismiss", journey.chair, reason="Outside the three-year time limit.")
        [letter] = _letters(db.session)
        assert (letter.kind, letter.recipient) == ("dismissal", "complainant")
        assert "three-year time limit" in _pdf_text(letter_path(letter))


def test_respondent_letter_never_names_a_withheld_complainant(app, db_session):
    _decided(app, withhold_identity=True, complainant_name="Zelda Quonsett",
             complainant_email="zelda.quonsett@example.org")
    decision, outcome = _letters(db_session)
    with app.app_context():
        to_respondent = _pdf_text(letter_path(decision))
        to_complainant = _pdf_text(letter_path(outcome))
    assert "Quonsett" not in to_respondent and "zelda" not in to_respondent.lower()
    assert "withheld" in to_respondent
    assert "Zelda Quonsett" in to_complainant


def test_a_step_that_rolls_back_leaves_no_letter_behind(app, db_session, monkeypatch):
    with app.app_context():
        journey = Journey().to_hearing()
        journey.vote(True)

        def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
            raise RuntimeError("audit store unavailable")

        monkeypatch.setattr(operations.audit, "record", broken)
        with pytest.raises(RuntimeError):
            journey.decide("training", programme="Course", completion_deadline=future(90))
        folder = letters_folder()
    assert _letters(db_session) == []
    assert not folder.exists() or list(folder.iterdir()) == []


# -- downloads --------------------------------------------------------------------------------


def _grant(client, case_id: int) -> None:  # type: ignore[no-untyped-def]
    with client.session_transaction() as session:
        session["case_grants"] = [[case_id, int(time.time()) + 3600]]


def _downloads(session) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    return list(session.scalars(select(AuditEvent).where(
        AuditEvent.action == "letter.downloaded").order_by(AuditEvent.seq)))


def test_each_party_downloads_only_their_own_letter(app, client, db_session, login_as):
    journey = _decided(app)
    decision, outcome = _letters(db_session)
    ref = journey.ref
    respondent_url = f"/my/cases/{ref}/letters/{decision.id}"
    complainant_url = f"/complaint/case/{ref}/letters/{outcome.id}"

    # anonymous: nothing
    assert client.get(respondent_url).status_code in (302, 401)
    assert client.get(complainant_url).status_code == 404
    assert client.get(f"/cases/{ref}/letters/{decision.id}").status_code in (302, 401)

    # the respondent: their decision letter, not the complainant's outcome letter
    login_as(client, journey.respondent)
    response = client.get(respondent_url)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert hashlib.sha256(response.data).hexdigest() == decision.sha256
    assert "no-store" in response.headers["Cache-Control"]
    assert client.get(f"/my/cases/{ref}/letters/{outcome.id}").status_code == 404
    assert client.get(complainant_url).status_code == 404
    assert client.get(f"/cases/{ref}/letters/{decision.id}").status_code == 403

    # another member: nothing
    login_as(client, MemberUserFactory())
    assert client.get(respondent_url).status_code == 404

    # the complainant (case grant, no account): the outcome letter only
    with client.session_transaction() as session:
        session.clear()
    _grant(client, journey.case_id)
    response = client.get(complainant_url)
    assert response.status_code == 200
    assert hashlib.sha256(response.data).hexdigest() == outcome.sha256
    assert client.get(f"/complaint/case/{ref}/letters/{decision.id}").status_code == 404

    # the committee: every letter
    login_as(client, journey.chair)
    assert client.get(f"/cases/{ref}/letters/{decision.id}").status_code == 200
    assert client.get(f"/cases/{ref}/letters/{outcome.id}").status_code == 200

    events = _downloads(db_session)
    assert [(e.details["letter_id"], e.details["as"], e.actor_kind) for e in events] == [
        (decision.id, "respondent", "user"), (outcome.id, "complainant", "complainant"),
        (decision.id, "committee", "user"), (outcome.id, "committee", "user")]
    assert all(e.case_ref == ref for e in events)


def test_letters_are_listed_where_the_reader_is_entitled(app, client, db_session, login_as):
    journey = _decided(app)
    decision, outcome = _letters(db_session)
    login_as(client, journey.chair)
    page = client.get(f"/cases/{journey.ref}").get_data(as_text=True)
    assert f"/cases/{journey.ref}/letters/{decision.id}" in page
    assert f"/cases/{journey.ref}/letters/{outcome.id}" in page
    login_as(client, journey.respondent)
    page = client.get(f"/my/cases/{journey.ref}").get_data(as_text=True)
    assert f"/letters/{decision.id}" in page and f"/letters/{outcome.id}" not in page
    with client.session_transaction() as session:
        session.clear()
    _grant(client, journey.case_id)
    page = client.get(f"/complaint/case/{journey.ref}").get_data(as_text=True)
    assert f"/letters/{outcome.id}" in page and f"/letters/{decision.id}" not in page


def test_a_letter_of_another_case_is_not_served_under_this_one(app, client, db_session,
                                                               login_as):
    journey = _decided(app)
    decision, _ = _letters(db_session)
    other = CaseFactory()
    login_as(client, journey.chair)
    assert client.get(f"/cases/{other.reference}/letters/{decision.id}").status_code == 404


def test_retention_can_delete_the_files_and_keep_the_hashes(app, client, db_session, login_as):
    from ethics_cases.notifications.letters import delete_letter_files

    journey = _decided(app)
    with app.app_context():
        assert delete_letter_files(journey.case_id) == 2
        assert all(not letter_path(x).exists() for x in _letters(db.session))
    assert len(_letters(db_session)) == 2  # the rows and their hashes stay
    login_as(client, journey.chair)
    assert client.get(f"/cases/{journey.ref}/letters/{_letters(db_session)[0].id}"
                      ).status_code == 404
    assert _downloads(db_session) == []  # nothing was served, nothing recorded


def test_an_agreed_resolution_issues_the_sanction_and_outcome_letters(app, db_session):
    with app.app_context():
        journey = Journey().to_awaiting_response()
        journey.fire("propose_agreement", journey.chair, {"sanction_key": "warning"},
                     reason="A first, minor matter.")
        journey.fire("accept_agreement", journey.respondent, reason="")
        letters = [(x.kind, x.recipient) for x in _letters(db.session)]
        assert letters == [("outcome", "complainant"), ("sanction", "respondent")]
        outcome_text = _pdf_text(letter_path(_letters(db.session)[0]))
    assert "accepted a resolution by agreement" in outcome_text


def test_an_appeal_decision_writes_to_both_parties_and_confirms_the_sanction(app, db_session):
    from .factories.workflow import CommitteeUserFactory

    with app.app_context():
        journey = Journey().to_decided("probation", start_date=future(1),
                                       end_date=future(180))
        journey.fire("appeal", journey.respondent, reason="The panel misread the evidence.")
        db.session.commit()
        extra = CommitteeUserFactory()
        journey.seat_panel([*journey.committee[3:5], extra])
        journey.fire("decide_appeal", journey.chair, {"appeal_outcome": "upheld"},
                     reason="The evidence was read correctly.")
        issued = [(x.kind, x.recipient, x.trigger) for x in _letters(db.session)][2:]
        assert issued == [("appeal_decision", "respondent", "decide_appeal"),
                          ("outcome", "complainant", "decide_appeal"),
                          ("sanction", "respondent", "decide_appeal")]
        text = _pdf_text(letter_path(_letters(db.session)[2]))
    assert "The decision is upheld." in text and "The evidence was read correctly." in text
