"""The queue's counts: the per-state counts kept by triggers stay equal to a real COUNT whatever
writes ``cases``; a person's counts never include a case hidden from them; counts that cannot be
maintained stop at the cap and say so; and a page's statements do not depend on the caseload."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from ethics_cases.extensions import db
from ethics_cases.security import Role
from ethics_cases.workflow.operations import Refused
from ethics_cases.workspace import queries
from tests.factories.accounts import MemberUserFactory
from tests.factories.cases import CaseFactory
from tests.factories.workflow import ChairFactory, CommitteeUserFactory, Journey, PanelSeatFactory
from tests.factories.workspace import staged_case

from .sql_statements import recorded_statements


def maintained(connection) -> dict[str, int]:  # type: ignore[no-untyped-def]
    rows = connection.execute(text("SELECT state, n FROM case_state_counts WHERE n <> 0"))
    return dict(rows.all())


def counted(connection) -> dict[str, int]:  # type: ignore[no-untyped-def]
    rows = connection.execute(text("SELECT state, count(*) FROM cases GROUP BY state"))
    return dict(rows.all())


def assert_counts_right(db_session) -> dict[str, int]:  # type: ignore[no-untyped-def]
    connection = db_session.connection()
    expected = counted(connection)
    assert maintained(connection) == expected
    return expected


def page(client, query: str = "") -> str:  # type: ignore[no-untyped-def]
    response = client.get(f"/workspace/?{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_counts_stay_right_through_filings_steps_withdrawals_retention_and_bulk_sql(
        app, app_ctx, db_session, runner):
    long_ago = datetime.now(UTC) - timedelta(days=7 * 365)
    CaseFactory.create_batch(3)  # filed
    expired = CaseFactory(state="closed", state_changed_at=long_ago,
                          submitted_at=long_ago - timedelta(days=90))
    assert assert_counts_right(db_session) == {"submitted": 3, "closed": 1}

    accepted = Journey().to_awaiting_response()
    withdrawn = Journey()
    withdrawn.fire("start_screening", withdrawn.chair)
    withdrawn.fire("withdraw", None, reason="I settled privately.", complainant_grant=True)
    dismissed = Journey()
    dismissed.fire("start_screening", dismissed.chair)
    dismissed.fire("dismiss", dismissed.chair, reason="Outside the Code's scope.")
    with pytest.raises(Refused):  # a refused step writes nothing, the counts included
        dismissed.fire("accept", dismissed.chair)
    counts = assert_counts_right(db_session)
    assert counts["awaiting_response"] == 1 and counts["withdrawn"] == 1
    assert counts["dismissed"] == 1 and counts["submitted"] == 3
    assert accepted.case.state == "awaiting_response"

    result = runner.invoke(args=["retention", "run"])  # redacts; states stay
    assert result.exit_code == 0, result.output
    assert db_session.connection().execute(text(
        "SELECT count(*) FROM case_redactions WHERE case_id = :id"), {"id": expired.id}).scalar()
    assert assert_counts_right(db_session) == counts

    # Writers that bypass the application: bulk SQL, a deletion, a change rolled back.
    db_session.execute(text("UPDATE cases SET state = 'screening' WHERE state = 'submitted'"))
    db_session.execute(text("DELETE FROM cases WHERE id = :id"), {"id": expired.id})
    with db.engine.connect() as connection, connection.begin() as transaction:
        connection.execute(text("UPDATE cases SET state = 'closed'"))
        assert maintained(connection) == {"closed": sum(counts.values()) - 1}
        transaction.rollback()
    counts = assert_counts_right(db_session)
    assert counts.get("submitted", 0) == 0 and counts["screening"] == 3
    assert "closed" not in counts


def test_the_migration_counts_the_cases_already_there(app, app_ctx, db_session, runner):
    """The bench databases are upgraded in place: 0012 must fill the counts from their rows."""
    CaseFactory.create_batch(2)
    staged_case("hearing")
    assert runner.invoke(args=["db", "downgrade", "0011_performance"]).exit_code == 0
    try:
        staged_case("hearing")  # written while no trigger counted it
    finally:
        result = runner.invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
    assert assert_counts_right(db_session) == {"submitted": 2, "hearing": 2}
    staged_case("hearing")  # and the triggers are back
    assert assert_counts_right(db_session) == {"submitted": 2, "hearing": 3}


def test_a_persons_counts_leave_out_every_case_hidden_from_them(client, db_session, login_as):
    member_on_committee = MemberUserFactory(roles=[Role.MEMBER, Role.COMMITTEE])
    staged_case("screening", respondent=member_on_committee.member)   # about them
    staged_case("screening", complainant_user=member_on_committee)    # filed by them
    left = staged_case("panel_forming")
    PanelSeatFactory(case_id=left.id, user=member_on_committee, recused_at=datetime.now(UTC),
                     recusal_reason="I mentored the complainant.")
    staged_case("screening")
    staged_case("panel_forming", due_in_days=-1)
    staged_case("closed")

    login_as(client, ChairFactory())
    everything = page(client)
    assert re.search(r'>Screening <b>3</b>', everything)
    assert re.search(r'>Panel forming <b>2</b>', everything)
    assert re.search(r'All cases <span class="ws-count">5</span>', everything)

    login_as(client, member_on_committee)
    theirs = page(client)
    assert re.search(r'>Screening <b>1</b>', theirs)
    assert re.search(r'>Panel forming <b>1</b>', theirs)
    assert re.search(r'>Open <b>2</b>', theirs)
    assert re.search(r'>Finished <b>1</b>', theirs)
    assert re.search(r'All cases <span class="ws-count">2</span>', theirs)
    assert "2 cases" in theirs
    assert "1 case<" in page(client, "stage=screening")
    assert re.search(r'Overdue <span class="ws-count">1</span>', theirs)


def test_counts_that_cannot_be_maintained_stop_at_the_cap_and_say_so(
        app, client, db_session, login_as, monkeypatch):
    monkeypatch.setattr(queries, "COUNT_CAP", 3)
    app.config["WORKSPACE_PAGE_SIZE"] = 2
    for _ in range(5):
        staged_case("awaiting_response", due_in_days=-1, clauses=("MPP-B.1",))
    staged_case("screening", clauses=("MPP-A.1",))
    login_as(client, CommitteeUserFactory())

    html = page(client)  # no filter: the maintained counts are exact
    assert re.search(r'>Awaiting response <b>5</b>', html)
    assert "6 cases" in html and "Page 1 of 3" in html
    assert re.search(r'Overdue <span class="ws-count">3\+</span>', html)  # capped
    assert "Counted up to 3 cases" in html

    filtered = page(client, "clause=MPP-B.1")
    assert "More than 3 cases · page 1" in filtered
    assert re.search(r'>Awaiting response <b>\d\+</b>', filtered)  # a lower bound
    assert 'page=2' in filtered and "Page 1<" in filtered
    last = page(client, "clause=MPP-B.1&page=3")
    assert len(re.findall(r'class="ws-ref"', last)) == 1  # the fifth case
    assert "Next" not in last

    exact = page(client, "clause=MPP-A.1")  # under the cap: exact again
    assert "1 case<" in exact and "Counted up to" not in exact.split("</nav>")[1]


def statements_of(app, client, query: str) -> list[str]:  # type: ignore[no-untyped-def]
    with recorded_statements(app) as seen:
        page(client, query)
    return seen


QUERIES = ["", "stage=awaiting_response", "stage=closed", "view=mine", "view=action",
           "clause=MPP-B.1", "overdue=1", "sort=due&page=2"]


def test_a_pages_statements_do_not_depend_on_the_number_of_cases(app, client, db_session,
                                                                  login_as):
    chair, other = ChairFactory(), CommitteeUserFactory()
    login_as(client, chair)

    def make(n: int) -> None:
        for i in range(n):
            staged_case(("awaiting_response", "investigation", "closed")[i % 3],
                        due_in_days=(-2, 3, 20)[i % 3], investigator=(chair, other)[i % 2])

    make(3)
    few = {query: statements_of(app, client, query) for query in QUERIES}
    make(30)
    for query in QUERIES:
        many = statements_of(app, client, query)
        assert len(many) == len(few[query]), query
        # No count reads the whole caseload: each reads the maintained counts or stops at
        # the cap (LIMIT).
        for statement in many:
            if "count(" in statement.lower():
                assert "case_state_counts" in statement or "LIMIT" in statement, statement
    unfiltered = " ".join(few[""])
    assert "case_state_counts" in unfiltered
