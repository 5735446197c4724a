"""Administrators' outbox page, and the letter downloads (committee, respondent, complainant).

Letters are served from LETTERS_FOLDER (outside the static folder) through these views only;
each route checks the viewer's capacity on the case, and anyone not entitled gets 404, so a
letter's existence is not revealed. Every download and every look at the outbox is audited.
"""

from __future__ import annotations

import io
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select

from .. import audit
from ..assets import asset_response
from ..cases import access
from ..cases.models import Case
from ..extensions import db
from ..mail.models import OutboxMessage
from ..mail.outbox import deliver_pending, max_attempts, smtp_configured
from ..security import Role, login_required, public, roles_required
from . import operations
from .letters import letter_path
from .models import CaseLetter

bp = Blueprint("notifications", __name__)
STATIC = Path(__file__).parent / "static"

PAGE_SIZE = 50
STATUSES = {
    "queued": "Queued",
    "retrying": "Failed, will retry",
    "failed": "Given up",
    "sent": "Sent",
}


def _status_filter(status: str):  # type: ignore[no-untyped-def]
    m = OutboxMessage
    return {
        "sent": m.sent_at.is_not(None),
        "failed": m.sent_at.is_(None) & m.gave_up_at.is_not(None),
        "retrying": m.sent_at.is_(None) & m.gave_up_at.is_(None) & (m.attempts > 0),
        "queued": m.sent_at.is_(None) & m.gave_up_at.is_(None) & (m.attempts == 0),
    }.get(status)


@bp.route("/admin/outbox/outbox.css")
@roles_required(Role.ADMIN)  # only the admin pages use it
def stylesheet():
    return asset_response(STATIC / "notifications.css")


@bp.route("/admin/outbox")
@roles_required(Role.ADMIN)
def outbox():
    status = request.args.get("status", "")
    status = status if status in STATUSES else ""
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    case_ref = request.args.get("case", "").strip().upper()[:20]
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    scope = []
    if case_ref:
        scope.append(OutboxMessage.case_id == select(Case.id).where(
            Case.reference == case_ref).scalar_subquery())
    condition = _status_filter(status)
    query = query.where(*scope, *([condition] if condition is not None else []))
    pagination = db.paginate(query, page=page, per_page=PAGE_SIZE, error_out=False)
    counts = {key: db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                     .where(_status_filter(key), *scope)) or 0
              for key in STATUSES}
    # The cases' references for this page in one query (no per-row lookups).
    case_ids = {m.case_id for m in pagination.items if m.case_id is not None}
    references = dict(db.session.execute(select(Case.id, Case.reference)
                                         .where(Case.id.in_(case_ids))).all()) if case_ids else {}
    html = render_template("notifications/outbox.html", pagination=pagination, status=status,
                           statuses=STATUSES, counts=counts, smtp=smtp_configured(),
                           max_attempts=max_attempts(), case_ref=case_ref,
                           references=references)
    # Audited after rendering: the commit expires the rows, which would reload one by one.
    operations.record_outbox_viewed([m.id for m in pagination.items], status=status or "all",
                                    page=page)
    return html


@bp.route("/admin/outbox/<int:message_id>")
@roles_required(Role.ADMIN)
def outbox_message(message_id: int):
    message = db.session.get(OutboxMessage, message_id) or abort(404)
    html = render_template("notifications/outbox_message.html", message=message,
                           statuses=STATUSES, form=FlaskForm(), smtp=smtp_configured(),
                           max_attempts=max_attempts())
    operations.record_message_viewed(message)
    return html


@bp.route("/admin/outbox/<int:message_id>/retry", methods=["POST"])
@roles_required(Role.ADMIN)
def outbox_retry(message_id: int):
    message = db.session.get(OutboxMessage, message_id) or abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    if message.sent_at is not None:
        flash("This message was already sent.", "info")
        return redirect(url_for("notifications.outbox_message", message_id=message_id))
    operations.retry_now(message)
    if not smtp_configured():
        flash("Marked for sending, but no mail server is configured (MAIL_SERVER): it stays in "
              "the outbox.", "warning")
    else:
        report = deliver_pending(only_ids=[message_id], limit=1)
        if report.sent:
            flash("Sent.", "success")
        else:
            flash("Sending failed again; the error is shown below.", "error")
    return redirect(url_for("notifications.outbox_message", message_id=message_id))


# -- letters ----------------------------------------------------------------------------------


def _letter_or_404(reference: str, letter_id: int) -> CaseLetter:
    """The letter of this case whose file still exists (retention may have deleted it)."""
    letter = db.session.get(CaseLetter, letter_id)
    if letter is None or letter.case.reference != reference.upper():
        abort(404)
    if not letter_path(letter).is_file():
        abort(404)
    return letter


def _send(letter: CaseLetter):  # type: ignore[no-untyped-def]
    path = letter_path(letter)
    # Read whole (letters are a few KB): no file handle outlives the request.
    response = send_file(io.BytesIO(path.read_bytes()), mimetype="application/pdf",
                         as_attachment=True,
                         download_name=letter.filename, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/cases/<reference>/letters/<int:letter_id>")
@roles_required(Role.COMMITTEE, Role.CHAIR)
def committee_letter(reference: str, letter_id: int):
    letter = _letter_or_404(reference, letter_id)
    if not access.can_view_case(current_user, letter.case, access.case_grants()):
        abort(404)
    operations.record_letter_download(letter, as_party="committee")
    return _send(letter)


@bp.route("/my/cases/<reference>/letters/<int:letter_id>")
@login_required
def respondent_letter(reference: str, letter_id: int):
    from ..workflow.views import respondent_case_or_404

    case = respondent_case_or_404(reference)
    letter = _letter_or_404(case.reference, letter_id)
    if letter.recipient != "respondent":
        abort(404)
    operations.record_letter_download(letter, as_party="respondent")
    return _send(letter)


@bp.route("/complaint/case/<reference>/letters/<int:letter_id>")
@public  # complainants usually have no account: the case grant decides (404 for anyone else)
def complainant_letter(reference: str, letter_id: int):
    case = access.complainant_case_or_404(current_user, reference)
    letter = _letter_or_404(case.reference, letter_id)
    if letter.recipient != "complainant":
        abort(404)
    actor = None
    if not (current_user.is_authenticated and current_user.id == case.complainant_user_id):
        actor = audit.Actor("complainant", case.reference, "Complainant")
    operations.record_letter_download(letter, as_party="complainant", actor=actor)
    return _send(letter)
