"""``flask demo generate`` with clones: a sample through the real operations, the rest copied
in bulk. The copies must be as consistent as the originals: counts as requested, every stage
and sanction, the audit chain verifying, each clone's history its own, and reproducible."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ethics_cases import create_app
from ethics_cases.accounts.models import Member
from ethics_cases.audit.models import AuditEvent
from ethics_cases.cases.models import Case, CaseMessage
from ethics_cases.extensions import db
from ethics_cases.workflow.models import Sanction

from ..conftest import _fresh_database_url, base_config

ALL_STATES = {"submitted", "screening", "awaiting_response", "resolution_proposed",
              "investigation", "panel_forming", "hearing", "decided", "appeal",
              "sanction_in_effect", "closed", "dismissed", "withdrawn"}
SIX_SANCTIONS = {"warning", "training", "probation", "suspension", "revocation",
                 "legal_referral"}
ARGS = ["demo", "generate", "--members", "90", "--cases", "150", "--real-cases", "40",
        "--seed", "3", "--now", "2026-06-30", "--skip-letters"]


def _count(session, model) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture(scope="module")
def generated(migrated_database, tmp_path_factory):  # type: ignore[no-untyped-def]
    """One cloned generation, shared by the checks below (the real operations are slow)."""
    path = tmp_path_factory.mktemp("generated")
    url = _fresh_database_url(migrated_database, path)
    app = create_app(base_config(url, path))
    app.instance_path = str(path)
    result = app.test_cli_runner().invoke(args=ARGS)
    assert result.exit_code == 0, result.output
    yield app, result.output
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_counts_match_the_request_and_every_stage_and_sanction_occurs(generated):
    app, output = generated
    assert "40 cases through the real operations, 110 cloned" in output
    with app.app_context():
        session = db.session
        assert _count(session, Case) == 150
        assert _count(session, Member) == 90
        states = set(session.scalars(select(Case.state).distinct()))
        assert states == ALL_STATES
        sanctions = set(session.scalars(select(Sanction.key).distinct()))
        assert sanctions == SIX_SANCTIONS
        # the per-state counts kept by the triggers on `cases` saw the bulk inserts
        counts = dict(session.execute(select(Case.state, func.count()).group_by(Case.state))
                      .all())
        from ethics_cases.workspace.models import CaseStateCount

        kept = {row.state: row.n for row in session.scalars(select(CaseStateCount))
                if row.n}
        assert kept == counts


def test_the_chain_verifies_after_cloning_and_clones_have_their_own_history(generated):
    app, _output = generated
    runner = app.test_cli_runner()
    verify = runner.invoke(args=["audit", "verify"])  # full: every column against the hash
    assert verify.exit_code == 0 and "intact" in verify.output, verify.output
    with app.app_context():
        session = db.session
        events = _count(session, AuditEvent)
        assert events >= 150 * 15  # notes, messages and steps: ~19 a case on average
        per_case = Counter(session.scalars(select(AuditEvent.case_ref)
                                           .where(AuditEvent.case_ref.is_not(None))))
        references = set(session.scalars(select(Case.reference)))
        assert set(per_case) == references  # every case has events, under its own reference
        # a clone's "filed" event names its own case, its respondent and its date
        for case in session.scalars(select(Case).order_by(Case.id.desc()).limit(20)):
            filed = session.scalar(select(AuditEvent).where(
                AuditEvent.case_ref == case.reference, AuditEvent.action == "complaint.filed"))
            assert filed is not None and filed.subject_id == str(case.id)
            assert filed.details["respondent_member_id"] == case.respondent_member_id
            assert abs((filed.created_at - case.submitted_at).total_seconds()) < 5
            for message in session.scalars(select(CaseMessage).where(
                    CaseMessage.case_id == case.id)):
                assert message.created_at >= case.submitted_at
        # the clones' events come after the sample's, in the order of their timestamps
        sample_last = session.scalar(select(func.max(AuditEvent.seq)).where(
            AuditEvent.case_ref.in_(select(Case.reference).where(Case.id <= 40))))
        moments = list(session.scalars(select(AuditEvent.created_at)
                                       .where(AuditEvent.seq > sample_last)
                                       .order_by(AuditEvent.seq)))
        assert moments == sorted(moments) and len(moments) > 110


def test_a_cloned_case_page_shows_for_the_committee(generated, login_as):
    app, _output = generated
    with app.app_context():
        case = db.session.scalar(select(Case).where(Case.state == "sanction_in_effect")
                                 .order_by(Case.id.desc()).limit(1))
        reference = case.reference
        from ethics_cases.accounts.models import User

        chair = db.session.scalar(select(User).where(User.email == "chair@demo.example.org"))
        client = app.test_client()
        login_as(client, chair)
    page = client.get(f"/cases/{reference}")
    assert page.status_code == 200, page.status_code
    assert reference in page.get_data(as_text=True)


def _fingerprint(app) -> tuple:  # type: ignore[no-untyped-def]
    with app.app_context():
        session = db.session
        cases = session.execute(select(Case.reference, Case.state, Case.respondent_member_id,
                                       Case.submitted_at, Case.narrative)
                                .order_by(Case.id)).all()
        head = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1))
        return tuple(cases), head


def test_the_same_seed_gives_the_same_data(generated, migrated_database, tmp_path: Path):
    app, _output = generated
    first = _fingerprint(app)
    url = _fresh_database_url(migrated_database, tmp_path)  # (PostgreSQL: emptied again)
    again = create_app(base_config(url, tmp_path))
    again.instance_path = str(tmp_path)
    result = again.test_cli_runner().invoke(args=ARGS)
    assert result.exit_code == 0, result.output
    assert _fingerprint(again) == first  # the same cases, and the same audit chain head
    other = [*ARGS[:ARGS.index("--seed") + 1], "4", *ARGS[ARGS.index("--seed") + 2:]]
    with again.app_context():
        db.session.remove()
        db.engine.dispose()
    (tmp_path / "other").mkdir()
    url = _fresh_database_url(migrated_database, tmp_path / "other")
    different = create_app(base_config(url, tmp_path / "other"))
    assert different.test_cli_runner().invoke(args=other).exit_code == 0
    assert _fingerprint(different) != first
    with different.app_context():
        db.session.remove()
        db.engine.dispose()
