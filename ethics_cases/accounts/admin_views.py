"""Administrators manage users and their roles. Each role change is one audit event."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, or_, select

from .. import audit
from ..extensions import db
from ..security import Role, roles_required
from . import operations
from .forms import ActiveForm, RoleChangeForm
from .models import User, UserRole
from .operations import AccountError
from .views import bp

USERS_PER_PAGE = 50


@bp.route("/admin/users")
@roles_required(Role.ADMIN)
def admin_users():
    query = request.args.get("q", "").strip()[:100]  # SQLite refuses LIKE patterns > 50 kB
    role = request.args.get("role", "")
    page = max(request.args.get("page", 1, type=int), 1)
    statement = select(User).order_by(func.lower(User.full_name), User.id)
    if query:
        pattern = f"%{query.lower()}%"
        statement = statement.where(or_(func.lower(User.full_name).like(pattern),
                                        func.lower(User.email).like(pattern)))
    if role in {r.value for r in Role}:
        statement = statement.where(User.id.in_(select(UserRole.user_id)
                                                .where(UserRole.role == role)))
    pagination = db.paginate(statement, page=page, per_page=USERS_PER_PAGE, error_out=False)
    return render_template("accounts/admin_users.html", pagination=pagination, query=query,
                           role=role, roles=list(Role))


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def admin_user(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = RoleChangeForm()
    if form.validate_on_submit():
        if form.action.data not in ("grant", "revoke"):
            abort(400)
        role = Role(form.role.data)
        try:
            operations.change_role(user, role, grant=form.action.data == "grant",
                                   reason=form.reason.data)
        except AccountError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            verb = "granted to" if form.action.data == "grant" else "removed from"
            flash(f"{role.label} {verb} {user.full_name}.", "success")
            return redirect(url_for("accounts.admin_user", user_id=user.id))
    history = audit.history_for(user)
    return render_template("accounts/admin_user.html", user=user, form=form, roles=list(Role),
                           history=history), (400 if form.errors else 200)


@bp.route("/admin/users/<int:user_id>/active", methods=["POST"])
@roles_required(Role.ADMIN)
def admin_user_active(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = ActiveForm()
    if not form.validate_on_submit():
        flash("Say why (it is kept in the audit trail).", "error")
        return redirect(url_for("accounts.admin_user", user_id=user.id))
    active = form.active.data == "1"
    try:
        operations.set_active(user, active, reason=form.reason.data)
    except AccountError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(f"{user.full_name}'s account is {'active' if active else 'deactivated'}.",
              "success")
    return redirect(url_for("accounts.admin_user", user_id=user.id))
