"""Workflow pages: the actions on a case (committee and respondent), the respondent's own case
pages, and the procedure diagram. Views parse the form, call ``operations.fire``, redirect.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import lazyload

from ..accounts.models import Member, User, UserRole
from ..assets import asset_response
from ..cases import access, evidence
from ..cases.models import Audience, Case, CaseMessage
from ..code import current_code
from ..extensions import db
from ..security import Role, login_required, public, roles_required
from ..types import utcnow
from . import diagram, operations, panel
from .context import CaseChanged, Refused
from .forms import StepForm, build_form
from .models import CaseWorkflow, PanelSeat
from .procedure import ACTOR_LABELS, STATES, STATES_BY_NAME, STEPS, first_step, steps_for

bp = Blueprint("workflow", __name__)
STATIC = Path(__file__).parent / "static"

COMMITTEE_ROLES = (Role.COMMITTEE, Role.CHAIR)


# -- lookups --------------------------------------------------------------------------------


def _case_or_404(reference: str) -> Case:
    case = db.session.scalar(select(Case).where(Case.reference == reference.upper()))
    if case is None:
        abort(404)
    return case


def respondent_case_or_404(reference: str) -> Case:
    """The case, for the member it is about, once they have been notified; 404 otherwise."""
    case = _case_or_404(reference)
    member = case.respondent
    flow = db.session.get(CaseWorkflow, case.id)
    if (member is None or member.user_id != current_user.id or flow is None
            or flow.respondent_notified_at is None):
        abort(404)
    return case


def committee_people(case: Case) -> list[tuple[int, str]]:
    """Active committee members who are not parties, for investigator / panel choices."""
    users = db.session.scalars(
        select(User).join(UserRole).where(
            UserRole.role.in_([Role.COMMITTEE.value, Role.CHAIR.value]), User.active.is_(True))
        .distinct().order_by(User.full_name)
        # A choice list: ids and names; roles and roll entries load only if something asks.
        .options(lazyload(User.role_grants), lazyload(User.member)))
    party_user_ids = {case.complainant_user_id,
                      case.respondent.user_id if case.respondent else None}
    return [(u.id, u.full_name) for u in users if u.id not in party_user_ids]


def _votes_from(form: Any, case: Case) -> dict[int, bool]:
    votes = {}
    for allegation in case.allegations:
        value = form.get(f"vote_{allegation.id}")
        if value in ("breached", "not_breached"):
            votes[allegation.id] = value == "breached"
    return votes


# -- actions --------------------------------------------------------------------------------


def _take_action(case: Case, trigger: str, side: str) -> Any:
    if not steps_for(trigger):
        abort(404)
    people = committee_people(case) if side == "committee" else []
    form: StepForm = build_form(trigger, case=case, people=people, prefix=trigger,
                                formdata=request.form if request.method == "POST" else None)
    status, problem = 200, None
    if request.method == "POST" and form.validate():
        data = form.step_data()
        if trigger == "cast_vote":
            data["votes"] = _votes_from(request.form, case)
        try:
            operations.fire(case, trigger, current_user._get_current_object(), data,
                            expected_version=form.expected_version.data,
                            reason=form.reason.data or "")
        except CaseChanged as changed:
            status, problem = 409, changed.message
            form.expected_version.data = db.session.get(Case, case.id).version
        except Refused as refusal:
            status, problem = 422, refusal.message
            if refusal.field and refusal.field in form:
                form[refusal.field].errors = [*form[refusal.field].errors, refusal.message]
        else:
            flash(f"{first_step(trigger).label}: done.", "success")
            if side == "respondent":
                return redirect(url_for("workflow.my_case", reference=case.reference))
            if trigger == "recuse":
                return redirect(url_for("cases.index"))
            return redirect(url_for("cases.show", reference=case.reference))
    elif request.method == "POST":
        status = 422
    case = db.session.get(Case, case.id)
    return render_template("workflow/action.html", case=case, form=form,
                           step=first_step(trigger), trigger=trigger, side=side,
                           problem=problem, box=panel.case_box(case, current_user)), status


@bp.route("/cases/<reference>/actions/<trigger>", methods=["GET", "POST"])
@roles_required(*COMMITTEE_ROLES)
def committee_action(reference: str, trigger: str):
    return _take_action(_case_or_404(reference), trigger, "committee")


@bp.route("/my/cases/<reference>/actions/<trigger>", methods=["GET", "POST"])
@login_required
def respondent_action(reference: str, trigger: str):
    return _take_action(respondent_case_or_404(reference), trigger, "respondent")


# -- the respondent's pages ---------------------------------------------------------------


@bp.route("/my/cases")
@login_required
def my_cases():
    member = db.session.scalar(select(Member).where(Member.user_id == current_user.id))
    cases = [] if member is None else list(db.session.scalars(
        select(Case).join(CaseWorkflow, CaseWorkflow.case_id == Case.id)
        .where(Case.respondent_member_id == member.id,
               CaseWorkflow.respondent_notified_at.is_not(None))
        .order_by(Case.submitted_at.desc())))
    return render_template("workflow/my_cases.html", cases=cases, states=STATES_BY_NAME)


def _clause_as_applied(box: panel.CaseBox, code: Any, clause_id: str) -> Any:
    """The clause's wording in the Code that applies to the case (in force at the conduct
    date), falling back to the running Code."""
    from types import SimpleNamespace

    text = box.code.text_of(clause_id) if box.code else None
    if text is not None:
        return SimpleNamespace(id=clause_id, text=text)
    return code.clause(clause_id) if code.has_clause(clause_id) else None


@bp.route("/my/cases/<reference>")
@login_required
def my_case(reference: str):
    case = respondent_case_or_404(reference)
    code = current_code()
    messages = db.session.scalars(
        select(CaseMessage).where(
            CaseMessage.case_id == case.id,
            (CaseMessage.audience.in_([Audience.RESPONDENT.value, Audience.PARTIES.value]))
            | (CaseMessage.author_kind == "respondent"))
        .order_by(CaseMessage.created_at))
    box = panel.case_box(case, current_user)
    return render_template(
        "workflow/my_case.html", case=case, state=STATES_BY_NAME.get(case.state),
        allegations=[(a, _clause_as_applied(box, code, a.clause_id)) for a in case.allegations],
        messages=list(messages), box=box,
        my_evidence=[e for e in case.evidence if e.uploaded_by_kind == "respondent"],
        human_size=evidence.human_size)


@bp.route("/my/cases/<reference>/evidence", methods=["POST"])
@login_required
def my_case_evidence(reference: str):
    case = respondent_case_or_404(reference)
    if not FlaskForm().validate_on_submit():  # the CSRF token
        abort(400)
    uploads = [f for f in request.files.getlist("files") if f and f.filename]
    if not uploads:
        flash("Please choose at least one file.", "error")
        return redirect(url_for("workflow.my_case", reference=case.reference))
    stored: list[evidence.StoredFile] = []
    try:
        mine = [e for e in case.evidence if e.uploaded_by_kind == "respondent"]
        for upload in uploads:
            name, data = evidence.read_upload(upload.stream, upload.filename)
            evidence.check_limits(len(mine) + len(stored),
                                  sum(e.size for e in mine) + sum(s.size for s in stored),
                                  [len(data)])
            stored.append(evidence.store_bytes(name, data))
        operations.add_respondent_evidence(case, current_user._get_current_object(), stored)
    except (evidence.EvidenceRejected, Refused) as refusal:
        for item in stored:
            evidence.delete_stored(item.stored_name)
        flash(str(refusal), "error")
        return redirect(url_for("workflow.my_case", reference=case.reference)), 303
    except Exception:
        for item in stored:
            evidence.delete_stored(item.stored_name)
        raise
    flash(f"{len(stored)} document(s) added.", "success")
    return redirect(url_for("workflow.my_case", reference=case.reference))


@bp.route("/workflow/workflow.css")
@login_required  # every page that uses it is for signed-in users
def stylesheet():
    return asset_response(STATIC / "workflow.css")


@bp.route("/my/cases/<reference>/reply", methods=["POST"])
@login_required
def my_case_reply(reference: str):
    case = respondent_case_or_404(reference)
    if not FlaskForm().validate_on_submit():  # the CSRF token
        abort(400)
    try:
        operations.reply_as_respondent(case, current_user._get_current_object(),
                                       request.form.get("body", "")[:20_000],
                                       request.form.get("in_reply_to", type=int))
    except Refused as refusal:
        flash(refusal.message, "error")
    else:
        flash("Your answer was sent to the committee.", "success")
    return redirect(url_for("workflow.my_case", reference=case.reference))


# -- the complainant: appeal against a dismissal -------------------------------------------


@bp.route("/case/<reference>/appeal", methods=["GET", "POST"])
@public  # complainants usually have no account: the case grant decides (404 for anyone else)
def complainant_appeal(reference: str):
    case = access.complainant_case_or_404(current_user, reference)
    by_account = current_user.is_authenticated and current_user.id == case.complainant_user_id
    form = build_form("appeal_dismissal", case=case, people=[], prefix="appeal_dismissal",
                      formdata=request.form if request.method == "POST" else None)
    status, problem = 200, None
    if request.method == "POST" and form.validate():
        try:
            operations.fire(case, "appeal_dismissal",
                            current_user._get_current_object() if by_account else None, {},
                            expected_version=form.expected_version.data,
                            reason=form.reason.data or "", complainant_grant=not by_account)
        except (CaseChanged, Refused) as refusal:
            status = 409 if isinstance(refusal, CaseChanged) else 422
            problem = refusal.message
        else:
            flash("Your appeal was received. A panel that did not take part in the first "
                  "decision will consider it.", "success")
            return redirect(url_for("intake.case_page", reference=case.reference))
    elif request.method == "POST":
        status = 422
    case = db.session.get(Case, case.id)
    open_ = case.state == "dismissed" and (case.due_at is None or case.due_at >= utcnow())
    return render_template("workflow/complainant_appeal.html", case=case, form=form,
                           step=first_step("appeal_dismissal"), problem=problem,
                           open_=open_), status


# -- the procedure ----------------------------------------------------------------------------


@bp.route("/workflow")
@login_required
def procedure():
    outgoing = {state.name: [step for step in STEPS if state.name in step.sources]
                for state in STATES}
    who = {(step.trigger, step.dest): ", ".join(sorted(ACTOR_LABELS[k] for k in step.actors))
           for step in STEPS}
    return render_template("workflow/procedure.html", svg=diagram.svg(), states=STATES,
                           outgoing=outgoing, who=who,
                           withdrawal=diagram.withdrawal_summary(),
                           stay=diagram.withdrawal_summary("stayed"), titles=STATES_BY_NAME)


# -- panel access: undeclared panelists must declare first; recusal removes access ---------


@bp.before_app_request
def _panel_access() -> Any:
    if request.endpoint not in ("cases.show", "cases.download"):
        return None
    if not current_user.is_authenticated:
        return None
    reference = (request.view_args or {}).get("reference", "")
    seat = db.session.scalar(
        select(PanelSeat).join(Case, Case.id == PanelSeat.case_id)
        .where(Case.reference == str(reference).upper(), PanelSeat.user_id == current_user.id)
        .order_by(PanelSeat.id.desc()).limit(1))
    if seat is None:
        return None
    if seat.recused_at is not None:
        abort(403, description="You no longer sit on this case's panel (you recused yourself "
                               "or an objection to you was upheld), so its file is closed to "
                               "you.")
    if seat.conflict_declared_at is None:
        flash("Before you can open the case file, declare that you have no conflict of "
              "interest (or recuse yourself).", "info")
        return redirect(url_for("workflow.committee_action", reference=reference,
                                trigger="declare_no_conflict"))
    return None


@bp.app_template_global()
def workflow_case_box(case: Case) -> panel.CaseBox:
    return panel.case_box(case, current_user)


# -- procedure depth: own-motion cases, the complainant's objection to a panelist -----------


@bp.route("/cases/open-own-motion", methods=["GET", "POST"])
@roles_required(Role.CHAIR)
def open_own_motion():
    """The chair opens a case on the committee's own motion (the committee is complainant)."""
    from . import own_motion

    form = own_motion.OwnMotionForm()
    form.fill_choices()
    status = 200
    if form.validate_on_submit():
        try:
            case = own_motion.open_case(current_user._get_current_object(),
                                        **own_motion.form_data(form))
        except Refused as refusal:
            status = 422
            if refusal.field and refusal.field in form:
                form[refusal.field].errors = [*form[refusal.field].errors, refusal.message]
            else:
                flash(refusal.message, "error")
        else:
            flash(f"Case {case.reference} opened on the committee's own motion.", "success")
            return redirect(url_for("cases.show", reference=case.reference))
    elif request.method == "POST":
        status = 422
    return render_template("workflow/own_motion.html", form=form), status


