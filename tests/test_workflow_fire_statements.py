"""``operations.fire`` reads what the step needs once: a statement count per step that does not
grow with the panel or the people on it (no eager loads of every seated user's roles and roll
entry, no second read of the workflow row)."""

from __future__ import annotations

from ethics_cases.database import is_postgresql
from ethics_cases.extensions import db

from .factories.workflow import Journey
from .sql_statements import recorded_statements


def _statements(work) -> list[str]:  # type: ignore[no-untyped-def]
    """Each statement as its verb and what follows FROM (or its start), to match on tables."""
    with recorded_statements() as seen:
        work()
    return [statement.split()[0].upper() + " " + statement.split("FROM")[-1][:60]
            if "FROM" in statement else statement[:60] for statement in seen]


def test_a_vote_and_a_step_with_a_panel_read_no_users_roles_or_roll_entries(app, db_session):
    with app.app_context():
        journey = Journey()
        journey.to_hearing()
        voter = journey.panel[0]
        allegations = {a.id: True for a in journey.case.allegations}
        db.session.expire_all()
        statements = _statements(lambda: journey.fire(
            "cast_vote", voter, {"votes": allegations}, reason="Weighed the evidence."))
        assert not [s for s in statements if "user_roles" in s or s.startswith(
            "SELECT  members") or s.startswith("SELECT  users")]
        # was 15: two eager loads for the investigator, two for the panel's users, and the
        # panel read twice (once for who acts, once for the guards). PostgreSQL adds the
        # case's re-read FOR UPDATE and the audit append lock.
        assert len(statements) <= (12 if is_postgresql() else 10)
        assert sum(s.startswith("SELECT  panel_seats") for s in statements) == 1


def test_starting_screening_binds_the_code_without_rereading_or_rewriting_the_workflow(
        app, db_session):
    """Binding the case to its Code version reads the kept versions (without the Code's JSON)
    once, and the new workflow row is inserted with its version: no separate UPDATE."""
    with app.app_context():
        journey = Journey()
        journey.fire("start_screening", journey.chair)  # the first case registers the Code
        other = Journey(chair=journey.chair, committee=journey.committee)
        db.session.expire_all()
        statements = _statements(lambda: other.fire("start_screening", other.chair))
        assert other.case.state == "screening"
        assert sum(s.startswith("SELECT") and "code_versions" in s for s in statements) == 1
        assert not [s for s in statements if s.startswith("UPDATE case_workflows")]
        assert not [s for s in statements if s.startswith("INSERT INTO code_versions")]
        # workflow row, Code versions, INSERT workflow, UPDATE case, audit head, INSERT event,
        # (SQLite: BEGIN; PostgreSQL: the case's re-read FOR UPDATE with its allegations, and
        # the append lock)
        assert len(statements) <= (10 if is_postgresql() else 8)
