"""Sign-in, registration, passwords and the member's own page. Views parse the form, call
``operations``, commit and redirect; refusals come back as messages next to the field."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..extensions import db, limiter, login_manager
from ..security import login_required, public
from ..types import utcnow
from ..urls import external_url
from . import operations
from .forms import (
    PASSWORD_HINT,
    LoginForm,
    PasswordChangeForm,
    RegistrationForm,
    ResetPasswordForm,
    ResetRequestForm,
)
from .models import User
from .operations import AccountError

bp = Blueprint("accounts", __name__)

login_manager.login_view = "accounts.login"
login_manager.login_message = "Please sign in to see that page."
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Load the user named by a session or remember-me cookie (``User.get_id``)."""
    number, _, tag = user_id.partition(":")
    # Every signed-in request runs this: one statement for the user, their roles and their
    # roll entry (instead of three: the user, then selectin loads of member and roles).
    user = db.session.execute(
        select(User).where(User.id == int(number))
        .options(joinedload(User.member), joinedload(User.role_grants))
    ).unique().scalar_one_or_none() if number.isdigit() else None
    if user is None or not user.active:
        return None  # a deactivated account's sessions end at once
    if tag != user.credential_tag:
        return None  # the password changed since this session (or cookie) signed in
    return user


def _sign_in(user: User, remember: bool = False) -> None:
    login_user(user, remember=remember)


def _safe_next(target: str | None) -> str | None:
    """Only same-site relative paths: an open redirect would make phishing easy."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def _show_error(form: FlaskForm, error: AccountError) -> None:
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "error")


def _login_rate_limit() -> str:
    return str(operations.setting("LOGIN_RATE_LIMIT"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    locked_until = None
    if form.validate_on_submit():
        outcome = operations.attempt_login(form.email.data, form.password.data)
        db.session.commit()  # failures and lockouts are recorded too
        if outcome.ok:
            _sign_in(outcome.user, remember=form.remember.data)
            flash(f"Welcome, {outcome.user.full_name}.", "success")
            return redirect(_safe_next(request.args.get("next")) or url_for("main.home"))
        if outcome.locked_until is not None:
            locked_until = outcome.locked_until
        else:
            form.password.errors = ["That email and password do not match an account."]
    # A wrong password is an answer, not a malformed request: 200, as the form re-shows.
    return render_template("accounts/login.html", form=form, locked_until=locked_until,
                           now=utcnow())


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("main.home"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"])
@public
def register():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.me"))
    form = RegistrationForm()
    if form.validate_on_submit():
        try:
            user = operations.register_member(form.membership_number.data, form.email.data,
                                              form.password.data)
        except AccountError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            try:
                db.session.commit()
            except IntegrityError:  # a simultaneous registration of the same entry won
                db.session.rollback()
                form.membership_number.errors = [
                    "This membership already has an account. Sign in, or reset your password."]
            else:
                _sign_in(user)
                flash("Your account is ready. Welcome!", "success")
                return redirect(url_for("accounts.me"))
    return render_template("accounts/register.html", form=form, password_hint=PASSWORD_HINT), (
        400 if form.errors else 200)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            operations.change_password(current_user, form.current_password.data,
                                       form.password.data)
        except AccountError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            _sign_in(current_user._get_current_object())  # this session stays; others end
            flash("Your password is changed.", "success")
            return redirect(url_for("accounts.me"))
    return render_template("accounts/password_change.html", form=form,
                           password_hint=PASSWORD_HINT), (400 if form.errors else 200)


def _reset_url(token: str) -> str:
    return external_url("accounts.reset_password", token=token)


@bp.route("/password-reset", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"])
@public
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        operations.request_password_reset(form.email.data, _reset_url)
        db.session.commit()
        # The same answer whether or not the address has an account.
        return render_template("accounts/reset_sent.html", email=form.email.data)
    return render_template("accounts/reset_request.html", form=form), (
        400 if form.errors else 200)


@bp.route("/password-reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    if operations.user_for_reset_token(token) is None:
        return render_template("accounts/reset_invalid.html"), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            operations.reset_password(token, form.password.data)
        except AccountError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            flash("Your password is set. Please sign in with it.", "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form,
                           password_hint=PASSWORD_HINT), (400 if form.errors else 200)


@bp.route("/me")
@login_required
def me():
    from ..pledges.queries import pledge_history
    from .standing import standing_of

    member = current_user.member
    standing = standing_of(member) if member is not None else None
    pledges = pledge_history(member) if member is not None else []
    return render_template("accounts/me.html", member=member, standing=standing,
                           pledges=pledges)


from . import admin_views  # noqa: E402,F401  (registers the admin pages on bp)
