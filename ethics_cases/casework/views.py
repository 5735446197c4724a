"""Casework routes: forms on the committee case page post here; each calls one function of
``operations`` and redirects back. A refused form is shown again on a small page with the
message next to the field and what was typed kept (422).

Access: committee roles at the route, then ``operations.may_work_on`` for the case — parties
get 404 (the case's existence is not revealed), recused or undeclared panelists 403.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from sqlalchemy.orm import joinedload
from wtforms.fields.choices import SelectChoice

from ..accounts.models import User
from ..assets import asset_response
from ..cases import identity
from ..cases.access import case_by_reference_or_404
from ..cases.models import Audience, Case, CaseMessage
from ..extensions import db
from ..security import Role, login_required, roles_required
from . import operations, queries
from .forms import (
    BundleForm,
    DisclosureForm,
    MessageForm,
    NewTagForm,
    NoteForm,
    OfficerForm,
    RemoveTagForm,
    TagForm,
)
from .models import HearingBundle, IdentityDisclosure, OfficerAssignment, Tag
from .operations import CaseworkRefused

bp = Blueprint("casework", __name__, template_folder="templates")
STATIC = Path(__file__).parent / "static"

COMMITTEE_ROLES = (Role.COMMITTEE, Role.CHAIR, Role.ADMIN)


def _case_for_work(reference: str) -> Case:
    case = case_by_reference_or_404(reference)
    user = current_user._get_current_object()
    if not operations.may_work_on(user, case):
        abort(404 if operations.is_party(user, case) else 403)
    return case


def _back(case: Case, anchor: str) -> Any:
    return redirect(url_for("cases.show", reference=case.reference) + f"#{anchor}")


def _refused(case: Case, form: Any, refusal: CaseworkRefused | None, title: str,
             action: str, submit: str) -> Any:
    if refusal is not None and refusal.field and refusal.field in form:
        form[refusal.field].errors = [*form[refusal.field].errors, refusal.message]
    return render_template("casework/form.html", case=case, form=form, title=title,
                           action=action, submit=submit,
                           problem=refusal.message if refusal and not refusal.field else None
                           ), 422


def _fill_officer_choices(form: OfficerForm, case: Case) -> None:
    form.officer_id.choices = [SelectChoice(0, "— choose —")] + [
        SelectChoice(u.id, u.full_name) for u in operations.eligible_officers(case)]


def _fill_tag_choices(form: TagForm, tags: list[Tag] | None = None) -> None:
    form.tag_id.choices = [SelectChoice(0, "— choose —")] + [
        SelectChoice(t.id, t.name) for t in (queries.all_tags() if tags is None else tags)]


@bp.route("/casework/casework.css")
@login_required  # every page that uses it is for signed-in committee members
def stylesheet():
    return asset_response(STATIC / "casework.css")


# -- identity protection in templates ---------------------------------------------------------


@bp.app_template_global()
def complainant_display(case: Case) -> identity.ComplainantDisplay:
    """``cases.identity.complainant_display_for`` for the current user (any template)."""
    return identity.complainant_display_for(current_user._get_current_object(), case)


@bp.app_template_global()
def redact_for_viewer(case: Case, text: str | None) -> str:
    """``cases.identity.redact_for`` for the current user: free text shown to a party."""
    return identity.redact_for(current_user._get_current_object(), case, text)


# -- the case page's data ------------------------------------------------------------------


@bp.app_template_global()
def casework_box(case: Case, messages: list[Any] | None = None) -> dict[str, Any]:
    """What the casework sections of the committee case page show (a handful of queries,
    once per request: both the main column and the sidebar include use it). ``messages``: the
    case's messages as the page already read them (the notes are among them); otherwise
    ``case.messages``."""
    cache = g.setdefault("casework_boxes", {})
    if case.id not in cache:
        cache[case.id] = _casework_box(case, case.messages if messages is None else messages)
    return cache[case.id]


def _casework_box(case: Case, messages: list[Any]) -> dict[str, Any]:
    user = current_user._get_current_object()
    may_work = operations.may_work_on(user, case)
    # Every assignment of the case in one statement: the current one (at most one, a partial
    # unique index) and the earlier ones, newest first. Officers are shown by name; their roles
    # load when ``officer_problem`` asks whether they are still on the committee.
    assignments = list(db.session.scalars(
        db.select(OfficerAssignment).where(OfficerAssignment.case_id == case.id)
        .options(joinedload(OfficerAssignment.officer).lazyload(User.member))))
    assignment = next((a for a in assignments if a.ended_at is None), None)
    past = sorted((a for a in assignments if a.ended_at is not None),
                  key=lambda a: a.ended_at, reverse=True)
    is_chair = operations.is_chair(user)
    officer_form = OfficerForm(prefix="officer")
    if is_chair:  # only the chair sees the officer form (and its list of the committee)
        _fill_officer_choices(officer_form, case)
    marked = queries.tags_marking_case(case.id)
    tag_form = TagForm(prefix="tag")
    _fill_tag_choices(tag_form, [tag for tag, _ in marked])
    # The disclosure decision is shown only for a complainant who asked for protection.
    disclosure = db.session.scalar(db.select(IdentityDisclosure).where(
        IdentityDisclosure.case_id == case.id).order_by(IdentityDisclosure.id.desc()).limit(1)
    ) if case.withhold_identity else None
    disclosure_form = DisclosureForm(prefix="disclose")
    disclosure_form.expected_version.data = case.version
    notes = [m for m in messages if m.audience == Audience.INTERNAL.value]
    bundles = list(db.session.scalars(
        db.select(HearingBundle).where(HearingBundle.case_id == case.id)
        .order_by(HearingBundle.id.desc()).limit(5)))
    authors = _names({m.author_user_id for m in notes if m.author_user_id}
                     | {b.generated_by_user_id for b in bundles if b.generated_by_user_id})
    deciding_state = case.state in ("awaiting_response", "hearing", "appeal")
    return {
        "may_work": may_work,
        "is_chair": is_chair,
        "assignment": assignment,
        "officer_problem": operations.officer_problem(assignment, case),
        "past_assignments": past,
        "officer_form": officer_form,
        "tags": [tag for tag, carried in marked if carried],
        "tag_form": tag_form,
        "remove_tag_form": RemoveTagForm(prefix="untag"),
        "notes": notes,
        "authors": authors,
        "note_form": NoteForm(prefix="note"),
        "message_form": MessageForm(prefix="message"),
        "disclosure": disclosure,
        "disclosure_form": disclosure_form,
        "bundle_form": BundleForm(prefix="bundle"),
        "bundles": bundles,
        "deciding_state": deciding_state,
        # _consistency.html, included while a sanction may be decided, takes this instead of
        # asking may_work_on again.
        "consistency": queries.sanction_consistency(case) if may_work and deciding_state
        else None,
    }


def _names(user_ids: set[int]) -> dict[int, str]:
    from ..accounts.models import User

    if not user_ids:
        return {}
    return dict(db.session.execute(
        db.select(User.id, User.full_name).where(User.id.in_(user_ids))).all())


@bp.app_template_global()
def sanction_consistency(case: Case) -> queries.Consistency | None:
    """The anonymised precedents for the sanction forms; None for anyone not entitled. (The case
    page's casework box computes it with the same check, as ``cw.consistency``.)"""
    if not operations.may_work_on(current_user._get_current_object(), case):
        return None
    return queries.sanction_consistency(case)


# -- notes and messages ------------------------------------------------------------------------


@bp.route("/cases/<reference>/notes", methods=["POST"])
@roles_required(*COMMITTEE_ROLES)
def add_note(reference: str):
    case = _case_for_work(reference)
    form = NoteForm(prefix="note")
    action, title = url_for(".add_note", reference=case.reference), "Add an internal note"
    if not form.validate():
        return _refused(case, form, None, title, action, "Add note")
    try:
        operations.add_note(case, current_user._get_current_object(), form.body.data)
    except CaseworkRefused as refusal:
        return _refused(case, form, refusal, title, action, "Add note")
    flash("Internal note added (committee only).", "success")
    return _back(case, "notes")


@bp.route("/cases/<reference>/party-messages", methods=["POST"])
@roles_required(*COMMITTEE_ROLES)
def send_message(reference: str):
    case = _case_for_work(reference)
    form = MessageForm(prefix="message")
    action, title = url_for(".send_message", reference=case.reference), "Write to a party"
    if not form.validate():
        return _refused(case, form, None, title, action, "Send")
    try:
        message: CaseMessage = operations.send_message(
            case, current_user._get_current_object(), form.audience.data, form.body.data)
    except CaseworkRefused as refusal:
        return _refused(case, form, refusal, title, action, "Send")
    flash(f"Message sent: {operations.MESSAGE_AUDIENCES[message.audience].lower()}.",
          "success")
    return _back(case, "party-message")


# -- identity disclosure -----------------------------------------------------------------------


@bp.route("/cases/<reference>/identity/disclose", methods=["POST"])
@roles_required(Role.CHAIR)
def disclose_identity(reference: str):
    case = _case_for_work(reference)
    form = DisclosureForm(prefix="disclose")
    action = url_for(".disclose_identity", reference=case.reference)
    title = "Disclose the complainant's identity"
    if not form.validate():
        return _refused(case, form, None, title, action, "Record the decision")
    try:
        expected = int(form.expected_version.data or 0)
    except ValueError:
        expected = 0
    try:
        operations.disclose_identity(case, current_user._get_current_object(),
                                     form.reasons.data, expected)
    except CaseworkRefused as refusal:
        form.expected_version.data = db.session.get(Case, case.id).version
        return _refused(case, form, refusal, title, action, "Record the decision")
    flash("Decision recorded: the member may now see who complained.", "success")
    return _back(case, "identity")


# -- officer and tags -------------------------------------------------------------------------


@bp.route("/cases/<reference>/officer", methods=["POST"])
@roles_required(Role.CHAIR)
def assign_officer(reference: str):
    case = _case_for_work(reference)
    form = OfficerForm(prefix="officer")
    _fill_officer_choices(form, case)
    action, title = url_for(".assign_officer", reference=case.reference), "Case officer"
    if not form.validate():
        return _refused(case, form, None, title, action, "Assign")
    try:
        operations.assign_officer(case, current_user._get_current_object(),
                                  form.officer_id.data, form.reason.data or "")
    except CaseworkRefused as refusal:
        return _refused(case, form, refusal, title, action, "Assign")
    flash("Case officer assigned.", "success")
    return _back(case, "officer")


@bp.route("/cases/<reference>/tags", methods=["POST"])
@roles_required(*COMMITTEE_ROLES)
def tag_case(reference: str):
    case = _case_for_work(reference)
    form = TagForm(prefix="tag")
    _fill_tag_choices(form)
    action, title = url_for(".tag_case", reference=case.reference), "Tag the case"
    if not form.validate():
        return _refused(case, form, None, title, action, "Add tag")
    try:
        operations.tag_case(case, current_user._get_current_object(), form.tag_id.data)
    except CaseworkRefused as refusal:
        return _refused(case, form, refusal, title, action, "Add tag")
    return _back(case, "tags")


@bp.route("/cases/<reference>/tags/<int:tag_id>/remove", methods=["POST"])
@roles_required(*COMMITTEE_ROLES)
def untag_case(reference: str, tag_id: int):
    case = _case_for_work(reference)
    if not RemoveTagForm(prefix="untag").validate():
        abort(400)
    try:
        operations.untag_case(case, current_user._get_current_object(), tag_id)
    except CaseworkRefused as refusal:
        flash(refusal.message, "error")
    return _back(case, "tags")


@bp.route("/casework/tags", methods=["GET", "POST"])
@roles_required(*COMMITTEE_ROLES)
def tags():
    form = NewTagForm(prefix="newtag")
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                tag = operations.create_tag(current_user._get_current_object(),
                                            form.name.data, form.description.data or "")
            except CaseworkRefused as refusal:
                form.name.errors = [*form.name.errors, refusal.message]
                status = 422
            else:
                flash(f"Tag “{tag.name}” created.", "success")
                return redirect(url_for(".tags"))
        else:
            status = 422
    return render_template("casework/tags.html", form=form, tags=queries.all_tags(),
                           counts=queries.tag_counts()), status


@bp.route("/casework/reassignments")
@roles_required(*COMMITTEE_ROLES)
def reassignments():
    return render_template("casework/reassignments.html",
                           rows=operations.cases_needing_reassignment())


# -- hearing bundle ---------------------------------------------------------------------------


@bp.route("/cases/<reference>/bundle", methods=["POST"])
@roles_required(*COMMITTEE_ROLES)
def bundle(reference: str):
    case = _case_for_work(reference)
    if not BundleForm(prefix="bundle").validate():
        abort(400)
    try:
        made = operations.generate_bundle(case, current_user._get_current_object())
    except CaseworkRefused as refusal:
        flash(refusal.message, "error")
        return _back(case, "bundle")
    response = send_file(io.BytesIO(made.data), mimetype="application/zip",
                         as_attachment=True, download_name=made.filename, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Bundle-SHA256"] = made.record.zip_sha256
    return response
