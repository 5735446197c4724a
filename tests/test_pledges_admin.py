"""The administrators' members list: pledge status, filters, CSV, and no N+1 queries."""

from __future__ import annotations

import csv
import io

from ethics_cases.security import Role

from .factories.accounts import MemberFactory, MemberUserFactory, UserFactory
from .factories.pledges import CodeVersionFactory, PledgeFactory
from .sql_statements import recorded_statements


def _population(db_session):
    current = CodeVersionFactory(current=True)
    earlier = CodeVersionFactory(version="2023.1")
    signed_now = PledgeFactory(user=MemberUserFactory(full_name="Alice Current"),
                               code_version=current)
    signed_before = PledgeFactory(user=MemberUserFactory(full_name="Bob Earlier"),
                                  code_version=earlier)
    # Charlie signed an earlier version and then the current one: status is current.
    charlie = MemberUserFactory(full_name="Charlie Both")
    PledgeFactory(user=charlie, code_version=earlier)
    PledgeFactory(user=charlie, code_version=current)
    MemberFactory(full_name="Dana Never", membership_type="mentor_trainer")
    return signed_now, signed_before


def test_members_list_shows_and_filters_pledge_status(client, db_session, login_as):
    _population(db_session)
    login_as(client, UserFactory(roles=[Role.ADMIN]))
    html = client.get("/admin/members").get_data(as_text=True)
    assert "4 members" in html
    assert html.count("Current version") == 2 and "Earlier version (2023.1)" in html
    assert "Never signed" in html
    never = client.get("/admin/members?status=never").get_data(as_text=True)
    assert "Dana Never" in never and "Alice Current" not in never
    earlier = client.get("/admin/members?status=earlier").get_data(as_text=True)
    assert "Bob Earlier" in earlier and "Charlie Both" not in earlier
    by_type = client.get("/admin/members?type=mentor_trainer").get_data(as_text=True)
    assert "Dana Never" in by_type and "Bob Earlier" not in by_type
    search = client.get("/admin/members?q=charl").get_data(as_text=True)
    assert "Charlie Both" in search and "1 member" in search


def test_members_csv_export(client, db_session, login_as):
    _population(db_session)
    login_as(client, UserFactory(roles=[Role.ADMIN]))
    response = client.get("/admin/members.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    by_name = {row["full_name"]: row for row in rows}
    assert by_name["Alice Current"]["pledge_status"] == "current"
    assert by_name["Bob Earlier"]["pledge_status"] == "earlier"
    assert by_name["Bob Earlier"]["signed_version"] == "2023.1"
    assert by_name["Charlie Both"]["pledge_status"] == "current"
    assert by_name["Dana Never"]["pledge_status"] == "never"
    assert by_name["Dana Never"]["standing"] == "good"
    only_never = client.get("/admin/members.csv?status=never").get_data(as_text=True)
    assert "Dana Never" in only_never and "Alice" not in only_never


def test_csv_neutralises_spreadsheet_formulas(client, db_session, login_as):
    MemberFactory(full_name="=HYPERLINK(\"http://evil\")")
    login_as(client, UserFactory(roles=[Role.ADMIN]))
    body = client.get("/admin/members.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in body


def _count_queries(app, client, url):
    with recorded_statements(app) as statements:
        assert client.get(url).status_code == 200
    return len(statements)


def test_the_members_list_does_not_grow_queries_with_members(app, client, db_session,
                                                             login_as):
    login_as(client, UserFactory(roles=[Role.ADMIN]))
    current = CodeVersionFactory(current=True)
    PledgeFactory(code_version=current)
    few = _count_queries(app, client, "/admin/members")
    for _ in range(15):
        PledgeFactory(code_version=current)
        PledgeFactory(code_version=CodeVersionFactory())
        MemberFactory()
    many = _count_queries(app, client, "/admin/members")
    assert many == few
    assert _count_queries(app, client, "/admin/members.csv") <= few


def test_members_list_refuses_members_and_anonymous(client, db_session, login_as):
    assert client.get("/admin/members").status_code == 302
    login_as(client, MemberUserFactory())
    assert client.get("/admin/members").status_code == 403
    assert client.get("/admin/members.csv").status_code == 403
