"""``flask demo``: the demo data goes through the real operations, so its cases, histories and
audit chain must be as consistent as real ones; ``load-small`` only ever fills a fresh
database."""

from __future__ import annotations

from sqlalchemy import func, select

from ethics_cases.accounts.models import Member, User
from ethics_cases.audit.models import AuditEvent
from ethics_cases.cases.models import Case, CaseMessage, Evidence
from ethics_cases.security import Role
from ethics_cases.workflow.models import Sanction

from .factories.accounts import UserFactory


def _count(session, model) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_load_small_fills_a_fresh_database_with_a_living_system(runner, db_session, app):
    result = runner.invoke(args=["demo", "load-small"])
    assert result.exit_code == 0, result.output
    assert "60 cases" in result.output
    states = dict(db_session.execute(select(Case.state, func.count()).group_by(Case.state))
                  .all())
    # every stage a newcomer should see, reached through the real procedure
    for state in ("submitted", "screening", "awaiting_response", "investigation", "closed",
                  "dismissed", "sanction_in_effect"):
        assert states.get(state), (state, states)
    assert _count(db_session, Sanction) > 0
    assert _count(db_session, CaseMessage) > 0
    assert _count(db_session, Evidence) > 0
    # each case's history is in the audit trail, and the chain verifies
    filed = db_session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == "complaint.filed"))
    assert filed == 60
    verify = runner.invoke(args=["audit", "verify"])
    assert verify.exit_code == 0 and "intact" in verify.output, verify.output
    # the documented logins exist; a respondent can sign in to their own case
    chair = db_session.scalar(select(User).where(User.email == "chair@demo.example.org"))
    assert chair is not None and chair.has_role(Role.CHAIR)
    respondents = db_session.scalars(select(Member).where(Member.user_id.is_not(None))).all()
    assert respondents
    assert any(f"{member.email} (password" in result.output for member in respondents)
    # scripts/run calls it on every start: a second time loads nothing
    again = runner.invoke(args=["demo", "load-small"])
    assert "not loaded" in again.output
    assert _count(db_session, Case) == 60


def test_load_small_leaves_a_database_in_use_alone(runner, db_session):
    UserFactory()
    result = runner.invoke(args=["demo", "load-small"])
    assert result.exit_code == 0
    assert "not loaded" in result.output
    assert _count(db_session, Case) == 0 and _count(db_session, Member) == 0


def test_generate_is_refused_in_production(app, runner, db_session):
    app.config["ENV_NAME"] = "production"
    result = runner.invoke(args=["demo", "generate", "--cases", "1"])
    assert result.exit_code != 0 and "production" in result.output
    assert runner.invoke(args=["demo", "load-small"]).exit_code == 0
    assert _count(db_session, Case) == 0


def test_generate_with_a_seed_builds_every_outcome_through_the_guards(runner, db_session):
    result = runner.invoke(args=["demo", "generate", "--members", "60", "--cases", "25",
                                 "--seed", "7", "--batch", "7", "--skip-letters"])
    assert result.exit_code == 0, result.output
    assert _count(db_session, Case) == 25
    # batches of 7 operations: a case's steps span several outer transactions, all committed
    events = db_session.scalar(select(func.count()).select_from(AuditEvent))
    assert events > 25 * 3
    assert "chain intact" in runner.invoke(args=["audit", "verify"]).output
