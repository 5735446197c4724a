"""Reports: exact figures on a known, factory-built data set; CSV; who may read them; and a
fixed number of SQL statements whatever the caseload."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest

from ethics_cases import audit
from ethics_cases.extensions import db
from ethics_cases.security import Role

from .factories.accounts import MemberFactory, MemberUserFactory, UserFactory
from .factories.audit import AuditEventFactory
from .factories.cases import AllegationFactory, CaseFactory
from .factories.pledges import CodeVersionFactory, PledgeFactory
from .factories.reports import AllegationFindingFactory
from .factories.workflow import SanctionFactory
from .sql_statements import recorded_statements

NOW = datetime.now(UTC)
TODAY = NOW.date()


def months_ago(n: int) -> datetime:
    index = NOW.year * 12 + NOW.month - 1 - n
    return datetime(index // 12, index % 12 + 1, 1, 12, 0, tzinfo=UTC)


def month_key(n: int) -> str:
    return months_ago(n).strftime("%Y-%m")


def _case(member, months: int, state: str, clauses: tuple[str, ...]):
    case = CaseFactory(respondent=member, state=state, submitted_at=months_ago(months))
    allegations = {c: AllegationFactory(case=case, clause_id=c, position=i)
                   for i, c in enumerate(clauses)}
    return case, allegations


@pytest.fixture
def dataset(app, db_session, monkeypatch):
    """Seven cases (one outside the 12-month period), their findings and sanctions; four
    current members' pledges; and the audit events of four cases' stage changes."""
    current, earlier = CodeVersionFactory(current=True), CodeVersionFactory()
    PledgeFactory(user=MemberUserFactory(full_name="Mentor Current"), code_version=current)
    PledgeFactory(user=MemberUserFactory(full_name="Mentor Earlier"), code_version=earlier)
    respondent = MemberFactory(full_name="Mentor Never")
    MemberFactory(full_name="Trainer Never", membership_type="mentor_trainer")
    MemberFactory(full_name="Former Member", ended_on=TODAY - timedelta(days=3))
    MemberFactory(full_name="Future Member", joined_on=TODAY + timedelta(days=30))

    _case(respondent, 0, "screening", ("MPP-B.1", "MPP-A.1"))
    c2, a2 = _case(respondent, 0, "closed", ("MPP-B.1",))
    c3, a3 = _case(respondent, 1, "closed", ("MPP-B.1", "MPP-A.3"))
    _case(respondent, 1, "dismissed", ("MPP-A.3",))
    _case(respondent, 2, "withdrawn", ())
    c6, a6 = _case(respondent, 2, "closed", ("MPP-A.1",))
    c7, a7 = _case(respondent, 14, "closed", ("MPP-B.1",))

    AllegationFindingFactory(allegation=a2["MPP-B.1"], breached=True)
    AllegationFindingFactory(allegation=a3["MPP-B.1"], breached=False)
    # Breached in round 1, not after the escalation hearing (round 2): not upheld.
    AllegationFindingFactory(allegation=a3["MPP-A.3"], breached=True, round=1)
    AllegationFindingFactory(allegation=a3["MPP-A.3"], breached=False, round=2)
    # The reverse: upheld.
    AllegationFindingFactory(allegation=a6["MPP-A.1"], breached=False, round=1)
    AllegationFindingFactory(allegation=a6["MPP-A.1"], breached=True, round=2)
    AllegationFindingFactory(allegation=a7["MPP-B.1"], breached=True)

    SanctionFactory(case=c2, key="warning", level=1, status="completed",
                    decided_at=months_ago(0), effective_from=months_ago(0).date())
    SanctionFactory(case=c6, key="suspension", level=4, status="in_effect",
                    decided_at=months_ago(2), effective_from=TODAY - timedelta(days=5),
                    ends_on=TODAY + timedelta(days=60))
    SanctionFactory(case=c3, key="probation", level=3, status="overturned",
                    decided_at=months_ago(1), effective_from=TODAY)
    SanctionFactory(case=c7, key="revocation", level=5, status="in_effect",
                    decided_at=months_ago(14), effective_from=months_ago(14).date())

    # Stage changes, on a controlled clock: (case, day offset, action, from, to).
    base = NOW - timedelta(days=60)
    timeline = [
        ("EC-T-1", 0, "complaint.filed", None, None),
        ("EC-T-1", 2, "case.transition.start_screening", "submitted", "screening"),
        ("EC-T-1", 5, "case.transition.accept", "screening", "awaiting_response"),
        ("EC-T-1", 6, "case.transition.extend_deadline", "awaiting_response",
         "awaiting_response"),
        ("EC-T-1", 15, "case.transition.start_investigation", "awaiting_response",
         "investigation"),
        ("EC-T-2", 1, "complaint.filed", None, None),
        ("EC-T-2", 5, "case.transition.start_screening", "submitted", "screening"),
        ("EC-T-2", 6, "case.transition.dismiss", "screening", "dismissed"),
        ("EC-T-3", 2, "complaint.filed", None, None),
        ("EC-T-3", 8, "case.transition.start_screening", "submitted", "screening"),
        ("EC-T-3", 10, "complaint.withdrawn", None, None),
        ("EC-T-4", 3, "complaint.filed", None, None),
        ("EC-T-4", 4, "case.transition.start_screening", "submitted", "screening"),
    ]
    with app.app_context():
        for ref, day, action, source, dest in sorted(timeline, key=lambda t: t[1]):
            monkeypatch.setattr("ethics_cases.audit.recorder.utcnow",
                                lambda day=day: base + timedelta(days=day))
            details = {"from": source, "to": dest} if source else {"from_state": "screening"}
            AuditEventFactory(action=action, subject=audit.Subject("case", 1), case_ref=ref,
                              details=details)
        db.session.remove()
    monkeypatch.undo()
    return {"respondent": respondent}


@pytest.fixture
def committee_client(client, login_as, db_session):
    login_as(client, UserFactory(roles=[Role.COMMITTEE]))
    return client


def _csv(client, key, months=12):
    response = client.get(f"/reports/{key}.csv?months={months}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_outcomes_by_month(committee_client, dataset):
    rows = _csv(committee_client, "outcomes")
    assert rows[0] == ["Month", "Still open", "Closed with a sanction",
                       "Closed without a sanction", "Dismissed", "Withdrawn", "Total"]
    body = {row[0]: row[1:] for row in rows[1:]}
    assert len(body) == 12 and list(body)[-1] == month_key(0)
    assert body[month_key(0)] == ["1", "1", "0", "0", "0", "2"]
    assert body[month_key(1)] == ["0", "0", "1", "1", "0", "2"]
    assert body[month_key(2)] == ["0", "1", "0", "0", "1", "2"]
    assert sum(int(r[-1]) for r in rows[1:]) == 6  # the 14-month-old case is outside
    assert sum(int(r[-1]) for r in _csv(committee_client, "outcomes", 24)[1:]) == 7


def test_stages_now_counts_every_case(committee_client, dataset):
    rows = dict(_csv(committee_client, "stages")[1:])
    assert rows["Screening"] == "1" and rows["Closed"] == "4"
    assert rows["Dismissed"] == "1" and rows["Withdrawn"] == "1"
    assert rows["Hearing"] == "0"


def test_median_time_in_each_stage_from_the_audit_trail(committee_client, dataset):
    rows = _csv(committee_client, "stage_times")
    assert rows == [
        ["Stage", "Median days", "Completed stays"],
        ["Submitted", "3.0", "4"],          # 2, 4, 6, 1 days
        ["Screening", "2.0", "3"],          # 3, 1, 2 (the fourth case is still there)
        ["Awaiting response", "10.0", "1"],  # an extended deadline is not a change of stage
    ]


def test_sanctions_by_level(committee_client, dataset):
    rows = _csv(committee_client, "sanctions")
    assert rows[0] == ["Level", "Sanction", "Imposed", "In force today"]
    assert rows[1:] == [
        ["1", "Warning", "1", "0"],
        ["2", "Training or Education", "0", "0"],
        ["3", "Probation", "0", "0"],  # overturned on appeal: not imposed
        ["4", "Suspension", "1", "1"],
        ["5", "Revoke of IMC Membership and Credentials", "0", "0"],  # outside the period
        ["6", "Legal Action", "0", "0"],
    ]
    five_years = _csv(committee_client, "sanctions", 60)
    assert five_years[5] == ["5", "Revoke of IMC Membership and Credentials", "1", "1"]


def test_clauses_alleged_and_upheld(committee_client, dataset):
    rows = _csv(committee_client, "clauses")
    assert rows[0] == ["Clause", "Section", "Cases alleging", "Cases upheld", "Upheld %"]
    figures = [[r[0], *r[2:]] for r in rows[1:]]
    # Most alleged first; a breach found in round 1 but not in round 2 is not upheld.
    assert figures == [
        ["MPP-B.1", "3", "1", "33"],
        ["MPP-A.1", "2", "1", "50"],
        ["MPP-A.3", "2", "0", "0"],
    ]
    assert all(r[1] for r in rows[1:])  # each clause names its section


def test_pledge_coverage(committee_client, dataset):
    rows = _csv(committee_client, "pledges")
    assert rows == [
        ["Membership type", "Current version", "Earlier version", "Never signed", "Members",
         "Coverage %"],
        ["Mentor", "1", "1", "1", "3", "33"],
        ["Mentor trainer", "0", "0", "1", "1", "0"],
        ["All members", "1", "1", "2", "4", "25"],
    ]


def test_reports_page_has_charts_tables_and_links(committee_client, dataset):
    response = committee_client.get("/reports")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count('<svg class="chart"') == 6
    assert html.count('role="img"') == 6 and "<desc id=" in html
    assert "<script" not in html.split("<main", 1)[1].split("</main>", 1)[0]
    for key in ("stages", "outcomes", "stage_times", "sanctions", "clauses", "pledges"):
        assert f"/reports/{key}.csv?months=12" in html
    assert "Suspension: 1</title>" in html
    assert "Most often upheld:" in html
    # An unknown period falls back to 12 months; an unknown report is 404.
    assert committee_client.get("/reports?months=7").status_code == 200
    assert committee_client.get("/reports/nothing.csv").status_code == 404


def test_empty_database_shows_no_figures_yet(committee_client):
    html = committee_client.get("/reports").get_data(as_text=True)
    assert html.count("No figures for this period yet.") == 6


@pytest.mark.parametrize("role", [Role.COMMITTEE, Role.CHAIR, Role.ADMIN])
def test_committee_chair_and_admin_may_read(client, login_as, db_session, role):
    login_as(client, UserFactory(roles=[role]))
    assert client.get("/reports").status_code == 200
    assert client.get("/reports/pledges.csv").status_code == 200


def test_members_and_anonymous_may_not(client, login_as, db_session):
    for url in ("/reports", "/reports/clauses.csv"):
        anonymous = client.get(url)
        assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    login_as(client, MemberUserFactory())
    assert client.get("/reports").status_code == 403
    assert client.get("/reports/clauses.csv").status_code == 403


def test_statement_count_does_not_grow_with_the_caseload(app, committee_client, dataset):
    def count_statements() -> int:
        with recorded_statements(app) as seen:
            assert committee_client.get("/reports").status_code == 200
        return len(seen)

    before = count_statements()
    for _ in range(10):
        _case(dataset["respondent"], 1, "closed", ("MPP-C.1",))
    assert count_statements() == before


def test_csv_cells_cannot_start_a_formula():
    from ethics_cases.reports.queries import Report
    from ethics_cases.reports.views import to_csv

    report = Report("x", "X", "", [("a", "A")], [{"a": "=HYPERLINK(1)"}, {"a": None}])
    assert to_csv(report).splitlines() == ["A", "'=HYPERLINK(1)", '""']


def test_month_start():
    from ethics_cases.reports.queries import month_start

    assert month_start(date(2026, 1, 15), 1) == datetime(2026, 1, 1, tzinfo=UTC)
    assert month_start(date(2026, 1, 15), 12) == datetime(2025, 2, 1, tzinfo=UTC)
