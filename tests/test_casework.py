"""Casework: identity protection, internal notes, party-only messages, the case officer, tags,
the sanction consistency view and the hearing bundle — each with its allowed and refused paths.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime

from sqlalchemy import select

from ethics_cases.audit.models import AuditEvent
from ethics_cases.cases.models import Case, CaseMessage
from ethics_cases.casework import queries
from ethics_cases.casework.models import (
    CaseTag,
    HearingBundle,
    IdentityDisclosure,
    OfficerAssignment,
    Tag,
)
from ethics_cases.extensions import db
from ethics_cases.workflow.models import AllegationFinding

from .factories.accounts import MemberUserFactory
from .factories.cases import (
    FOLLOWUP_KEY,
    SAMPLE_PDF,
    AllegationFactory,
    CaseFactory,
    CaseMessageFactory,
    EvidenceFactory,
    write_evidence_file,
)
from .factories.workflow import Journey, SanctionFactory
from .sql_statements import recorded_statements

NAME = "Abigail Okafor"
EMAIL = "abi.okafor@example.org"
SECRETS = (NAME, "Okafor", "Abigail", EMAIL, "abi.okafor")


def _withheld_journey(app, *, notified: bool = True) -> Journey:  # type: ignore[no-untyped-def]
    with app.app_context():
        db.session.commit()
        respondent = MemberUserFactory()
        case = CaseFactory(respondent=respondent.member, withhold_identity=True,
                           complainant_name=NAME, complainant_email=EMAIL,
                           complainant_phone="+44 7700 900123",
                           narrative=f"My name is {NAME} and my mentor shared my notes.")
        AllegationFactory(case=case, clause_id="MPP-B.1")
        journey = Journey(respondent=respondent, case=case)
        if notified:
            journey.to_awaiting_response()
        else:
            journey.fire("start_screening", journey.chair)
        db.session.commit()
        return journey


def _journey(app, **kwargs) -> Journey:  # type: ignore[no-untyped-def]
    with app.app_context():
        journey = Journey(**kwargs)
        journey.to_awaiting_response()
        db.session.commit()
        return journey


def _events(db_session, ref: str, action: str) -> list[AuditEvent]:
    db_session.expire_all()
    return list(db_session.scalars(select(AuditEvent).where(
        AuditEvent.case_ref == ref, AuditEvent.action == action)))


def _version(db_session, case_id: int) -> int:
    db_session.expire_all()
    return db_session.get(Case, case_id).version


def _as_complainant(client, ref: str):  # type: ignore[no-untyped-def]
    response = client.post("/complaint/check", data={"reference": ref, "key": FOLLOWUP_KEY})
    assert response.status_code in (302, 303)


# -- identity protection -------------------------------------------------------------------


def _respondent_surfaces(client, journey: Journey, evidence_id: int) -> list:  # type: ignore[no-untyped-def]
    ref = journey.ref
    urls = ["/my/cases", f"/my/cases/{ref}", f"/my/cases/{ref}/actions/respond",
            f"/my/cases/{ref}/actions/appeal", f"/cases/{ref}",
            f"/cases/{ref}/documents/{evidence_id}", "/me"]
    responses = [(url, client.get(url)) for url in urls]
    responses.append(("bundle", client.post(f"/cases/{ref}/bundle")))
    responses.append(("note", client.post(f"/cases/{ref}/notes", data={"note-body": "x"})))
    return responses


def test_a_withheld_identity_never_reaches_the_respondent(app, client, db_session, login_as):
    journey = _withheld_journey(app)
    case = db_session.get(Case, journey.case_id)
    item = EvidenceFactory(case=case, original_filename="Okafor-statement.pdf")
    write_evidence_file(app.config["UPLOAD_FOLDER"], item, SAMPLE_PDF)
    # The committee forgets and names her in a message to the member; the complainant writes
    # to both parties: the respondent's page must still not show her name.
    CaseMessageFactory(case=case, audience="respondent",
                       body=f"Please comment on what Ms Okafor ({EMAIL}) describes.")
    CaseMessageFactory(case=case, audience="parties", author_kind="complainant",
                       body=f"I am {NAME}.")
    login_as(client, journey.respondent)
    page = client.get(f"/my/cases/{journey.ref}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "a complainant whose identity is withheld" in text
    assert "Please comment on what Ms [withheld]" in text
    for url, response in _respondent_surfaces(client, journey, item.id):
        body = response.get_data()
        for secret in SECRETS:
            assert secret.encode() not in body, (url, secret)
    # Refused where they are not entitled at all.
    assert client.get(f"/cases/{journey.ref}/documents/{item.id}").status_code == 404
    assert client.post(f"/cases/{journey.ref}/bundle").status_code == 403
    # No email to the member carries her name either.
    from ethics_cases.mail.models import OutboxMessage

    db_session.expire_all()
    for mail in db_session.scalars(select(OutboxMessage)):
        if mail.to_address == journey.respondent.email:
            blob = json.dumps({k: str(v) for k, v in vars(mail).items() if not k.startswith("_")})
            for secret in SECRETS:
                assert secret not in blob


def test_committee_sees_the_identity_and_the_withheld_badge(app, client, login_as):
    journey = _withheld_journey(app)
    login_as(client, journey.committee[0])
    text = client.get(f"/cases/{journey.ref}").get_data(as_text=True)
    assert NAME in text and EMAIL in text
    assert "Withheld from the member" in text
    assert "Disclose to the member" not in text  # only the chair decides


def test_only_the_chair_discloses_with_reasons_and_it_is_recorded(app, client, db_session,
                                                                  login_as):
    journey = _withheld_journey(app)
    url = f"/cases/{journey.ref}/identity/disclose"
    version = _version(db_session, journey.case_id)
    # A committee member (not chair) and the respondent are refused by role.
    login_as(client, journey.committee[0])
    assert client.post(url, data={"disclose-reasons": "Because it is fair.",
                                  "disclose-expected_version": version}).status_code == 403
    login_as(client, journey.respondent)
    assert client.post(url, data={"disclose-reasons": "Because it is fair.",
                                  "disclose-expected_version": version}).status_code == 403
    # The chair without reasons: 422, the field says why.
    login_as(client, journey.chair)
    response = client.post(url, data={"disclose-reasons": "",
                                      "disclose-expected_version": version})
    assert response.status_code == 422 and "Please fill this in." in response.get_data(True)
    # A stale form: refused, nothing recorded.
    response = client.post(url, data={"disclose-reasons": "The member cannot answer otherwise.",
                                      "disclose-expected_version": version - 1})
    assert response.status_code == 422 and "changed after you opened it" in response.get_data(True)
    assert db_session.scalars(select(IdentityDisclosure)).all() == []
    # Decided.
    reasons = "The allegations cannot be answered without knowing the client."
    response = client.post(url, data={"disclose-reasons": reasons,
                                      "disclose-expected_version": version})
    assert response.status_code == 302
    events = _events(db_session, journey.ref, "case.identity_disclosed")
    assert len(events) == 1 and events[0].reason == reasons
    decision = db_session.scalars(select(IdentityDisclosure)).one()
    assert decision.decided_by_user_id == journey.chair.id and decision.reasons == reasons
    # The complainant is told; the respondent now sees who complained.
    assert db_session.scalars(select(CaseMessage).where(
        CaseMessage.case_id == journey.case_id, CaseMessage.audience == "complainant",
        CaseMessage.body.contains(reasons))).one()
    login_as(client, journey.respondent)
    text = client.get(f"/my/cases/{journey.ref}").get_data(as_text=True)
    assert NAME in text and "my mentor shared my notes" in text
    # A second disclosure is refused.
    login_as(client, journey.chair)
    response = client.post(url, data={"disclose-reasons": reasons,
                                      "disclose-expected_version":
                                          _version(db_session, journey.case_id)})
    assert response.status_code == 422 and "already disclosed" in response.get_data(True)


def test_a_committee_member_complained_about_gets_only_the_respondents_view(app, client,
                                                                           db_session,
                                                                           login_as):
    """Committee membership does not open the committee page of a case about oneself."""
    from ethics_cases.security import Role

    from .factories.accounts import _grant

    with app.app_context():
        db.session.commit()
    insider = MemberUserFactory()
    _grant(insider, [Role.COMMITTEE], True)
    with app.app_context():
        db.session.commit()
        case = CaseFactory(respondent=insider.member, withhold_identity=True,
                           complainant_name=NAME, complainant_email=EMAIL)
        AllegationFactory(case=case, clause_id="MPP-B.1")
        journey = Journey(respondent=insider, case=case)
        journey.to_awaiting_response()
        db.session.commit()
    item = EvidenceFactory(case=db_session.get(Case, journey.case_id))
    write_evidence_file(app.config["UPLOAD_FOLDER"], item, SAMPLE_PDF)
    login_as(client, insider)
    assert client.get(f"/cases/{journey.ref}").status_code == 404
    assert client.get(f"/cases/{journey.ref}/documents/{item.id}").status_code == 404
    assert client.post(f"/cases/{journey.ref}/notes", data={"note-body": "x"}).status_code == 404
    page = client.get(f"/my/cases/{journey.ref}")
    assert page.status_code == 200
    for secret in SECRETS:
        assert secret not in page.get_data(as_text=True)


# -- internal notes and party-only messages ------------------------------------------------


def test_internal_notes_are_invisible_to_both_parties(app, client, db_session, login_as):
    journey = _journey(app)
    note = "Internal: the supervisor of the member called us on Tuesday."
    login_as(client, journey.committee[1])
    response = client.post(f"/cases/{journey.ref}/notes", data={"note-body": note})
    assert response.status_code == 302
    assert note in client.get(f"/cases/{journey.ref}").get_data(as_text=True)
    assert len(_events(db_session, journey.ref, "case.note.added")) == 1
    stored = db_session.scalars(select(CaseMessage).where(
        CaseMessage.case_id == journey.case_id, CaseMessage.audience == "internal")).one()
    assert stored.body == note
    # Neither party.
    login_as(client, journey.respondent)
    assert "supervisor called" not in client.get(f"/my/cases/{journey.ref}").get_data(True)
    assert client.post(f"/cases/{journey.ref}/notes",
                       data={"note-body": "mine"}).status_code == 403
    complainant = app.test_client()
    _as_complainant(complainant, journey.ref)
    page = complainant.get(f"/complaint/case/{journey.ref}")
    assert page.status_code == 200 and "supervisor called" not in page.get_data(as_text=True)
    # An empty note keeps the form and says why.
    login_as(client, journey.committee[1])
    response = client.post(f"/cases/{journey.ref}/notes", data={"note-body": "  "})
    assert response.status_code == 422


def test_recused_panelist_cannot_read_or_add_notes_or_get_the_bundle(app, client, db_session,
                                                                     login_as):
    with app.app_context():
        journey = Journey()
        journey.to_awaiting_response()
        journey.fire("start_investigation", journey.chair,
                     {"investigator_id": journey.investigator.id})
        journey.fire("submit_findings", journey.investigator, {"findings": "Facts."})
        recused = journey.committee[0]
        journey.fire("appoint_panelist", journey.chair, {"panelist_id": recused.id})
        journey.fire("recuse", recused, reason="I know the complainant.")
        undeclared = journey.committee[1]
        journey.fire("appoint_panelist", journey.chair, {"panelist_id": undeclared.id})
        declared = journey.committee[3]
        journey.fire("appoint_panelist", journey.chair, {"panelist_id": declared.id})
        journey.fire("declare_no_conflict", declared, {"no_conflict": True}, reason="")
        db.session.commit()
    # A panelist who declared no conflict gets the bundle and the notes.
    login_as(client, declared)
    response = client.post(f"/cases/{journey.ref}/bundle")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    login_as(client, journey.committee[2])
    client.post(f"/cases/{journey.ref}/notes", data={"note-body": "Private committee view."})
    for user in (recused, undeclared):
        login_as(client, user)
        assert client.post(f"/cases/{journey.ref}/notes",
                           data={"note-body": "x"}).status_code == 403
        assert client.post(f"/cases/{journey.ref}/bundle").status_code == 403
    login_as(client, recused)
    assert client.get(f"/cases/{journey.ref}").status_code == 403


def test_a_message_to_one_party_is_never_shown_to_the_other(app, client, db_session, login_as):
    journey = _journey(app)
    login_as(client, journey.committee[0])
    to_complainant = "Only for the complainant: we have your statement."
    to_member = "Only for the member: please send your session notes."
    for audience, body in (("complainant", to_complainant), ("respondent", to_member)):
        response = client.post(f"/cases/{journey.ref}/party-messages",
                               data={"message-audience": audience, "message-body": body})
        assert response.status_code == 302
    events = _events(db_session, journey.ref, "case.message.sent")
    assert {e.details["audience"] for e in events} >= {"complainant", "respondent"}
    login_as(client, journey.respondent)
    page = client.get(f"/my/cases/{journey.ref}").get_data(as_text=True)
    assert to_member in page and to_complainant not in page
    complainant = app.test_client()
    _as_complainant(complainant, journey.ref)
    page = complainant.get(f"/complaint/case/{journey.ref}").get_data(as_text=True)
    assert to_complainant in page and to_member not in page
    # Refused: no audience; a party cannot use the committee's form.
    login_as(client, journey.committee[0])
    response = client.post(f"/cases/{journey.ref}/party-messages",
                           data={"message-body": "Hello"})
    assert response.status_code == 422 and "Hello" in response.get_data(as_text=True)
    login_as(client, journey.respondent)
    assert client.post(f"/cases/{journey.ref}/party-messages",
                       data={"message-audience": "complainant",
                             "message-body": "hi"}).status_code == 403


def test_the_member_cannot_be_written_to_before_being_notified(app, client, login_as):
    journey = _withheld_journey(app, notified=False)
    login_as(client, journey.committee[0])
    response = client.post(f"/cases/{journey.ref}/party-messages",
                           data={"message-audience": "respondent", "message-body": "Hi"})
    assert response.status_code == 422
    assert "has not been told of this case yet" in response.get_data(as_text=True)


# -- case officer ---------------------------------------------------------------------------


def test_assign_and_reassign_when_the_officer_leaves(app, client, db_session, login_as):
    journey = _journey(app)
    first, second = journey.committee[0], journey.committee[1]
    url = f"/cases/{journey.ref}/officer"
    login_as(client, journey.committee[2])  # not the chair
    assert client.post(url, data={"officer-officer_id": first.id}).status_code == 403
    login_as(client, journey.chair)
    # A party cannot be officer.
    response = client.post(url, data={"officer-officer_id": journey.respondent.id})
    assert response.status_code == 422
    assert client.post(url, data={"officer-officer_id": first.id,
                                  "officer-reason": "Has capacity."}).status_code == 302
    assert first.full_name in client.get(f"/cases/{journey.ref}").get_data(as_text=True)
    # The officer leaves the committee: the case page and the reassignment list say so.
    db_session.expire_all()
    db_session.get(type(first), first.id).active = False
    db_session.commit()
    assert "has left the committee" in client.get(f"/cases/{journey.ref}").get_data(True)
    assert journey.ref in client.get("/casework/reassignments").get_data(as_text=True)
    # The departed officer can no longer be chosen; another member can.
    assert client.post(url, data={"officer-officer_id": first.id}).status_code == 422
    assert client.post(url, data={"officer-officer_id": second.id}).status_code == 302
    db_session.expire_all()
    rows = db_session.scalars(select(OfficerAssignment).where(
        OfficerAssignment.case_id == journey.case_id).order_by(OfficerAssignment.id)).all()
    assert [(r.officer_user_id, r.end_reason, r.ended_at is None) for r in rows] == [
        (first.id, "left", False), (second.id, None, True)]
    assert len(_events(db_session, journey.ref, "case.officer.assigned")) == 1
    reassigned = _events(db_session, journey.ref, "case.officer.reassigned")
    assert reassigned[0].details["previous_end_reason"] == "left"
    assert journey.ref not in client.get("/casework/reassignments").get_data(as_text=True)


def test_a_recused_officer_is_flagged_for_reassignment(app, client, db_session, login_as):
    with app.app_context():
        journey = Journey()
        journey.to_awaiting_response()
        journey.fire("start_investigation", journey.chair,
                     {"investigator_id": journey.investigator.id})
        journey.fire("submit_findings", journey.investigator, {"findings": "Facts."})
        db.session.commit()
    officer = journey.committee[0]
    login_as(client, journey.chair)
    client.post(f"/cases/{journey.ref}/officer", data={"officer-officer_id": officer.id})
    with app.app_context():
        journey.case = db.session.get(Case, journey.case_id)
        journey.fire("appoint_panelist", journey.chair, {"panelist_id": officer.id})
        journey.fire("recuse", officer, reason="Conflict.")
        db.session.commit()
    assert "recused themselves from this case" in client.get(
        f"/cases/{journey.ref}").get_data(as_text=True)
    assert journey.ref in client.get("/casework/reassignments").get_data(as_text=True)


# -- tags -----------------------------------------------------------------------------------


def test_tags_are_created_put_on_cases_filtered_and_removed(app, client, db_session, login_as):
    journey = _journey(app)
    other = _journey(app)
    login_as(client, journey.committee[0])
    assert client.post("/casework/tags", data={"newtag-name": "Boundaries"}).status_code == 302
    assert client.post("/casework/tags", data={"newtag-name": "Urgent"}).status_code == 302
    duplicate = client.post("/casework/tags", data={"newtag-name": "boundaries"})
    assert duplicate.status_code == 422 and "already exists" in duplicate.get_data(True)
    tags = {t.slug: t for t in db_session.scalars(select(Tag))}
    for case_ref in (journey.ref, other.ref):
        client.post(f"/cases/{case_ref}/tags", data={"tag-tag_id": tags["boundaries"].id})
    client.post(f"/cases/{journey.ref}/tags", data={"tag-tag_id": tags["urgent"].id})
    again = client.post(f"/cases/{journey.ref}/tags", data={"tag-tag_id": tags["urgent"].id})
    assert again.status_code == 422
    assert len(_events(db_session, journey.ref, "case.tag.added")) == 2
    with app.app_context():
        both = db.session.scalars(queries.filter_by_tags(select(Case.reference),
                                                         ["boundaries", "urgent"])).all()
        assert both == [journey.ref]
        assert set(db.session.scalars(queries.filter_by_tags(
            select(Case.reference), ["boundaries"]))) == {journey.ref, other.ref}
        assert db.session.scalars(queries.filter_by_tags(select(Case.reference),
                                                         ["nope"])).all() == []
        shown = queries.tags_for_cases([journey.case_id, other.case_id])
        assert [t.slug for t in shown[journey.case_id]] == ["boundaries", "urgent"]
    assert "Urgent" in client.get(f"/cases/{journey.ref}").get_data(as_text=True)
    response = client.post(f"/cases/{journey.ref}/tags/{tags['urgent'].id}/remove")
    assert response.status_code == 302
    db_session.expire_all()
    assert db_session.get(CaseTag, (journey.case_id, tags["urgent"].id)) is None
    assert len(_events(db_session, journey.ref, "case.tag.removed")) == 1
    # Parties may not tag, nor see the tag admin.
    login_as(client, journey.respondent)
    assert client.post(f"/cases/{journey.ref}/tags",
                       data={"tag-tag_id": tags["urgent"].id}).status_code == 403
    assert client.get("/casework/tags").status_code == 403


# -- sanction consistency -------------------------------------------------------------------


def _precedent(clause: str, key: str, level: int, member=None):  # type: ignore[no-untyped-def]
    """A closed case about another member, its clause found breached, and its sanction."""
    case = CaseFactory(state="closed", **({"respondent": member} if member else {}))
    allegation = AllegationFactory(case=case, clause_id=clause)
    db.session.add(AllegationFinding(case_id=case.id, allegation_id=allegation.id,
                                     breached=True, votes_breached=3, votes_not_breached=0))
    db.session.commit()
    SanctionFactory(case=case, case_id=case.id, member_id=case.respondent_member_id,
                    key=key, level=level, decided_at=datetime(2025, 6, 1, tzinfo=UTC))
    return case


def test_the_panel_sees_anonymised_priors_and_the_members_own_record(app, client, db_session,
                                                                     login_as):
    with app.app_context():
        journey = Journey(clauses=("MPP-B.1",))
        journey.to_hearing()
        journey.vote(True)
        db.session.commit()
        other = _precedent("MPP-B.1", "training", 2)
        unrelated = _precedent("MPP-A.2", "suspension", 4)
        own = _precedent("MPP-C.1", "warning", 1, member=journey.respondent.member)
        other_ref, other_name = other.reference, other.respondent.full_name
        unrelated_ref, own_ref = unrelated.reference, own.reference
        # Two queries, whatever the number of precedents.
        case = db.session.get(Case, journey.case_id)
        assert case.allegations  # loaded before counting
        with recorded_statements() as statements:
            result = queries.sanction_consistency(case)
        assert len([s for s in statements if s.startswith("SELECT")]) == 2
        assert [(p.key, p.level, p.clauses) for p in result.precedents] == [
            ("training", 2, ["MPP-B.1"])]
        assert [(p.key, p.clauses) for p in result.own_record] == [("warning", ["MPP-C.1"])]
    login_as(client, journey.chair)
    for url in (f"/cases/{journey.ref}/actions/decide", f"/cases/{journey.ref}"):
        page = client.get(url).get_data(as_text=True)
        assert "Consistency of sanctions" in page, url
        assert "Training or Education (level 2)" in page and "2025-06" in page
        assert other_ref not in page and other_name not in page
        assert unrelated_ref not in page and own_ref not in page
        assert "Warning (level 1)" in page  # the member's own record
    # The respondent's pages never show it.
    login_as(client, journey.respondent)
    assert "Consistency of sanctions" not in client.get(
        f"/my/cases/{journey.ref}").get_data(as_text=True)
    assert client.get(f"/cases/{journey.ref}/actions/decide").status_code == 403


# -- hearing bundle -------------------------------------------------------------------------


def _with_documents(app, db_session, journey: Journey) -> list:  # type: ignore[no-untyped-def]
    items = []
    for name, content in (("statement.pdf", SAMPLE_PDF), ("notes.txt", b"Session notes\n")):
        item = EvidenceFactory(case=db_session.get(Case, journey.case_id), original_filename=name,
                               content=content, content_type="text/plain")
        write_evidence_file(app.config["UPLOAD_FOLDER"], item, content)
        items.append(item)
    return items


def test_the_bundle_manifest_matches_the_stored_hashes(app, client, db_session, login_as):
    journey = _journey(app)
    items = _with_documents(app, db_session, journey)
    login_as(client, journey.committee[0])
    response = client.post(f"/cases/{journey.ref}/bundle")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert hashlib.sha256(response.data).hexdigest() == response.headers["X-Bundle-SHA256"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["case"] == journey.ref
    stored = {item.id: item.sha256 for item in items}
    assert {d["evidence_id"]: d["sha256"] for d in manifest["documents"]} == stored
    for entry in manifest["documents"]:
        assert hashlib.sha256(archive.read(entry["path"])).hexdigest() == entry["sha256"]
    index = archive.read("index.txt").decode()
    assert journey.ref in index and all(item.sha256 in index for item in items)
    assert "complaint.txt" in archive.namelist()
    record = db_session.scalars(select(HearingBundle)).one()
    assert record.zip_sha256 == response.headers["X-Bundle-SHA256"]
    assert record.document_count == 2
    events = _events(db_session, journey.ref, "case.bundle.generated")
    assert len(events) == 1 and sorted(events[0].details["sha256"]) == sorted(stored.values())
    # The case page lists the bundles generated, with who and the ZIP's hash.
    page = client.get(f"/cases/{journey.ref}").get_data(as_text=True)
    assert "Generated bundles" in page and record.zip_sha256[:12] in page


def test_a_tampered_document_refuses_the_bundle(app, client, db_session, login_as):
    journey = _journey(app)
    items = _with_documents(app, db_session, journey)
    write_evidence_file(app.config["UPLOAD_FOLDER"], items[1], b"Changed afterwards\n")
    login_as(client, journey.chair)
    response = client.post(f"/cases/{journey.ref}/bundle")
    assert response.status_code == 302
    assert db_session.scalars(select(HearingBundle)).all() == []
    assert _events(db_session, journey.ref, "case.bundle.generated") == []
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "no longer matches the hash recorded" in page


def test_the_bundle_is_refused_to_the_parties(app, client, login_as):
    journey = _journey(app)
    login_as(client, journey.respondent)
    assert client.post(f"/cases/{journey.ref}/bundle").status_code == 403
    complainant = app.test_client()
    _as_complainant(complainant, journey.ref)
    response = complainant.post(f"/cases/{journey.ref}/bundle")
    assert response.status_code in (302, 401, 403)
    assert response.mimetype != "application/zip"
    # A committee member who is the complainant on this case (by account) is a party: 404.
    with app.app_context():
        db.session.commit()
        case = db.session.get(Case, journey.case_id)
        case.complainant_user_id = journey.committee[4].id
        db.session.commit()
    login_as(client, journey.committee[4])
    assert client.post(f"/cases/{journey.ref}/bundle").status_code == 404


# -- cost -----------------------------------------------------------------------------------


def test_the_case_page_costs_the_same_whatever_casework_it_holds(app, client, db_session,
                                                                 login_as):
    """No N+1: more notes, tags, officers and bundles do not add queries to the case page."""
    journey = _journey(app)
    login_as(client, journey.chair)

    def count() -> int:
        with recorded_statements(app) as statements:
            assert client.get(f"/cases/{journey.ref}").status_code == 200
        return len([s for s in statements if s.lstrip().upper().startswith("SELECT")])

    client.post(f"/cases/{journey.ref}/notes", data={"note-body": "First note."})
    client.post("/casework/tags", data={"newtag-name": "T0"})
    tag_ids = [t.id for t in db_session.scalars(select(Tag))]
    client.post(f"/cases/{journey.ref}/tags", data={"tag-tag_id": tag_ids[0]})
    for member in journey.committee[:2]:  # one current officer, one earlier
        client.post(f"/cases/{journey.ref}/officer", data={"officer-officer_id": member.id})
    client.post(f"/cases/{journey.ref}/bundle")
    before = count()
    for n in range(1, 4):
        client.post(f"/cases/{journey.ref}/notes",
                    data={"note-body": f"Note {n}."})
        client.post("/casework/tags", data={"newtag-name": f"T{n}"})
        client.post(f"/cases/{journey.ref}/bundle")
    for tag in db_session.scalars(select(Tag)):
        client.post(f"/cases/{journey.ref}/tags", data={"tag-tag_id": tag.id})
    for member in journey.committee[2:5]:
        client.post(f"/cases/{journey.ref}/officer", data={"officer-officer_id": member.id})
    assert count() == before
