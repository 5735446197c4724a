"""Roles (admin page, audit, last-admin rule), the users CLI, the roster import, standing."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from ethics_cases.accounts.models import Member, User
from ethics_cases.accounts.standing import (
    Standing,
    register_standing_source,
    standing_of,
    standings_of,
)
from ethics_cases.audit import AuditEvent
from ethics_cases.security import Role

from .factories.accounts import MemberFactory, MemberUserFactory, UserFactory


def _events(db_session, action):
    return list(db_session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_granting_and_revoking_a_role_is_one_audit_event_each(client, db_session, login_as):
    admin = UserFactory(roles=[Role.ADMIN])
    user = MemberUserFactory()
    login_as(client, admin)
    url = f"/admin/users/{user.id}"
    response = client.post(url, data={"role": "committee", "action": "grant",
                                      "reason": "Elected to the committee"})
    assert response.status_code == 302
    db_session.refresh(user)
    assert user.roles == {Role.MEMBER, Role.COMMITTEE}
    [event] = _events(db_session, "user.role_granted")
    assert event.subject_id == str(user.id) and event.actor_id == str(admin.id)
    assert event.reason == "Elected to the committee"
    assert event.details == {"role": "committee", "roles": {
        "before": ["member"], "after": ["committee", "member"]}}
    client.post(url, data={"role": "committee", "action": "revoke", "reason": "Term ended"})
    db_session.refresh(user)
    assert user.roles == {Role.MEMBER}
    assert len(_events(db_session, "user.role_revoked")) == 1


def test_a_role_change_needs_a_reason(client, db_session, login_as):
    admin = UserFactory(roles=[Role.ADMIN])
    user = UserFactory()
    login_as(client, admin)
    response = client.post(f"/admin/users/{user.id}",
                           data={"role": "chair", "action": "grant", "reason": ""})
    assert response.status_code == 400
    assert "Say why the role changes" in response.get_data(as_text=True)
    db_session.refresh(user)
    assert user.roles == frozenset()


def test_the_last_admin_cannot_remove_their_admin_role(client, db_session, login_as):
    admin = UserFactory(roles=[Role.ADMIN])
    login_as(client, admin)
    response = client.post(f"/admin/users/{admin.id}", data={
        "role": "admin", "action": "revoke", "reason": "stepping down"}, follow_redirects=True)
    assert "This is the last administrator" in response.get_data(as_text=True)
    db_session.refresh(admin)
    assert admin.has_role(Role.ADMIN)
    assert _events(db_session, "user.role_revoked") == []
    # With a second admin it is allowed.
    UserFactory(roles=[Role.ADMIN])
    client.post(f"/admin/users/{admin.id}", data={
        "role": "admin", "action": "revoke", "reason": "stepping down"})
    db_session.refresh(admin)
    assert not admin.has_role(Role.ADMIN)


def test_admin_users_list_searches_and_is_refused_to_others(client, db_session, login_as):
    admin = UserFactory(roles=[Role.ADMIN], full_name="Ada Admin")
    UserFactory(full_name="Zora Neale", email="zora@example.org")
    UserFactory(full_name="Someone Else")
    login_as(client, admin)
    html = client.get("/admin/users?q=zora").get_data(as_text=True)
    assert "Zora Neale" in html and "Someone Else" not in html
    login_as(client, UserFactory(roles=[Role.CHAIR]))
    assert client.get("/admin/users").status_code == 403
    assert client.post(f"/admin/users/{admin.id}", data={
        "role": "chair", "action": "grant", "reason": "x"}).status_code == 403


def test_cli_creates_a_user_with_a_password_from_stdin(runner, db_session):
    result = runner.invoke(args=["users", "create", "--role", "chair", "--role", "committee",
                                 "--email", "Chair@Example.org", "--name", "Cora Chair",
                                 "--password-stdin"], input="a long enough password\n")
    assert result.exit_code == 0, result.output
    user = db_session.scalar(select(User))
    assert user.email == "chair@example.org" and user.roles == {Role.CHAIR, Role.COMMITTEE}
    assert user.check_password("a long enough password")
    again = runner.invoke(args=["users", "create", "--role", "chair", "--email",
                                "chair@example.org", "--name", "X", "--password-stdin"],
                          input="a long enough password\n")
    assert again.exit_code == 1 and "already exists" in again.output
    short = runner.invoke(args=["users", "create", "--role", "admin", "--email",
                                "a@example.org", "--name", "A", "--password-stdin"],
                          input="short\n")
    assert short.exit_code == 1 and "at least 12 characters" in short.output


ROSTER = """membership_number,full_name,email,membership_type,credentials,joined_on,ended_on
IMC-1,Ada Lovelace,ada@example.org,mentor,Certified Mentor,2020-01-01,
IMC-2,Grace Hopper,grace@example.org,Mentor supervisor,,2019-05-01,
"""
BAD_ROWS = """membership_number,full_name,email,membership_type,credentials,joined_on,ended_on
IMC-1,Ada Lovelace,ada@example.org,mentor,,2020-01-01,
IMC-2,Grace Hopper,not-an-email,mentor,,2019-05-01,
,Nameless Person,n@example.org,mentor,,,
IMC-4,Dates Wrong,d@example.org,astronaut,,2020-13-01,
IMC-1,Ada Again,ada2@example.org,mentor,,,
"""


def _write(tmp_path, text, name="roster.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_roster_import_creates_then_updates_idempotently(runner, db_session, tmp_path):
    result = runner.invoke(args=["members", "import", _write(tmp_path, ROSTER)])
    assert result.exit_code == 0, result.output
    assert "2 rows read: 2 members added, 0 updated, 0 unchanged" in result.output
    members = {m.membership_number: m for m in db_session.scalars(select(Member))}
    assert members["IMC-2"].membership_type == "mentor_supervisor"
    assert members["IMC-1"].joined_on == date(2020, 1, 1)
    changed = ROSTER.replace("Certified Mentor", "Certified Senior Mentor")
    result = runner.invoke(args=["members", "import", _write(tmp_path, changed)])
    assert "0 members added, 1 updated, 1 unchanged" in result.output
    db_session.expire_all()
    assert db_session.scalar(select(Member).where(Member.membership_number == "IMC-1")
                             ).credentials == "Certified Senior Mentor"
    events = _events(db_session, "member.imported")
    assert len(events) == 2  # one per run, not per row
    assert events[0].details["created"] == 2 and "Ada" not in events[0].canonical


def test_roster_with_bad_rows_imports_nothing_and_names_each_problem(runner, db_session,
                                                                       tmp_path):
    result = runner.invoke(args=["members", "import", _write(tmp_path, BAD_ROWS)])
    assert result.exit_code == 1
    for line in ["row 3: email 'not-an-email' is not a valid address",
                 "row 4: membership_number is missing",
                 "row 5: membership_type 'astronaut' is not one of",
                 "row 5: joined_on '2020-13-01' is not a date",
                 "row 6: membership_number IMC-1 repeats row 2",
                 "Nothing imported: 4 of 5 rows have errors"]:
        assert line in result.output
    assert db_session.scalar(select(Member)) is None
    assert _events(db_session, "member.imported") == []


def test_roster_partial_imports_the_good_rows(runner, db_session, tmp_path):
    result = runner.invoke(args=["members", "import", "--partial",
                                 _write(tmp_path, BAD_ROWS)])
    assert result.exit_code == 0
    assert "5 rows read: 1 members added, 0 updated, 0 unchanged, 4 skipped" in result.output
    assert [m.membership_number for m in db_session.scalars(select(Member))] == ["IMC-1"]


def test_roster_without_required_columns_is_refused(runner, db_session, tmp_path):
    result = runner.invoke(args=["members", "import", _write(tmp_path, "name,email\nA,b\n")])
    assert result.exit_code == 1
    assert "header: missing column(s) membership_number, full_name, membership_type" in (
        result.output)


def test_standing_from_membership_dates(db_session, app_ctx):
    member = MemberFactory(joined_on=date(2020, 1, 1), ended_on=date(2026, 6, 30))
    assert standing_of(member, date(2026, 6, 29)) is Standing.GOOD
    assert standing_of(member, date(2026, 6, 30)) is Standing.LAPSED
    assert standing_of(member, date(2019, 12, 31)) is Standing.NOT_YET_MEMBER


def test_standing_sources_are_batched_and_the_most_severe_wins(db_session, monkeypatch):
    from ethics_cases.accounts import standing as standing_module

    monkeypatch.setattr(standing_module, "_sources", [])
    good, suspended, lapsed = (MemberFactory(), MemberFactory(),
                               MemberFactory(ended_on=date(2020, 1, 1)))
    calls = []

    @register_standing_source
    def sanctions(member_ids, on):
        calls.append(sorted(member_ids))
        return {suspended.id: Standing.SUSPENDED, lapsed.id: Standing.ON_PROBATION}

    result = standings_of([good, suspended, lapsed])
    assert result == {good.id: Standing.GOOD, suspended.id: Standing.SUSPENDED,
                      lapsed.id: Standing.LAPSED}
    assert calls == [sorted([good.id, suspended.id, lapsed.id])]  # one call for the list
    assert not Standing.SUSPENDED.may_sign_pledge and Standing.ON_PROBATION.may_sign_pledge


def test_deactivating_an_account_refuses_sign_in_and_is_audited(client, db_session, login_as):
    from .factories.accounts import PASSWORD

    admin = UserFactory(roles=[Role.ADMIN])
    user = UserFactory(email="leaver@example.org")
    from .conftest import CSRFClient

    client.application.test_client_class = CSRFClient
    leaver = client.application.test_client()
    login_as(leaver, user)
    assert leaver.get("/me").status_code == 200
    login_as(client, admin)
    response = client.post(f"/admin/users/{user.id}/active",
                           data={"active": "0", "reason": "Left the committee"})
    assert response.status_code == 302
    db_session.refresh(user)
    assert not user.active
    [event] = _events(db_session, "user.deactivated")
    assert event.reason == "Left the committee"
    assert leaver.get("/me").status_code == 302  # their open session ended
    client.post("/logout")
    html = client.post("/login", data={"email": "leaver@example.org", "password": PASSWORD}
                       ).get_data(as_text=True)
    assert "do not match an account" in html
    # The last administrator cannot deactivate themselves.
    login_as(client, admin)
    page = client.post(f"/admin/users/{admin.id}/active", data={"active": "0", "reason": "x"},
                       follow_redirects=True).get_data(as_text=True)
    assert "This is the last administrator" in page
    db_session.refresh(admin)
    assert admin.active
