"""Committee pages (read-only here; the workflow adds the actions) and evidence downloads."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ..code import current_code
from ..extensions import db
from ..security import Role, public, roles_required
from . import access, auditing, evidence
from .models import Case, CaseMessage, Evidence
from .stages import stage_for

bp = Blueprint("cases", __name__, url_prefix="/cases")


@bp.route("/")
@roles_required(Role.COMMITTEE, Role.CHAIR, Role.ADMIN)
def index():
    """The committee's list of cases is the workspace queue (filters, counts, deadlines);
    old links (``?state=``, ``?page=``) keep working there."""
    return redirect(url_for("workspace.queue", **request.args.to_dict()))


@bp.route("/<reference>")
@roles_required(Role.COMMITTEE, Role.CHAIR, Role.ADMIN)
def show(reference: str):
    """The committee's case page. What the page needs is read once here and handed to the
    sections (the workflow box is built once and also gives the Code that applies), so the
    number of statements is fixed whatever the case holds (tests/test_case_page_queries.py)."""
    from ..accounts.models import User
    from ..workflow import panel
    from ..workflow.models import CaseWorkflow

    # The case's workflow row comes with the case (one statement) and is held for the whole
    # request, so the boxes find it in the identity map instead of reading it again; the
    # investigator is shown by name only, so their roles and roll entry (loaded eagerly for
    # signed-in users) are left to load on access. Nothing is shown before the access check.
    investigator = joinedload(CaseWorkflow.investigator)
    row = db.session.execute(
        select(Case, CaseWorkflow).outerjoin(CaseWorkflow, CaseWorkflow.case_id == Case.id)
        .where(Case.reference == reference.upper())
        .options(selectinload(Case.evidence),
                 investigator.lazyload(User.role_grants), investigator.lazyload(User.member))
    ).first()
    case, _held_flow = row if row is not None else (None, None)
    if case is None or not access.can_view_case(current_user, case, access.case_grants()):
        abort(404)
    # Messages (with the internal notes) as plain rows of what the page prints: a long case
    # has hundreds, and mapped objects cost several times more to load than they are worth
    # here. The messages section and the casework box (notes) both take these.
    messages = db.session.execute(
        select(CaseMessage.id, CaseMessage.author_kind, CaseMessage.author_user_id,
               CaseMessage.audience, CaseMessage.body, CaseMessage.created_at,
               CaseMessage.is_request, CaseMessage.answered_at)
        .where(CaseMessage.case_id == case.id).order_by(CaseMessage.created_at)).all()
    workflow_box = panel.case_box(case, current_user)
    # Allegations are judged against the Code in force when the conduct happened, so quote
    # that version's wording, not today's.
    applies = workflow_box.code
    if applies is not None:
        allegations = [(a, applies.text_of(a.clause_id)) for a in case.allegations]
    else:
        code = current_code()
        allegations = [(a, code.clause(a.clause_id).text if code.has_clause(a.clause_id)
                        else None) for a in case.allegations]
    return render_template("cases/show.html", case=case, allegations=allegations,
                           applies=applies, stage=stage_for(case.state),
                           human_size=evidence.human_size, workflow_box=workflow_box,
                           messages=messages,
                           history=auditing.case_history(case.reference))


@bp.route("/<reference>/documents/<int:evidence_id>")
@public  # complainants without an account download too; access.py decides, 404 otherwise
def download(reference: str, evidence_id: int):
    case = access.viewable_case_or_404(current_user, reference)
    item = db.session.get(Evidence, evidence_id)
    if item is None or item.case_id != case.id:
        abort(404)
    if not (current_user.is_authenticated and current_user.is_committee):
        auditing.act_as_complainant(case.reference)
    auditing.record("evidence.downloaded", item, case_ref=case.reference,
                    details={"evidence_id": item.id, "sha256": item.sha256})
    db.session.commit()
    response = send_file(
        evidence.path_of(item.stored_name), mimetype=evidence.download_type(item.content_type),
        as_attachment=True, download_name=item.original_filename, max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.app_template_global()
def stage_for_complainant(state: str):  # type: ignore[no-untyped-def]
    return stage_for(state)


@bp.app_template_global()
def my_complaints(user: object) -> list[Case]:
    """Complaints a signed-in member filed while signed in (for /me's "_my_cases.html")."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(db.session.scalars(
        select(Case).where(Case.complainant_user_id == user.id)  # type: ignore[attr-defined]
        .order_by(Case.submitted_at.desc())
    ))
