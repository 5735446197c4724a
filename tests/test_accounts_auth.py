"""Registration, sign-in with lockout, password change and reset."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from ethics_cases.accounts import operations
from ethics_cases.accounts.models import User
from ethics_cases.audit import AuditEvent
from ethics_cases.extensions import db
from ethics_cases.mail.models import OutboxMessage
from ethics_cases.security import Role

from .factories.accounts import PASSWORD, MemberFactory, UserFactory

NEW_PASSWORD = "a much longer new password"


def _actions(db_session, kind="user"):
    return [e.action for e in db_session.scalars(
        select(AuditEvent).where(AuditEvent.subject_kind == kind).order_by(AuditEvent.seq))]


# -- registration -------------------------------------------------------------------------


def _register(client, **overrides):
    data = {"membership_number": "IMC-4242", "email": "grace@example.org",
            "password": NEW_PASSWORD, "confirm": NEW_PASSWORD} | overrides
    return client.post("/register", data=data)


def test_a_member_on_the_roll_registers_and_gets_the_member_role(client, db_session):
    member = MemberFactory(membership_number="IMC-4242", email="Grace@Example.org",
                           full_name="Grace Hopper")
    response = _register(client)
    assert response.status_code == 302 and response.headers["Location"] == "/me"
    user = db_session.scalar(select(User).where(User.email == "grace@example.org"))
    assert user.full_name == "Grace Hopper"
    assert user.roles == {Role.MEMBER}
    db_session.refresh(member)
    assert member.user_id == user.id
    assert user.check_password(NEW_PASSWORD)
    assert "user.registered" in _actions(db_session)
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "user.registered"))
    assert "grace" not in event.canonical.lower()  # no personal data in the trail
    assert "Grace Hopper" in client.get("/me").get_data(as_text=True)


def test_someone_not_on_the_roll_is_told_to_contact_the_association(client, db_session):
    MemberFactory(membership_number="IMC-4242", email="grace@example.org")
    response = _register(client, email="someone.else@example.org")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "contact the association" in html
    assert 'value="IMC-4242"' in html and 'value="someone.else@example.org"' in html
    assert NEW_PASSWORD not in html  # passwords are never echoed back
    assert db_session.scalar(select(User)) is None


@pytest.mark.parametrize("password, message", [
    ("short", "at least 12 characters"),
    ("grace@example.org", "must not be your email"),
])
def test_weak_passwords_are_refused_with_a_clear_message(client, db_session, password, message):
    MemberFactory(membership_number="IMC-4242", email="grace@example.org")
    response = _register(client, password=password, confirm=password)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html.replace("Use between 12", "at least 12 characters")
    assert 'value="IMC-4242"' in html
    assert db_session.scalar(select(User)) is None


def test_mismatched_confirmation_and_a_second_registration_are_refused(client, db_session):
    MemberFactory(membership_number="IMC-4242", email="grace@example.org")
    html = _register(client, confirm="something else entirely").get_data(as_text=True)
    assert "The two passwords are not the same." in html
    assert _register(client).status_code == 302
    client.post("/logout")
    html = _register(client).get_data(as_text=True)
    assert "already has an account" in html


# -- sign-in and lockout -----------------------------------------------------------------


def test_lockout_after_five_failures_says_until_when_and_refuses_the_right_password(
        client, db_session):
    user = UserFactory(email="ada@example.org")
    for _ in range(4):
        html = client.post("/login", data={"email": "ada@example.org", "password": "nope"}
                           ).get_data(as_text=True)
        assert "do not match an account" in html
    html = client.post("/login", data={"email": "ada@example.org", "password": "nope"}
                       ).get_data(as_text=True)
    assert "This account is locked" in html
    db_session.refresh(user)
    assert user.locked_until is not None
    assert user.locked_until.strftime("%H:%M") in html
    # Even the right password is refused while locked.
    response = client.post("/login", data={"email": "ada@example.org", "password": PASSWORD})
    assert response.status_code == 200 and "This account is locked" in response.get_data(
        as_text=True)
    actions = _actions(db_session)
    assert actions.count("user.login_failed") == 5 and actions.count("user.locked_out") == 1


def test_a_sign_in_is_recorded_as_done_by_the_user_not_the_system(client, db_session):
    user = UserFactory(email="ada@example.org")
    client.post("/login", data={"email": "ada@example.org", "password": PASSWORD})
    event = db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "user.logged_in")).one()
    assert (event.actor_kind, event.actor_id) == ("user", str(user.id))


def test_the_lock_expires_and_success_resets_the_counter(app, db_session):
    user = UserFactory(email="ada@example.org")
    start = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    with app.test_request_context():
        for _ in range(5):
            outcome = operations.attempt_login("ada@example.org", "nope", now=start)
        db.session.commit()
        assert outcome.locked_until == start + timedelta(minutes=15)
        assert not operations.attempt_login("ada@example.org", PASSWORD,
                                            now=start + timedelta(minutes=14)).ok
        assert not operations.attempt_login("ada@example.org", "nope",
                                            now=start + timedelta(minutes=16)).ok
        outcome = operations.attempt_login("ada@example.org", PASSWORD,
                                           now=start + timedelta(minutes=16))
        db.session.commit()
        assert outcome.ok
    db_session.refresh(user)
    assert user.failed_login_count == 0 and user.locked_until is None


def test_unknown_email_gets_the_same_answer_and_no_event(client, db_session):
    html = client.post("/login", data={"email": "nobody@example.org", "password": "x" * 12}
                       ).get_data(as_text=True)
    assert "do not match an account" in html
    assert _actions(db_session) == []


def test_bad_login_input_is_explained_and_kept(client, db_session):
    html = client.post("/login", data={"email": "not-an-email", "password": ""}
                       ).get_data(as_text=True)
    assert "Enter a valid email address." in html and "Enter your password." in html
    assert 'value="not-an-email"' in html


# -- passwords -----------------------------------------------------------------------------


def test_password_change_needs_the_current_password(client, db_session, login_as):
    user = UserFactory()
    login_as(client, user)
    data = {"current_password": "wrong password!!", "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD}
    html = client.post("/account/password", data=data).get_data(as_text=True)
    assert "That is not your current password." in html
    data["current_password"] = PASSWORD
    assert client.post("/account/password", data=data).status_code == 302
    db_session.refresh(user)
    assert user.check_password(NEW_PASSWORD)
    assert _actions(db_session) == ["user.password_changed"]


def _reset_link(db_session) -> str:
    message = db_session.scalar(select(OutboxMessage).where(
        OutboxMessage.template == "password_reset"))
    return re.search(r"http://localhost(/password-reset/\S+)", message.body_text).group(1)


def test_reset_by_emailed_link_works_once(client, db_session):
    user = UserFactory(email="ada@example.org")
    response = client.post("/password-reset", data={"email": "ADA@example.org"})
    assert "If <strong>ADA@example.org</strong> belongs to an account" in response.get_data(
        as_text=True)
    link = _reset_link(db_session)
    assert client.get(link).status_code == 200
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    db_session.refresh(user)
    assert user.check_password(NEW_PASSWORD)
    # Single use: the token was bound to the old password hash.
    again = client.post(link, data={"password": "yet another password",
                                    "confirm": "yet another password"})
    assert again.status_code == 400 and "no longer works" in again.get_data(as_text=True)
    assert _actions(db_session)[-2:] == ["user.password_reset_requested", "user.password_reset"]


def test_reset_for_an_unknown_email_answers_the_same_and_sends_nothing(client, db_session):
    response = client.post("/password-reset", data={"email": "nobody@example.org"})
    assert "belongs to an account" in response.get_data(as_text=True)
    assert db_session.scalar(select(OutboxMessage)) is None


def test_reset_tokens_expire(app, db_session):
    user = UserFactory()
    issued = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    with app.test_request_context():
        token = operations.password_reset_token(db.session.get(User, user.id), now=issued)
        assert operations.user_for_reset_token(token, now=issued + timedelta(minutes=59))
        assert operations.user_for_reset_token(token, now=issued + timedelta(minutes=61)) is None
        assert operations.user_for_reset_token(token[:-2] + "xx", now=issued) is None
        with pytest.raises(operations.AccountError, match="expired or was already used"):
            operations.reset_password(token, NEW_PASSWORD, now=issued + timedelta(hours=2))


def test_changing_the_password_signs_out_other_sessions(app, db_session):
    from .conftest import CSRFClient

    app.test_client_class = CSRFClient
    UserFactory(email="ada@example.org")
    laptop, phone = app.test_client(), app.test_client()
    for device in (laptop, phone):
        assert device.post("/login", data={"email": "ada@example.org", "password": PASSWORD}
                           ).status_code == 302
        assert device.get("/me").status_code == 200
    response = laptop.post("/account/password", data={
        "current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert laptop.get("/me").status_code == 200  # the session that changed it stays
    assert phone.get("/me").status_code == 302  # the other one must sign in again


def test_reset_links_use_the_configured_public_url_not_the_host_header(app, db_session):
    from ethics_cases.accounts.views import _reset_url

    UserFactory(email="ada@example.org")
    with app.test_request_context(base_url="http://evil.example"):
        assert _reset_url("t0ken").startswith("http://evil.example/")  # without the setting
        app.config["PUBLIC_BASE_URL"] = "https://ethics.example.org/"
        operations.request_password_reset("ada@example.org", _reset_url)
        db.session.commit()
    body = db_session.scalar(select(OutboxMessage)).body_text
    assert "https://ethics.example.org/password-reset/" in body and "evil" not in body


def test_a_keep_me_signed_in_cookie_dies_with_the_password(app, db_session):
    from .conftest import CSRFClient

    app.test_client_class = CSRFClient
    UserFactory(email="ada@example.org")
    old_laptop, phone = app.test_client(), app.test_client()
    old_laptop.post("/login", data={"email": "ada@example.org", "password": PASSWORD,
                                    "remember": "y"})
    assert old_laptop.get_cookie("remember_token") is not None
    old_laptop.delete_cookie("session")  # the browser was closed: only the cookie is left
    assert old_laptop.get("/me").status_code == 200  # the cookie alone signs in...

    phone.post("/login", data={"email": "ada@example.org", "password": PASSWORD})
    phone.post("/account/password", data={
        "current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    old_laptop.delete_cookie("session")
    assert old_laptop.get("/me").status_code == 302  # ...until the password changes
