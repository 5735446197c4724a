"""The administrators' audit log at /audit, and template helpers for the history component."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from flask import Blueprint, render_template, request
from flask_login import current_user
from sqlalchemy import Select, func, select
from wtforms import DateField, Form, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from ..extensions import db
from ..security import Role, roles_required
from . import display
from .models import AuditEvent
from .recorder import SUBJECT_KINDS

bp = Blueprint("audit", __name__)

PAGE_SIZE = 50
AUDIT_ROLES = (Role.ADMIN, Role.CHAIR)
SUBJECT_KIND_CHOICES = [SelectChoice("", "Any"), *(
    SelectChoice(kind, kind.replace("_", " ").capitalize()) for kind in sorted(SUBJECT_KINDS))]
ACTOR_KIND_CHOICES = [SelectChoice("", "Anyone"), SelectChoice("user", "User"),
                      SelectChoice("complainant", "Complainant"), SelectChoice("system", "System")]


class AuditFilterForm(Form):
    """GET filters (no CSRF: they change nothing)."""

    actor_kind = SelectField("Kind of actor", choices=ACTOR_KIND_CHOICES, default="")
    actor_id = StringField("Actor", [Optional(), Length(max=254)],
                           description="e-mail, user number or case reference")
    action = StringField("Action", [Optional(), Length(max=100)],
                         description="exact, or a prefix ending in a dot: case.")
    subject_kind = SelectField("Subject", choices=SUBJECT_KIND_CHOICES, default="")
    subject_id = StringField("Subject ID", [Optional(), Length(max=64)])
    case_ref = StringField("Case reference", [Optional(), Length(max=40)])
    date_from = DateField("From", [Optional()])
    date_to = DateField("To", [Optional()])

    def validate_date_to(self, field: DateField) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The end date is before the start date.")


def _filtered(form: AuditFilterForm) -> Select[tuple[AuditEvent]]:
    query = select(AuditEvent)
    data = {name: (value.strip() if isinstance(value, str) else value)
            for name, value in form.data.items()}
    if data["actor_kind"]:
        query = query.where(AuditEvent.actor_kind == data["actor_kind"])
    if data["actor_id"]:
        query = query.where(AuditEvent.actor_id == _actor_id(data["actor_id"]))
    if data["action"]:
        action = data["action"]
        query = query.where(AuditEvent.action.startswith(action, autoescape=True)
                            if action.endswith(".") else AuditEvent.action == action)
    if data["subject_kind"]:
        query = query.where(AuditEvent.subject_kind == data["subject_kind"])
    if data["subject_id"]:
        query = query.where(AuditEvent.subject_id == data["subject_id"])
    if data["case_ref"]:
        query = query.where(AuditEvent.case_ref == data["case_ref"].upper())
    if data["date_from"]:
        query = query.where(AuditEvent.created_at >= datetime.combine(data["date_from"], time(),
                                                                      UTC))
    if data["date_to"]:
        end = datetime.combine(data["date_to"] + timedelta(days=1), time(), UTC)
        query = query.where(AuditEvent.created_at < end)
    return query


def _actor_id(value: str) -> str:
    """An e-mail address stands for that user's id (the chain stores ids, not addresses)."""
    if "@" not in value:
        return value
    from ..accounts.models import User

    user_id = db.session.scalar(select(User.id).where(func.lower(User.email) == value.lower()))
    return str(user_id) if user_id is not None else "-"


def _cursor(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


@bp.route("/audit")
@roles_required(*AUDIT_ROLES)
def index() -> str:
    """Newest first, keyset-paginated on ``seq`` so page 10,000 costs what page 1 costs."""
    form = AuditFilterForm(request.args)
    events: list[AuditEvent] = []
    newer = older = None
    if form.validate():
        query = _filtered(form)
        before, after = _cursor("before"), _cursor("after")
        if after is not None:  # going back towards the newest events
            rows = list(db.session.scalars(query.where(AuditEvent.seq > after)
                                           .order_by(AuditEvent.seq).limit(PAGE_SIZE + 1)))
            has_newer, events = len(rows) > PAGE_SIZE, rows[:PAGE_SIZE][::-1]
            has_older = bool(events)
        else:
            if before is not None:
                query = query.where(AuditEvent.seq < before)
            rows = list(db.session.scalars(query.order_by(AuditEvent.seq.desc())
                                           .limit(PAGE_SIZE + 1)))
            has_older, events = len(rows) > PAGE_SIZE, rows[:PAGE_SIZE]
            has_newer = before is not None and bool(events)
        if events:
            newer = events[0].seq if has_newer else None
            older = events[-1].seq if has_older else None
    filters = {k: v for k, v in request.args.items() if k not in ("before", "after") and v}
    return render_template("audit/index.html", form=form, events=events, filters=filters,
                           newer=newer, older=older)


@bp.app_template_global()
def audit_visible() -> bool:
    """Whether to show the audit link: the viewer may open /audit."""
    return bool(current_user.is_authenticated
                and any(current_user.has_role(role) for role in AUDIT_ROLES))


bp.add_app_template_global(display.actor_names, "audit_actor_names")
bp.add_app_template_global(display.actor_label, "audit_actor_label")
bp.add_app_template_global(display.action_label, "audit_action_label")
bp.add_app_template_global(display.detail_lines, "audit_detail_lines")
bp.add_app_template_global(display.history_rows, "audit_history_rows")
bp.add_app_template_global(display.details_html, "audit_details_html")
