""""Check my complaint": the complainant's way back to their case (key or emailed link), and
their case page: stage in plain words, messages, reply, add documents, withdraw."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db, limiter
from ..security import public
from ..workflow.context import CaseChanged
from . import access, auditing, evidence, operations
from .forms import CheckForm, EvidenceForm, LoginLinkForm, ReplyForm, WithdrawForm
from .intake_views import bp
from .models import Audience, Case, CaseMessage
from .references import followup_key_matches, normalise_reference
from .stages import can_withdraw, stage_for

WRONG_KEY_MESSAGE = ("We could not open a complaint with that reference and key. Please check "
                     "both (the key has four groups of letters and digits) and try again.")


def _check_ip_limit() -> str:
    return str(current_app.config.get("FOLLOWUP_IP_RATE_LIMIT", "10 per 15 minutes"))


def _check_reference_limit() -> str:
    return str(current_app.config.get("FOLLOWUP_REFERENCE_RATE_LIMIT", "5 per 15 minutes"))


def _reference_key() -> str:
    return "followup-ref:" + normalise_reference(request.form.get("reference", ""))[:30]


@bp.route("/check", methods=["GET", "POST"])
@public
@limiter.limit(_check_ip_limit, methods=["POST"])
@limiter.limit(_check_reference_limit, methods=["POST"], key_func=_reference_key)
def check():
    form = CheckForm()
    if form.validate_on_submit():
        case = operations.find_case_by_reference(form.reference.data or "")
        # The key is hashed and compared even when no case exists: same work, same answer.
        if followup_key_matches(form.key.data or "", case.followup_key_hash if case else None):
            assert case is not None
            access.grant_case(case.id)
            return redirect(url_for("intake.case_page", reference=case.reference))
        form.key.errors = [WRONG_KEY_MESSAGE]
        return render_template("intake/check.html", form=form, link_form=LoginLinkForm()), 422
    return render_template("intake/check.html", form=form, link_form=LoginLinkForm())


@bp.route("/check/link", methods=["POST"])
@public
@limiter.limit(_check_ip_limit)
def request_login_link():
    form = LoginLinkForm()
    if not form.validate_on_submit():
        return render_template("intake/check.html", form=CheckForm(formdata=None),
                               link_form=form), 422
    operations.send_login_link(form.reference.data or "", form.email.data or "")
    db.session.commit()
    return render_template("intake/link_sent.html")


@bp.route("/check/link/<token>")
@public
def login_link(token: str):
    case = operations.case_from_login_link(token)
    if case is None:
        flash("That link has expired or is not valid. Ask for a new one, or use your key.",
              "warning")
        return redirect(url_for("intake.check"))
    access.grant_case(case.id)
    return redirect(url_for("intake.case_page", reference=case.reference))


def _complainant_case(reference: str) -> Case:
    case = access.complainant_case_or_404(current_user, reference)
    if case.complainant_user_id is None or not current_user.is_authenticated or (
            current_user.id != case.complainant_user_id):
        auditing.act_as_complainant(case.reference)
    return case


def _messages_for_complainant(case: Case) -> list[CaseMessage]:
    visible = {Audience.COMPLAINANT.value, Audience.PARTIES.value}
    return [m for m in case.messages if m.audience in visible or m.author_kind == "complainant"]


@bp.route("/case/<reference>")
@public
def case_page(reference: str):
    case = _complainant_case(reference)
    return _render_case(case)


def _render_case(case: Case, *, reply_form: ReplyForm | None = None,
                 evidence_form: EvidenceForm | None = None,
                 withdraw_form: WithdrawForm | None = None,
                 evidence_errors: list[str] | None = None,
                 status: int = 200):  # type: ignore[no-untyped-def]
    messages = _messages_for_complainant(case)
    open_requests = [m for m in messages if m.is_request and m.answered_at is None]
    return render_template(
        "intake/case.html", case=case, stage=stage_for(case.state), messages=messages,
        open_requests=open_requests,
        reply_form=reply_form or ReplyForm(formdata=None),
        evidence_form=evidence_form or EvidenceForm(formdata=None),
        withdraw_form=withdraw_form or WithdrawForm(formdata=None, expected_version=case.version),
        evidence_errors=evidence_errors or [], can_withdraw=can_withdraw(case.state),
        human_size=evidence.human_size, limits=evidence,
    ), status


@bp.route("/case/<reference>/reply", methods=["POST"])
@public
def reply(reference: str):
    case = _complainant_case(reference)
    form = ReplyForm()
    if not form.validate_on_submit():
        return _render_case(case, reply_form=form, status=422)
    in_reply_to = None
    if form.in_reply_to.data:
        in_reply_to = db.session.get(CaseMessage, int(form.in_reply_to.data)) if (
            form.in_reply_to.data.isdigit()) else None
        if in_reply_to is None or in_reply_to.case_id != case.id:
            abort(404)
    try:
        operations.reply_as_complainant(case, form.body.data or "", in_reply_to)
    except operations.NotAllowedNow as refusal:
        db.session.rollback()
        form.body.errors = [str(refusal)]
        return _render_case(case, reply_form=form, status=409)
    db.session.commit()
    flash("Your message has been sent to the committee.", "success")
    return redirect(url_for("intake.case_page", reference=case.reference))


@bp.route("/case/<reference>/evidence", methods=["POST"])
@public
def add_evidence(reference: str):
    case = _complainant_case(reference)
    form = EvidenceForm()
    if not form.validate_on_submit():
        abort(400)
    uploads = [f for f in request.files.getlist("files") if f and f.filename]
    if not uploads:
        return _render_case(case, evidence_errors=["Please choose at least one file."],
                            status=422)
    stored: list[evidence.StoredFile] = []
    errors: list[str] = []
    existing = (len(case.evidence), sum(e.size for e in case.evidence))
    for upload in uploads:
        try:
            name, data = evidence.read_upload(upload.stream, upload.filename)
            evidence.check_limits(existing[0] + len(stored),
                                  existing[1] + sum(s.size for s in stored), [len(data)])
            stored.append(evidence.store_bytes(name, data))
        except evidence.EvidenceRejected as refusal:
            errors.append(str(refusal))
    if errors:  # all or nothing: say what to fix; keep no half of the upload
        for item in stored:
            evidence.delete_stored(item.stored_name)
        return _render_case(case, evidence_errors=errors, status=422)
    try:
        operations.add_complainant_evidence(case, stored)
        db.session.commit()
    except Exception:
        db.session.rollback()
        for item in stored:
            evidence.delete_stored(item.stored_name)
        raise
    flash(f"{len(stored)} document(s) added to your complaint.", "success")
    return redirect(url_for("intake.case_page", reference=case.reference))


@bp.route("/case/<reference>/withdraw", methods=["POST"])
@public
def withdraw(reference: str):
    case = _complainant_case(reference)
    form = WithdrawForm()
    if not form.validate_on_submit():
        return _render_case(case, withdraw_form=form, status=422)
    try:  # the workflow's ``withdraw`` step: it commits (or rolls back) itself
        operations.withdraw_complaint(case, form.reason.data or "",
                                      current_user._get_current_object(),
                                      expected_version=form.expected_version.data)
    except operations.NotAllowedNow as refusal:
        flash(str(refusal), "error")
        return redirect(url_for("intake.case_page", reference=case.reference))
    except (StaleDataError, CaseChanged):
        flash("The committee changed your case while you were writing. Please read the page "
              "again and then decide.", "warning")
        return redirect(url_for("intake.case_page", reference=case.reference))
    flash("Your complaint has been withdrawn.", "success")
    return redirect(url_for("intake.case_page", reference=case.reference))
