"""Signing the pledge, re-signing after a Code change, certificates and verification."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from ethics_cases import create_app
from ethics_cases.audit import AuditEvent
from ethics_cases.pledges.models import CodeVersion, ImmutablePledgeError, Pledge
from ethics_cases.pledges.operations import sha256_text

from .conftest import CSRFClient
from .factories.accounts import MemberUserFactory, UserFactory
from .factories.pledges import REAL_CODE, CodeVersionFactory, PledgeFactory
from .sql_statements import recorded_statements


def _sign(client, user, **overrides):
    data = {"typed_name": user.full_name, "consent": "y",
            "code_fingerprint": REAL_CODE.fingerprint} | overrides
    return client.post("/pledge", data=data)


@pytest.fixture
def member(db_session):
    return MemberUserFactory(full_name="Mary Jane Åkesson")


def test_the_sign_page_shows_the_pledge_and_links_to_each_part(client, member, login_as):
    login_as(client, member)
    html = client.get("/pledge").get_data(as_text=True)
    for paragraph in REAL_CODE.pledge.paragraphs:
        assert paragraph.replace("’", "&#39;")[:40] in html or paragraph[:40] in html
    for part in REAL_CODE.parts:
        assert f'href="/code#{part.id}"' in html
    assert f'value="{REAL_CODE.fingerprint}"' in html
    assert "You have not signed the ethics pledge yet" not in html  # no banner here
    assert "You have not signed the ethics pledge yet" in client.get("/code").get_data(
        as_text=True)  # but on every other page


def test_signing_records_the_exact_wording_and_one_audit_event(client, db_session, member,
                                                               login_as):
    login_as(client, member)
    response = _sign(client, member, typed_name="  mary   jane ÅKESSON ")
    assert response.status_code == 302
    pledge = db_session.scalar(select(Pledge))
    assert response.headers["Location"] == f"/pledges/{pledge.id}"
    assert pledge.member_id == member.member.id and pledge.user_id == member.id
    assert pledge.code_fingerprint == REAL_CODE.fingerprint
    assert pledge.pledge_text_sha256 == sha256_text(REAL_CODE.pledge.text)
    assert pledge.code_version.canonical_json == REAL_CODE.to_canonical_json()
    assert pledge.ip == "127.0.0.1" and pledge.signed_at.tzinfo is not None
    events = [e.action for e in db_session.scalars(select(AuditEvent).order_by(AuditEvent.seq))]
    assert events == ["code_version.registered", "pledge.signed"]
    signed = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "pledge.signed"))
    assert "Mary" not in signed.canonical and "kesson" not in signed.canonical
    # The banner is gone once the current version is signed.
    assert "signed the ethics pledge yet" not in client.get("/me").get_data(as_text=True)


def test_the_code_version_is_registered_once(client, db_session, login_as):
    for _ in range(2):
        user = MemberUserFactory()
        login_as(client, user)
        assert _sign(client, user).status_code == 302
    assert len(db_session.scalars(select(CodeVersion)).all()) == 1
    assert len(db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "code_version.registered")).all()) == 1


@pytest.mark.parametrize("overrides, message", [
    ({"typed_name": "Mary Jane Akesson"}, "Type your full name exactly as it is on your "
                                          "membership: Mary Jane Åkesson."),
    ({"typed_name": ""}, "Type your full name to sign."),
    ({"consent": ""}, "Tick the box to confirm that you agree to the pledge."),
])
def test_a_wrong_name_or_no_consent_is_refused_and_input_kept(client, db_session, member,
                                                              login_as, overrides, message):
    login_as(client, member)
    response = _sign(client, member, **overrides)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html
    if overrides.get("typed_name"):
        assert f'value="{overrides["typed_name"]}"' in html
    assert db_session.scalar(select(Pledge)) is None
    assert db_session.scalar(select(AuditEvent)) is None


def test_a_code_changed_since_shown_is_refused_and_reshown(client, db_session, member,
                                                           login_as):
    login_as(client, member)
    response = _sign(client, member, code_fingerprint="0" * 64)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "The Code of Ethics changed while you were reading it" in html
    assert f'value="{REAL_CODE.fingerprint}"' in html  # the form now carries the current one
    assert f'value="{member.full_name}"' in html
    assert db_session.scalar(select(Pledge)) is None


@pytest.mark.parametrize("ended_on, message", [
    (date(2020, 1, 1), "Your membership has ended"),
])
def test_a_member_whose_membership_ended_cannot_sign(client, db_session, login_as, ended_on,
                                                     message):
    user = MemberUserFactory()
    user.member.ended_on = ended_on
    db_session.commit()
    login_as(client, user)
    html = client.get("/pledge").get_data(as_text=True)
    assert message in html and 'name="typed_name"' not in html
    response = _sign(client, user)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert db_session.scalar(select(Pledge)) is None


def test_a_suspended_member_cannot_sign(client, db_session, login_as, monkeypatch):
    from ethics_cases.accounts import standing

    user = MemberUserFactory()
    monkeypatch.setattr(standing, "_sources", [
        lambda ids, on: {user.member.id: standing.Standing.SUSPENDED}])
    login_as(client, user)
    html = client.get("/pledge").get_data(as_text=True)
    assert "Your membership is suspended" in html
    assert _sign(client, user).status_code == 400
    assert db_session.scalar(select(Pledge)) is None


def test_users_without_membership_cannot_open_the_sign_page(client, db_session, login_as):
    login_as(client, UserFactory(roles=[]))
    assert client.get("/pledge").status_code == 403


def test_pledges_are_immutable_in_the_orm_and_in_the_database(app, db_session):
    pledge = PledgeFactory()
    pledge.typed_name = "Someone else"
    with pytest.raises(ImmutablePledgeError):
        db_session.commit()
    db_session.rollback()
    with pytest.raises(DBAPIError):
        db_session.execute(text("UPDATE pledges SET typed_name = 'x'"))
    db_session.rollback()
    with pytest.raises(DBAPIError):
        db_session.execute(text("DELETE FROM pledges"))
    db_session.rollback()


def test_certificate_pdf_and_public_verification(client, db_session, member, login_as):
    pledge = PledgeFactory(user=member, code_version=CodeVersionFactory(current=True))
    login_as(client, member)
    html = client.get(f"/pledges/{pledge.id}").get_data(as_text=True)
    assert "Certificate of the Ethics Pledge" in html and "Mary Jane Åkesson" in html
    assert f"/pledges/verify/{pledge.verification_code}" in html
    assert pledge.code_fingerprint in html
    pdf = client.get(f"/pledges/{pledge.id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF") and len(pdf.data) > 2000

    client.post("/logout")
    verify = client.get(f"/pledges/verify/{pledge.verification_code}")
    page = verify.get_data(as_text=True)
    assert verify.status_code == 200
    for shown in ["Mary Jane Åkesson", member.member.membership_number, REAL_CODE.version,
                  "1 March 2024", "Yes, the current version", "Good standing"]:
        assert shown in page
    for hidden in [member.email, "192.0.2.1", pledge.code_fingerprint]:
        assert hidden not in page  # nothing confidential, no signing metadata
    assert client.get("/pledges/verify/not-a-real-code").status_code == 404


def test_only_the_signer_and_the_committee_see_a_certificate(client, db_session, login_as):
    from ethics_cases.security import Role

    pledge = PledgeFactory()
    login_as(client, MemberUserFactory())
    assert client.get(f"/pledges/{pledge.id}").status_code == 404
    assert client.get(f"/pledges/{pledge.id}.pdf").status_code == 404
    login_as(client, UserFactory(roles=[Role.COMMITTEE]))
    assert client.get(f"/pledges/{pledge.id}").status_code == 200


def test_an_earlier_pledge_asks_the_member_to_sign_again(client, db_session, member, login_as):
    PledgeFactory(user=member)  # signed an earlier Code version
    login_as(client, member)
    html = client.get("/me").get_data(as_text=True)
    assert "The Code of Ethics has a new version since you signed the pledge" in html
    assert "Earlier version" in html
    assert _sign(client, member).status_code == 302
    html = client.get("/me").get_data(as_text=True)
    assert "new version since you signed" not in html and "Current version" in html


def test_resign_after_the_code_file_changes(app_config, client, db_session, member, login_as,
                                            tmp_path):
    """Sign under the real Code, restart the app on a changed Code: the pledge becomes
    "earlier", the member is asked again, and the second pledge points at a new version."""
    login_as(client, member)
    assert _sign(client, member).status_code == 302

    changed = tmp_path / "code_of_ethics.yaml"
    original = Path(REAL_CODE.source_path).read_text(encoding="utf-8")
    changed.write_text(original.replace('version: "2024.1"', 'version: "2026.1"').replace(
        "effective_date: 2024-01-01", "effective_date: 2026-01-01"), encoding="utf-8")
    new_app = create_app(app_config | {"CODE_OF_ETHICS_PATH": str(changed)})
    new_app.test_client_class = CSRFClient
    new_app.config["_TEST_SESSION"] = db_session
    new_client = new_app.test_client()
    login_as(new_client, member)
    html = new_client.get("/me").get_data(as_text=True)
    assert "The Code of Ethics has a new version since you signed the pledge" in html
    page = new_client.get("/pledge").get_data(as_text=True)
    assert "version 2026.1" in page
    new_fingerprint = new_app.extensions["ethics_code"].fingerprint
    # The old form (carrying the old fingerprint) is refused by the new app.
    assert _sign(new_client, member).status_code == 409
    response = _sign(new_client, member, code_fingerprint=new_fingerprint)
    assert response.status_code == 302
    pledges = db_session.scalars(select(Pledge).order_by(Pledge.id)).all()
    assert [p.code_version.version for p in pledges] == ["2024.1", "2026.1"]
    assert pledges[1].code_fingerprint == new_fingerprint
    with new_app.app_context():
        from ethics_cases.extensions import db

        db.session.remove()
        db.engine.dispose()


def test_pdf_falls_back_to_a_core_font_without_dejavu(app_ctx, db_session, member, monkeypatch,
                                                      tmp_path):
    from ethics_cases.accounts.standing import Standing
    from ethics_cases.pledges import pdf

    monkeypatch.setattr(pdf, "DEJAVU_DIR", tmp_path / "no-fonts")
    pledge = PledgeFactory(user=member)
    data = pdf.certificate_pdf(pledge, association="IMC", verify_url="http://x/v/1",
                               pledge_paragraphs=list(REAL_CODE.pledge.paragraphs),
                               current=False, standing=Standing.GOOD)
    assert data.startswith(b"%PDF") and b"Helvetica" in data and b"DejaVu" not in data


def test_the_reminder_costs_no_query_once_the_current_version_is_signed(
        app, client, db_session, member, login_as):


    PledgeFactory(user=member, code_version=CodeVersionFactory(current=True))
    login_as(client, member)
    client.get("/code")  # first visit: one query finds the current pledge, then cached
    with recorded_statements(app) as statements:
        client.get("/code")
    assert not [s for s in statements if "pledges" in s]
