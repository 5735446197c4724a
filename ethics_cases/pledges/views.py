"""Signing the pledge, certificates, public verification, and the administrators' list."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from ..accounts.models import MembershipType
from ..accounts.standing import standing_of, standings_of
from ..assets import asset_response, asset_url
from ..code import current_code
from ..extensions import db
from ..security import Role, login_required, public, roles_required
from ..urls import external_url
from . import operations
from .forms import SignPledgeForm
from .models import Pledge
from .queries import (
    PledgeStatus,
    latest_fingerprint_of,
    members_with_pledge_status,
    rows_of,
    status_for,
)

STYLESHEET = Path(__file__).parent / "static" / "pledges.css"

bp = Blueprint("pledges", __name__)

MEMBERS_PER_PAGE = 50
_SESSION_KEY = "pledge_current_for"


@bp.before_app_request
def _remind_to_sign() -> None:
    """Signed-in members whose newest pledge is not for the current Code see a banner.

    The positive answer is cached in the session keyed by the Code's fingerprint, so a member
    who has signed costs nothing per request; the others cost one indexed query.
    """
    g.pledge_reminder = None
    if not current_user.is_authenticated or request.endpoint in (None, "static"):
        return
    member = current_user.member
    if member is None:
        return
    fingerprint = current_code().fingerprint
    if session.get(_SESSION_KEY) == fingerprint:
        return
    status = status_for(latest_fingerprint_of(member.id), fingerprint)
    if status is PledgeStatus.CURRENT:
        session[_SESSION_KEY] = fingerprint
    else:
        g.pledge_reminder = status


@bp.app_context_processor
def _pledge_globals() -> dict[str, object]:
    return {"pledge_reminder": g.get("pledge_reminder"),
            "current_fingerprint": current_code().fingerprint}


def _sign_page(form: SignPledgeForm, status_code: int = 200):
    code = current_code()
    member = current_user.member
    standing = standing_of(member) if member is not None else None
    return render_template("pledges/sign.html", form=form, code=code, member=member,
                           standing=standing), status_code


@bp.route("/pledge", methods=["GET", "POST"])
@roles_required(Role.MEMBER)
def sign():
    code = current_code()
    form = SignPledgeForm()
    if request.method == "GET":
        form.code_fingerprint.data = code.fingerprint
    if form.validate_on_submit():
        try:
            pledge = operations.sign_pledge(
                current_user, typed_name=form.typed_name.data, consent=form.consent.data,
                shown_fingerprint=form.code_fingerprint.data or "", code=code,
                ip=request.remote_addr, user_agent=request.user_agent.string)
        except operations.PledgeRefused as refusal:
            db.session.rollback()
            if refusal.code_changed:
                form.code_fingerprint.data = code.fingerprint
            field = getattr(form, refusal.field, None) if refusal.field else None
            if field is not None:
                field.errors = [*field.errors, refusal.message]
            else:
                flash(refusal.message, "error")
            return _sign_page(form, 409 if refusal.code_changed else 400)
        db.session.commit()
        session[_SESSION_KEY] = code.fingerprint
        flash("Thank you: your pledge is signed.", "success")
        return redirect(url_for("pledges.certificate", pledge_id=pledge.id))
    return _sign_page(form, 400 if form.errors else 200)


def _pledge_for_viewer(pledge_id: int) -> Pledge:
    """The signer and the committee/administrators may see a certificate; others get 404."""
    pledge = db.session.get(Pledge, pledge_id)
    if pledge is None:
        abort(404)
    if pledge.user_id != current_user.id and not current_user.is_committee:
        abort(404)
    return pledge


def _verify_url(pledge: Pledge) -> str:
    return external_url("pledges.verify", verification_code=pledge.verification_code)


@bp.route("/pledges/<int:pledge_id>")
@login_required
def certificate(pledge_id: int):
    pledge = _pledge_for_viewer(pledge_id)
    return render_template("pledges/certificate.html", pledge=pledge,
                           paragraphs=pledge.code_version.pledge_paragraphs,
                           standing=standing_of(pledge.member), verify_url=_verify_url(pledge),
                           is_current=pledge.code_fingerprint == current_code().fingerprint)


@bp.route("/pledges/<int:pledge_id>.pdf")
@login_required
def certificate_pdf(pledge_id: int):
    from flask import current_app

    from .pdf import certificate_pdf as render_pdf

    pledge = _pledge_for_viewer(pledge_id)
    data = render_pdf(pledge, association=current_app.config["ASSOCIATION_NAME"],
                      pledge_paragraphs=pledge.code_version.pledge_paragraphs,
                      verify_url=_verify_url(pledge),
                      current=pledge.code_fingerprint == current_code().fingerprint,
                      standing=standing_of(pledge.member))
    filename = f"ethics-pledge-{pledge.member.membership_number}-{pledge.id}.pdf"
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "private, no-store"})


@bp.route("/pledges/verify/<verification_code>")
@public
def verify(verification_code: str):
    pledge = db.session.scalar(
        select(Pledge).where(Pledge.verification_code == verification_code))
    if pledge is None:
        abort(404)
    return render_template("pledges/verify.html", pledge=pledge,
                           standing=standing_of(pledge.member),
                           is_current=pledge.code_fingerprint == current_code().fingerprint)


def _member_filters() -> dict[str, str]:
    status = request.args.get("status", "")
    membership_type = request.args.get("type", "")
    return {
        "status": status if status in {s.value for s in PledgeStatus} else "",
        "membership_type": membership_type if membership_type in {
            t.value for t in MembershipType} else "",
        "search": request.args.get("q", "").strip()[:100],
    }


@bp.route("/admin/members")
@roles_required(Role.ADMIN, Role.CHAIR, Role.COMMITTEE)
def members():
    filters = _member_filters()
    page = max(request.args.get("page", 1, type=int), 1)
    statement = members_with_pledge_status(current_code().fingerprint, **filters)
    total = db.session.scalar(select(db.func.count()).select_from(statement.subquery()))
    result = db.session.execute(
        statement.limit(MEMBERS_PER_PAGE).offset((page - 1) * MEMBERS_PER_PAGE))
    rows = rows_of(result)
    standings = standings_of([row.member for row in rows])
    pages = max((total + MEMBERS_PER_PAGE - 1) // MEMBERS_PER_PAGE, 1)
    return render_template("pledges/members.html", rows=rows, standings=standings,
                           filters=filters, page=page, pages=pages, total=total,
                           statuses=list(PledgeStatus), types=list(MembershipType))


@bp.route("/admin/members.csv")
@roles_required(Role.ADMIN, Role.CHAIR, Role.COMMITTEE)
def members_csv():
    filters = _member_filters()
    rows = rows_of(db.session.execute(
        members_with_pledge_status(current_code().fingerprint, **filters)))
    standings = standings_of([row.member for row in rows])
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["membership_number", "full_name", "email", "membership_type",
                     "standing", "pledge_status", "signed_version", "signed_at"])
    for row in rows:
        member = row.member
        writer.writerow([
            _csv_safe(member.membership_number), _csv_safe(member.full_name),
            _csv_safe(member.email or ""), member.membership_type,
            standings[member.id].value, row.status.value, row.signed_version or "",
            row.latest_pledge.signed_at.isoformat(timespec="seconds") if row.latest_pledge
            else ""])
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="members-pledge-status.csv"',
        "Cache-Control": "private, no-store"})


def _csv_safe(value: str) -> str:
    """Neutralise spreadsheet formulas (CSV injection) in free-text cells."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


@bp.route("/assets/pledges.css")
@public
def stylesheet() -> Response:
    """The certificate's styles (read once per process; cacheable by content hash)."""
    return asset_response(STYLESHEET)


@bp.app_template_global()
def pledges_stylesheet_url() -> str:
    return asset_url("pledges.stylesheet", STYLESHEET)