@bp.route("/case/<reference>/object", methods=["GET", "POST"])
@public  # complainants usually have no account: the case grant decides (404 for anyone else)
def complainant_objection(reference: str):
    case = access.complainant_case_or_404(current_user, reference)
    by_account = current_user.is_authenticated and current_user.id == case.complainant_user_id
    form = build_form("object_to_panelist", case=case, people=[], prefix="object_to_panelist",
                      formdata=request.form if request.method == "POST" else None)
    status, problem = 200, None
    if request.method == "POST" and form.validate():
        try:
            operations.fire(case, "object_to_panelist",
                            current_user._get_current_object() if by_account else None,
                            form.step_data(), expected_version=form.expected_version.data,
                            reason=form.reason.data or "", complainant_grant=not by_account)
        except (CaseChanged, Refused) as refusal:
            status = 409 if isinstance(refusal, CaseChanged) else 422
            problem = refusal.message
            if isinstance(refusal, Refused) and refusal.field and refusal.field in form:
                form[refusal.field].errors = [*form[refusal.field].errors, refusal.message]
        else:
            flash("Your objection was received. The chair will rule on it and tell you the "
                  "result here.", "success")
            return redirect(url_for("intake.case_page", reference=case.reference))
    elif request.method == "POST":
        status = 422
    case = db.session.get(Case, case.id)
    flow = db.session.get(CaseWorkflow, case.id)
    open_ = (case.state == "hearing" and flow is not None and flow.objection_deadline is not None
             and utcnow() <= flow.objection_deadline)
    return render_template("workflow/complainant_objection.html", case=case, form=form,
                           step=first_step("object_to_panelist"), problem=problem, open_=open_,
                           flow=flow), status
