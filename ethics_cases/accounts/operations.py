"""Everything that changes accounts: registration, sign-in bookkeeping, passwords, roles.

Each function adds its change and its ONE audit event to the current ``db.session``
transaction; the caller commits. Refusals raise ``AccountError`` with the form field to blame,
so views can show the message next to the right input.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from .. import audit
from ..audit.display import label_action
from ..extensions import db
from ..security import Role
from ..types import utcnow
from .models import Member, User, UserRole

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 200

#: Settings an instance may override (instance/config.py or ETHICS_CASES_<NAME>).
SETTINGS: dict[str, object] = {
    "LOGIN_MAX_FAILURES": 5,  # failed passwords in a row before the account locks
    "LOGIN_LOCKOUT_SECONDS": 15 * 60,
    "LOGIN_RATE_LIMIT": "10 per minute;100 per hour",  # login POSTs per IP address
    "PASSWORD_RESET_MAX_AGE": 3600,  # seconds a reset link stays valid
}


for _action, _label in {
    "user.created": "Account created",
    "user.registered": "Member registered an account",
    "user.logged_in": "Signed in",
    "user.login_failed": "Sign-in failed (wrong password)",
    "user.locked_out": "Account locked after failed sign-ins",
    "user.password_changed": "Password changed",
    "user.password_reset_requested": "Password reset link requested",
    "user.password_reset": "Password reset by emailed link",
    "user.deactivated": "Account deactivated",
    "user.reactivated": "Account reactivated",
    "member.imported": "Membership roll imported",
}.items():
    label_action(_action, _label)


def setting(name: str) -> object:
    return current_app.config.get(name, SETTINGS[name])


class AccountError(ValueError):
    """A refused account action; ``field`` names the form input the message belongs to."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def normalise_email(email: str) -> str:
    return email.strip().lower()


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def password_problems(password: str, email: str) -> list[str]:
    """What is wrong with a new password, in plain words (empty when it is fine)."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"Use at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(f"Use at most {MAX_PASSWORD_LENGTH} characters.")
    if password.strip().lower() == normalise_email(email):
        problems.append("Your password must not be your email address.")
    return problems


def _check_new_password(password: str, email: str, field: str = "password") -> None:
    problems = password_problems(password, email)
    if problems:
        raise AccountError(" ".join(problems), field)


# -- creating accounts --------------------------------------------------------------------------


def create_user(email: str, full_name: str, password: str, roles: set[Role]) -> User:
    """An account made by an administrator (CLI or page)."""
    email = normalise_email(email)
    if not full_name.strip():
        raise AccountError("Give the person's full name.", "full_name")
    if user_by_email(email) is not None:
        raise AccountError(f"An account with the email {email} already exists.", "email")
    _check_new_password(password, email)
    user = User(email=email, full_name=" ".join(full_name.split()), failed_login_count=0,
                active=True)
    user.set_password(password)
    for role in sorted(roles):
        user.role_grants.append(UserRole(role=role.value))
    db.session.add(user)
    db.session.flush()
    audit.record("user.created", user, details={"roles": sorted(r.value for r in roles)})
    return user


def register_member(membership_number: str, email: str, password: str) -> User:
    """A member claims their roll entry: the number and the email on the roll must match."""
    number = membership_number.strip()
    email = normalise_email(email)
    member = db.session.scalar(select(Member).where(Member.membership_number == number))
    if member is None or member.email is None or normalise_email(member.email) != email:
        raise AccountError(
            "We could not find that membership number with that email address on the "
            "membership roll. Check both against your membership letter, or contact the "
            "association to update the roll.", "membership_number")
    if member.user_id is not None:
        raise AccountError("This membership already has an account. Sign in, or reset your "
                           "password if you have forgotten it.", "membership_number")
    if user_by_email(email) is not None:
        raise AccountError("An account with this email already exists. Sign in, or reset "
                           "your password.", "email")
    _check_new_password(password, email)
    user = User(email=email, full_name=member.full_name, failed_login_count=0, active=True)
    user.set_password(password)
    user.role_grants.append(UserRole(role=Role.MEMBER.value))
    db.session.add(user)
    db.session.flush()
    member.user_id = user.id
    audit.record("user.registered", user, details={"member_id": member.id,
                                                   "roles": [Role.MEMBER.value]})
    return user


# -- signing in ------------------------------------------------------------------------------


@cache
def _dummy_hash() -> str:
    return generate_password_hash("not a real password, only for timing")


@dataclass(frozen=True)
class LoginOutcome:
    user: User | None
    locked_until: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.user is not None and self.locked_until is None


def attempt_login(email: str, password: str, now: datetime | None = None) -> LoginOutcome:
    """Check a password with lockout bookkeeping. Unknown emails cost a hash check too, so
    timing does not tell which addresses have accounts."""
    now = now or utcnow()
    user = user_by_email(email)
    if user is None or not user.active:
        check_password_hash(_dummy_hash(), password)
        return LoginOutcome(None)
    if user.is_locked(now):
        check_password_hash(_dummy_hash(), password)
        return LoginOutcome(None, user.locked_until)
    if user.check_password(password):
        user.failed_login_count = 0
        user.locked_until = None
        user.last_login_at = now
        # login_user() runs after this, so the request has no signed-in user yet: name the
        # actor, or the trail would say the system signed in.
        audit.record("user.logged_in", user, actor=audit.Actor("user", str(user.id), "User"))
        return LoginOutcome(user)
    user.failed_login_count = (user.failed_login_count or 0) + 1
    audit.record("user.login_failed", user, details={"failed_count": user.failed_login_count})
    if user.failed_login_count >= int(setting("LOGIN_MAX_FAILURES")):
        user.locked_until = now + timedelta(seconds=int(setting("LOGIN_LOCKOUT_SECONDS")))
        user.failed_login_count = 0
        audit.record("user.locked_out", user,
                     details={"locked_until": user.locked_until.isoformat(timespec="seconds")})
        return LoginOutcome(None, user.locked_until)
    return LoginOutcome(None)


# -- passwords ------------------------------------------------------------------------------


def change_password(user: User, current_password: str, new_password: str) -> None:
    if not user.check_password(current_password):
        raise AccountError("That is not your current password.", "current_password")
    if current_password == new_password:
        raise AccountError("Choose a password different from your current one.", "password")
    _check_new_password(new_password, user.email)
    user.set_password(new_password)
    audit.record("user.password_changed", user)


def _reset_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="ethics_cases.password-reset")


def _hash_tag(password_hash: str) -> str:
    # A token is bound to the password it may replace, so it dies once used.
    return hashlib.sha256(password_hash.encode()).hexdigest()[:20]


def password_reset_token(user: User, now: datetime | None = None) -> str:
    issued = int((now or utcnow()).timestamp())
    return _reset_serializer().dumps({"u": user.id, "p": _hash_tag(user.password_hash),
                                      "t": issued})


def user_for_reset_token(token: str, now: datetime | None = None) -> User | None:
    """The user a valid, unexpired, unused token belongs to; None otherwise (never says why:
    an attacker learns nothing from the answer)."""
    try:
        data = _reset_serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not {"u", "p", "t"} <= data.keys():
        return None
    age = (now or utcnow()).timestamp() - int(data["t"])
    if age < 0 or age > int(setting("PASSWORD_RESET_MAX_AGE")):
        return None
    user = db.session.get(User, int(data["u"]))
    if user is None or not user.active or _hash_tag(user.password_hash) != data["p"]:
        return None
    return user


def request_password_reset(email: str, reset_url_for: object) -> None:
    """Queue a reset email if an active account has this email; do nothing visible otherwise."""
    from ..mail import queue_email

    user = user_by_email(email)
    if user is None or not user.active:
        check_password_hash(_dummy_hash(), "timing")  # comparable work either way
        return
    token = password_reset_token(user)
    minutes = int(setting("PASSWORD_RESET_MAX_AGE")) // 60
    queue_email(user.email, "Reset your IMC Ethics password", "password_reset",
                user=user, url=reset_url_for(token), minutes=minutes)  # type: ignore[operator]
    audit.record("user.password_reset_requested", user)


def reset_password(token: str, new_password: str, now: datetime | None = None) -> User:
    user = user_for_reset_token(token, now)
    if user is None:
        raise AccountError("This reset link has expired or was already used. Ask for a new one.")
    _check_new_password(new_password, user.email)
    user.set_password(new_password)
    user.failed_login_count = 0
    user.locked_until = None
    audit.record("user.password_reset", user)
    return user


# -- roles ----------------------------------------------------------------------------------


def active_admin_count() -> int:
    return db.session.scalar(
        select(func.count()).select_from(UserRole).join(User)
        .where(UserRole.role == Role.ADMIN.value, User.active.is_(True))) or 0


def change_role(user: User, role: Role, *, grant: bool, reason: str) -> None:
    """Grant or revoke one role: one audit event with the role sets before and after."""
    reason = reason.strip()
    if not reason:
        raise AccountError("Say why the role changes (it is kept in the audit trail).", "reason")
    before = sorted(r.value for r in user.roles)
    if grant:
        if user.has_role(role):
            raise AccountError(f"{user.full_name} already has the role {role.label}.", "role")
        user.role_grants.append(UserRole(role=role.value))
    else:
        if not user.has_role(role):
            raise AccountError(f"{user.full_name} does not have the role {role.label}.", "role")
        if role is Role.ADMIN and user.active and active_admin_count() <= 1:
            raise AccountError("This is the last administrator: grant the role to someone "
                               "else before removing it here.", "role")
        for grant_row in [g for g in user.role_grants if g.role == role.value]:
            user.role_grants.remove(grant_row)
    db.session.flush()
    after = sorted(r.value for r in user.roles)
    audit.record("user.role_granted" if grant else "user.role_revoked", user, reason=reason,
                 details={"role": role.value, "roles": {"before": before, "after": after}})


def set_active(user: User, active: bool, *, reason: str) -> None:
    """Deactivate (sign-in refused, history kept) or reactivate an account; one audit event."""
    reason = reason.strip()
    if not reason:
        raise AccountError("Say why (it is kept in the audit trail).", "reason")
    if user.active == active:
        raise AccountError("The account is already " + ("active." if active else "inactive."))
    if not active and user.has_role(Role.ADMIN) and active_admin_count() <= 1:
        raise AccountError("This is the last administrator: make someone else an "
                           "administrator before deactivating this account.")
    user.active = active
    audit.record("user.reactivated" if active else "user.deactivated", user, reason=reason)
