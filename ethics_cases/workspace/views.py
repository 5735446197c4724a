"""The queue page. Thin: parse the filters, ask ``queries``, render."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, request
from flask_login import current_user

from ..assets import asset_response
from ..code import current_code
from ..security import Role, roles_required
from ..types import utcnow
from . import queries

bp = Blueprint("workspace", __name__, url_prefix="/workspace")

STATIC_DIR = Path(__file__).resolve().parent / "static"


@bp.route("/")
@roles_required(Role.COMMITTEE, Role.CHAIR, Role.ADMIN)
def queue() -> str:
    filters = queries.Filters.from_args(request.args)
    page_size = int(current_app.config.get("WORKSPACE_PAGE_SIZE") or 50)
    page = queries.queue_page(current_user, filters, utcnow(), page_size=page_size)
    code = current_code()
    return render_template(
        "workspace/queue.html", page=page, f=page.filters, views=queries.VIEWS,
        sorts=queries.SORTS, stage_choices=queries.STAGE_CHOICES, states=queries.STATES,
        final_states=queries.FINAL_STATES, sanctions=code.sanctions,
        clause_ids=[clause.id for clause in code.clauses],
        assignees=queries.assignee_choices(), due_soon_days=queries.DUE_SOON_DAYS,
        count_cap=queries.COUNT_CAP)


@bp.route("/assets/workspace.css")
@roles_required(Role.COMMITTEE, Role.CHAIR, Role.ADMIN)  # only the queue uses it
def stylesheet() -> Response:
    return asset_response(STATIC_DIR / "workspace.css")
