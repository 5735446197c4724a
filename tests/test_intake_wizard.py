"""Filing a complaint through the public wizard: the happy path, bad input, uploads, double
submits and the filing rate limit."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ethics_cases.cases.models import Case, ComplaintDraft, Evidence
from ethics_cases.cases.references import hash_key_with
from ethics_cases.mail.models import OutboxMessage

from .conftest import TEST_SECRET_KEY
from .factories.accounts import MemberFactory
from .intake_helpers import PDF, PNG, fill_wizard, post_step, upload

KEY_PATTERN = re.compile(r"[2-9A-Z]{6}-[2-9A-Z]{6}-[2-9A-Z]{6}-[2-9A-Z]{6}")


def _cases(db_session) -> list[Case]:  # type: ignore[no-untyped-def]
    return list(db_session.scalars(select(Case)))


def _evidence_files(app) -> list[Path]:  # type: ignore[no-untyped-def]
    folder = Path(app.config["UPLOAD_FOLDER"]) / "evidence"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_happy_path_files_a_case_with_allegations_evidence_key_and_receipt(
        app, client, db_session):
    member = MemberFactory(full_name="Robin Mentor")
    fill_wizard(client, member.membership_number, files=[(PDF, "contract.pdf"),
                                                         (PNG, "screenshot.png")])
    review = client.get("/complaint/step/review").get_data(as_text=True)
    assert "Robin Mentor" in review and "contract.pdf" in review and "MPP-B.1" in review

    response = client.post("/complaint/submit")
    assert response.status_code == 302 and response.headers["Location"].endswith("/receipt")
    receipt = client.get("/complaint/receipt").get_data(as_text=True)

    [case] = _cases(db_session)
    assert case.reference in receipt
    assert re.fullmatch(r"EC-\d{4}-0001", case.reference)
    assert case.state == "submitted" and case.version == 1
    assert case.respondent_member_id == member.id
    assert case.complainant_name == "Alex Example"
    assert [a.clause_id for a in case.allegations] == ["MPP-B.1", "MPP-B.2"]
    assert str(case.conduct_start) == "2026-02-01"
    key = KEY_PATTERN.search(receipt).group(0)
    assert case.followup_key_hash == hash_key_with(TEST_SECRET_KEY, key)
    assert key not in case.followup_key_hash
    assert "shown only once" in receipt

    files = {e.original_filename: e for e in db_session.scalars(select(Evidence))}
    assert set(files) == {"contract.pdf", "screenshot.png"}
    assert files["contract.pdf"].sha256 == hashlib.sha256(PDF).hexdigest()
    assert files["screenshot.png"].content_type == "image/png"
    stored = {p.name: p.read_bytes() for p in _evidence_files(app)}
    assert stored[files["contract.pdf"].stored_name] == PDF
    assert "contract" not in "".join(stored)  # random names on disk, never the user's

    [email] = db_session.scalars(select(OutboxMessage)).all()
    assert email.to_address == "alex@example.org" and case.reference in email.subject
    assert case.reference in email.body_text and key not in email.body_text

    # Finishing forgets the draft and key in this browser: the receipt cannot be shown again.
    client.post("/complaint/receipt/done")
    assert client.get("/complaint/receipt").status_code == 302


def test_a_complaint_about_someone_not_on_the_roll_keeps_the_description(client, db_session):
    fill_wizard(client, None, overrides={"about": {"email": ""}})
    client.post("/complaint/submit")
    [case] = _cases(db_session)
    assert case.respondent_member_id is None
    assert "Robin who works in Leeds" in case.respondent_description
    assert case.complainant_email is None
    assert db_session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


@pytest.mark.parametrize(("step", "data", "field", "message"), [
    ("about", {"name": "", "email": "alex@example.org", "relationship": "client"},
     "name", "Please tell us your name."),
    ("about", {"name": "Alex", "email": "not-an-address", "relationship": "client"},
     "email", "does not look like an email address"),
    ("about", {"name": "Alex", "email": "alex@example.org"},
     "relationship", "Please choose how you know the member."),
    ("respondent", {"description": ""}, "description", "Please choose the member"),
    ("events", {"narrative": "Too short.", "location": "Leeds"},
     "narrative", "at least 30 characters"),
    ("events", {"narrative": "x" * 40, "conduct_start": "2026-03-10",
                "conduct_end": "2026-03-01", "location": "Leeds"},
     "conduct_end", "The end is before the start"),
    ("events", {"narrative": "x" * 40, "conduct_start": "2999-01-01"},
     "conduct_start", "in the future"),
    ("outcome", {"outcome_sought": ""}, "outcome_sought", "Please tell us what you hope"),
    ("consent", {}, "consent", "Please confirm that you agree"),
])
def test_bad_input_says_what_to_fix_next_to_the_field_and_keeps_what_was_typed(
        client, db_session, step, data, field, message):
    response = post_step(client, step, data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert f'id="{field}-errors"' in html or 'class="field-errors"' in html
    for key, value in data.items():
        if value and key not in ("relationship", "consent"):
            assert value in html  # what was typed is on the page again
    # ... and kept in the draft: reopening the step shows it too.
    again = client.get(f"/complaint/step/{step}").get_data(as_text=True)
    for key, value in data.items():
        if value and key not in ("relationship", "consent"):
            assert value in again


def test_back_keeps_unvalidated_text_and_next_refuses_to_skip(client, db_session):
    post_step(client, "events", {"narrative": "Half written", "action": "back"})
    assert "Half written" in client.get("/complaint/step/events").get_data(as_text=True)
    review = client.get("/complaint/step/review").get_data(as_text=True)
    assert "Some steps still need an answer" in review
    response = client.post("/complaint/submit")
    assert response.status_code == 302 and "/complaint/step/" in response.headers["Location"]
    assert _cases(db_session) == []


@pytest.mark.parametrize(("content", "filename", "message"), [
    (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64, "report.pdf",
     "not a type of file we accept"),
    (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "statement.pdf",
     "not a type of file we accept"),
    (PNG, "invoice.pdf", "does not contain what its name says"),
    (b"plain words\n", "notes.exe", "does not contain what its name says"),
    (b"", "empty.txt", "is empty"),
])
def test_disguised_or_wrong_uploads_are_refused_and_other_files_and_text_are_kept(
        app, client, db_session, content, filename, message):
    response = post_step(client, "outcome", {
        "outcome_sought": "An apology please",
        "files": [upload(PDF, "good.pdf"), upload(content, filename)],
    }, content_type="multipart/form-data")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert "good.pdf" in html and "An apology please" in html
    assert len(_evidence_files(app)) == 1  # only the good file was stored
    assert "good.pdf" in client.get("/complaint/step/outcome").get_data(as_text=True)


def test_oversize_file_is_refused_without_storing_it(app, client, db_session, monkeypatch):
    from ethics_cases.cases import evidence

    assert "10 MB" in evidence.human_size(evidence.MAX_FILE_BYTES)
    # A small limit keeps the test body in memory (the test client spools large bodies to
    # temporary files it never closes); the check is the same code.
    monkeypatch.setattr(evidence, "MAX_FILE_BYTES", 4096)
    big = b"%PDF-1.4\n" + b"0" * 4096
    response = post_step(client, "outcome", {"outcome_sought": "x",
                                             "files": [upload(big, "big.pdf")]},
                         content_type="multipart/form-data")
    assert response.status_code == 422
    assert "larger than 4 KB" in response.get_data(as_text=True)
    assert _evidence_files(app) == []


def test_path_traversal_file_name_is_sanitised_and_never_used_on_disk(app, client, db_session):
    member = MemberFactory()
    fill_wizard(client, member.membership_number,
                files=[(b"my notes\n", "../../../etc/passwd.txt")])
    client.post("/complaint/submit")
    [item] = db_session.scalars(select(Evidence)).all()
    assert item.original_filename == "etc_passwd.txt"
    assert "/" not in item.original_filename and ".." not in item.original_filename
    [path] = _evidence_files(app)
    assert path.name == item.stored_name and re.fullmatch(r"[0-9a-f]{32}", path.name)
    assert path.parent == Path(app.config["UPLOAD_FOLDER"]) / "evidence"


def test_removing_a_file_from_the_draft_deletes_it(app, client, db_session):
    post_step(client, "outcome", {"outcome_sought": "x", "files": [upload(PDF, "a.pdf")]},
              content_type="multipart/form-data")
    draft = db_session.scalars(select(ComplaintDraft)).one()
    stored_name = draft.data["files"][0]["stored_name"]
    post_step(client, "outcome", {"outcome_sought": "x", "remove_file": stored_name})
    assert _evidence_files(app) == []


def test_too_many_files_are_refused(client, db_session):
    files = [upload(b"note %d\n" % i, f"n{i}.txt") for i in range(11)]
    response = post_step(client, "outcome", {"outcome_sought": "x", "files": files},
                         content_type="multipart/form-data")
    assert "up to 10 files" in response.get_data(as_text=True)


def test_a_double_submit_files_once_and_shows_the_same_receipt_with_the_key(client, db_session):
    member = MemberFactory()
    fill_wizard(client, member.membership_number)
    with client.session_transaction() as session:
        saved_cookie_session = dict(session)  # the browser's state before the first submit
    first = client.post("/complaint/submit")
    receipt_one = client.get(first.headers["Location"]).get_data(as_text=True)
    with client.session_transaction() as session:  # the first response was thrown away
        session.clear()
        session.update(saved_cookie_session)
    second = client.post("/complaint/submit")
    assert second.status_code == 302
    receipt_two = client.get(second.headers["Location"]).get_data(as_text=True)
    assert len(_cases(db_session)) == 1
    key_one = KEY_PATTERN.search(receipt_one).group(0)
    assert KEY_PATTERN.search(receipt_two).group(0) == key_one


def test_back_on_the_review_page_does_not_send(client, db_session):
    fill_wizard(client, MemberFactory().membership_number)
    response = client.post("/complaint/submit", data={"action": "back"})
    assert response.headers["Location"].endswith("/complaint/step/consent")
    assert _cases(db_session) == []


def test_references_count_up_within_the_year(client, db_session):
    member = MemberFactory()
    for _ in range(3):
        fill_wizard(client, member.membership_number)
        client.post("/complaint/submit")
        client.post("/complaint/receipt/done")
    numbers = sorted(int(c.reference.rsplit("-", 1)[1]) for c in _cases(db_session))
    assert numbers == [1, 2, 3]


@pytest.fixture
def app_config(app_config):  # type: ignore[no-untyped-def]
    return {**app_config, "INTAKE_FILING_RATE_LIMIT": "3 per hour",
            "RATELIMIT_ENABLED": True}


def test_filing_is_rate_limited_per_address(client, db_session):
    member = MemberFactory()
    statuses = []
    for _ in range(4):
        fill_wizard(client, member.membership_number)
        statuses.append(client.post("/complaint/submit").status_code)
        client.post("/complaint/receipt/done")
    assert statuses == [302, 302, 302, 429]
    assert len(_cases(db_session)) == 3


def test_roll_search_returns_current_members_without_emails(client, db_session):
    MemberFactory(full_name="Jordan Current", membership_number="IMC-77001")
    MemberFactory(full_name="Jordan Former", membership_number="IMC-77002",
                  ended_on=__import__("datetime").date(2020, 1, 1))
    data = client.get("/complaint/members.json?q=jordan").get_json()
    assert data == {"results": [{"name": "Jordan Current", "membership_number": "IMC-77001",
                                 "type": "Mentor"}]}
    by_number = client.get("/complaint/members.json?q=IMC-7700").get_json()["results"]
    assert [r["membership_number"] for r in by_number] == ["IMC-77001"]
    assert "@" not in client.get("/complaint/members.json?q=jo").get_data(as_text=True)


def test_no_javascript_search_lists_members_on_the_step_and_choosing_one_works(
        client, db_session):
    member = MemberFactory(full_name="Sam Searchable")
    html = post_step(client, "respondent", {"query": "searchable", "action": "search"}
                     ).get_data(as_text=True)
    assert "Sam Searchable" in html and member.membership_number in html
    response = post_step(client, "respondent", {"query": "searchable",
                                                "member_id": member.membership_number})
    assert response.status_code == 302
    assert "Selected: <strong>Sam Searchable" in client.get(
        "/complaint/step/respondent").get_data(as_text=True)


def test_sweep_removes_expired_drafts_with_their_files_and_orphans_but_keeps_evidence(
        app, client, db_session, runner):
    import os
    from datetime import UTC, datetime, timedelta

    member = MemberFactory()
    fill_wizard(client, member.membership_number, files=[(PDF, "filed.pdf")])
    client.post("/complaint/submit")
    client.post("/complaint/receipt/done")
    post_step(client, "outcome", {"outcome_sought": "x", "files": [upload(PDF, "draft.pdf")]},
              content_type="multipart/form-data")
    folder = Path(app.config["UPLOAD_FOLDER"]) / "evidence"
    orphan = folder / ("ab" * 16)
    orphan.write_bytes(b"left by a crash")
    old = (datetime.now(UTC) - timedelta(days=2)).timestamp()
    for path in folder.iterdir():
        os.utime(path, (old, old))
    unfiled = db_session.scalars(select(ComplaintDraft).where(
        ComplaintDraft.filed_case_id.is_(None))).one()
    unfiled.expires_at = datetime.now(UTC) - timedelta(hours=1)
    db_session.commit()

    result = runner.invoke(args=["intake", "sweep"])
    assert "Removed 1 expired draft(s) and 1 orphan file(s)." in result.output
    [kept] = _evidence_files(app)
    assert kept.name == db_session.scalars(select(Evidence)).one().stored_name
