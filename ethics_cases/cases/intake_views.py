"""The public "File a complaint" wizard: one question group per step, the draft kept on the
server so nothing typed (files included) is lost on Back, on an error or on a reload."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from ..assets import asset_response, asset_url
from ..code import current_code
from ..extensions import db, limiter
from ..security import public
from ..types import utcnow
from . import drafts, evidence, operations, roll
from .forms import (
    AboutYouForm,
    ClausesForm,
    ConsentForm,
    EventsForm,
    OutcomeForm,
    RespondentForm,
    SubmitForm,
)
from .models import Case

bp = Blueprint("intake", __name__, url_prefix="/complaint")
STATIC_DIR = Path(__file__).resolve().parent / "static"

STEPS: tuple[tuple[str, str], ...] = (
    ("about", "About you"),
    ("respondent", "Who it is about"),
    ("events", "What happened"),
    ("clauses", "The Code"),
    ("outcome", "Outcome and documents"),
    ("consent", "Confidentiality"),
    ("review", "Check and send"),
)
STEP_NAMES = tuple(name for name, _ in STEPS)
FORMS: dict[str, type] = {
    "about": AboutYouForm, "respondent": RespondentForm, "events": EventsForm,
    "clauses": ClausesForm, "outcome": OutcomeForm, "consent": ConsentForm,
    "review": SubmitForm,
}
CONFIDENTIALITY_CLAUSE_HINTS = ("confidential",)


def _filing_limit() -> str:
    return str(current_app.config.get("INTAKE_FILING_RATE_LIMIT", "5 per hour;20 per day"))


def _search_limit() -> str:
    return str(current_app.config.get("INTAKE_SEARCH_RATE_LIMIT", "30 per minute"))


@bp.route("/assets/intake.css")
@public
def stylesheet() -> Response:
    """The wizard's and case pages' styles (a blueprint static route has no access rule)."""
    return asset_response(STATIC_DIR / "intake.css")


@bp.route("/assets/intake.js")
@public
def script() -> Response:
    """The roll search-as-you-type (progressive enhancement; the step works without it)."""
    return asset_response(STATIC_DIR / "intake.js")


@bp.app_template_global()
def intake_stylesheet_url() -> str:
    return asset_url("intake.stylesheet", STATIC_DIR / "intake.css")


@bp.app_template_global()
def intake_script_url() -> str:
    return asset_url("intake.script", STATIC_DIR / "intake.js")


@bp.route("/")
@public
def start():
    return render_template("intake/start.html", steps=STEPS, draft=drafts.current_draft())


@bp.route("/members.json")
@public
@limiter.limit(_search_limit)
def member_search():
    """Roll search for the wizard's script: current members' name, number and type only."""
    members = roll.search_roll(request.args.get("q", ""))
    return jsonify(results=[roll.public_entry(member) for member in members])


@bp.route("/step/<name>", methods=["GET", "POST"])
@public
def step(name: str):
    if name not in STEP_NAMES:
        abort(404)
    draft = drafts.current_draft()
    if draft is not None and draft.filed_case_id is not None:
        return redirect(url_for("intake.receipt"))
    if request.method == "GET":
        form = _form_from_draft(name, draft)
        return _render_step(name, form, draft)

    draft = drafts.draft_or_new()
    form = _bound_form(name)
    action = request.form.get("action", "next")
    if name == "review":  # the review page's form posts to intake.submit
        return redirect(url_for("intake.step", name="review"))
    values = _values_of(name, form)
    file_errors: list[str] = []
    if name == "outcome":
        file_errors = _take_files(draft)
        removed = request.form.getlist("remove_file")
        _remove_files(draft, removed)
    if name == "respondent" and action == "search":
        drafts.save_section(draft, name, values, complete=False)
        db.session.commit()
        return _render_step(name, form, draft, searched=True)

    valid = form.validate() and not file_errors
    if name == "respondent" and valid:
        valid = _resolve_member(form, values)
    if name == "consent" and valid:
        values["consented_at"] = utcnow().isoformat()
    drafts.save_section(draft, name, values, complete=valid)
    db.session.commit()
    if action == "back":
        return redirect(url_for("intake.step", name=_neighbour(name, -1)))
    if not valid:
        return _render_step(name, form, draft, file_errors=file_errors), 422
    return redirect(url_for("intake.step", name=_neighbour(name, +1)))


def _neighbour(name: str, offset: int) -> str:
    index = STEP_NAMES.index(name) + offset
    return STEP_NAMES[max(0, min(index, len(STEP_NAMES) - 1))]


def _bound_form(name: str) -> Any:
    return FORMS[name]()


def _form_from_draft(name: str, draft: Any) -> Any:
    values: dict[str, Any] = drafts.section(draft, name)
    if name == "events":
        for key in ("conduct_start", "conduct_end"):
            values[key] = _parse_date(values.get(key))
    if name == "consent":
        values.pop("consented_at", None)
    return FORMS[name](formdata=None, data=values)


def _parse_date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _values_of(name: str, form: Any) -> dict[str, Any]:
    """What to keep of a posted step: the raw text as typed (valid or not)."""
    fields = {
        "about": ("name", "email", "phone", "relationship"),
        "respondent": ("query", "member_id", "description"),
        "events": ("narrative", "conduct_start", "conduct_end", "location"),
        "outcome": ("outcome_sought",),
        "consent": (),
        "clauses": (),
    }[name]
    values: dict[str, Any] = {key: request.form.get(key, "").strip() if key != "narrative"
                              else request.form.get(key, "") for key in fields}
    if name == "clauses":
        code = current_code()
        values["clause_ids"] = [c for c in request.form.getlist("clause_ids") if code.has_clause(c)]
    if name == "consent":
        values["consent"] = bool(form.consent.data)
        values["withhold_identity"] = bool(form.withhold_identity.data)
    return values


def _resolve_member(form: RespondentForm, values: dict[str, Any]) -> bool:
    number = (form.member_id.data or "").strip()
    if not number:
        values["member_id"] = ""
        values["membership_number"] = ""
        return True
    member = roll.current_member_by_number(number)
    if member is None:
        form.member_id.errors = ["That member could not be found on the current roll. "
                                 "Please search again or describe the person."]
        return False
    values["membership_number"] = member.membership_number
    values["member_id"] = member.id
    values["member_label"] = f"{member.full_name} ({member.membership_number})"
    return True


def _take_files(draft: Any) -> list[str]:
    """Store each acceptable upload at once (so it survives any error on the page); return a
    message for each refused file."""
    uploads = [f for f in request.files.getlist("files") if f and f.filename]
    errors: list[str] = []
    existing = drafts.files(draft)
    accepted: list[evidence.StoredFile] = []
    for upload in uploads:
        try:
            name, data = evidence.read_upload(upload.stream, upload.filename)
            evidence.check_limits(len(existing) + len(accepted),
                                  sum(f["size"] for f in existing) + sum(a.size for a in accepted),
                                  [len(data)])
            accepted.append(evidence.store_bytes(name, data))
        except evidence.EvidenceRejected as error:
            errors.append(str(error))
    if accepted:
        drafts.add_files(draft, accepted)
    return errors


def _remove_files(draft: Any, stored_names: list[str]) -> None:
    for stored_name in stored_names:
        if drafts.remove_file(draft, stored_name):
            evidence.delete_stored(stored_name)


def _render_step(name: str, form: Any, draft: Any, *, searched: bool = False,
                 file_errors: list[str] | None = None) -> str:
    context: dict[str, Any] = {
        "steps": STEPS, "current": name, "index": STEP_NAMES.index(name),
        "form": form, "draft": draft, "completed": set((draft.data or {}).get("complete") or [])
        if draft else set(),
    }
    if name == "respondent":
        query = request.form.get("query") if searched else drafts.section(draft, name).get("query")
        context["results"] = roll.search_roll(query or "") if searched else []
        context["searched"] = searched
        context["selected"] = drafts.section(draft, name)
    if name == "clauses":
        context["code"] = current_code()
        source = request.form.getlist("clause_ids") if request.method == "POST" else (
            drafts.section(draft, "clauses").get("clause_ids") or [])
        context["chosen"] = set(source)
    if name == "outcome":
        context["files"] = drafts.files(draft)
        context["file_errors"] = file_errors or []
        context["limits"] = evidence
    if name == "consent":
        context["confidentiality_clauses"] = _confidentiality_clauses()
    if name == "review":
        context.update(_review_context(draft))
    return render_template(f"intake/step_{name}.html", **context)


def _confidentiality_clauses() -> list[Any]:
    """The Code's own words on confidentiality: its Confidentiality section."""
    code = current_code()
    for part in code.parts:
        for section in part.sections:
            if "confidential" in section.heading.lower():
                return list(section.clauses)
    return [c for c in code.clauses if "confidential" in c.text.lower()][:4]


def _review_context(draft: Any) -> dict[str, Any]:
    code = current_code()
    chosen = drafts.section(draft, "clauses").get("clause_ids") or []
    return {
        "about": drafts.section(draft, "about"),
        "respondent": drafts.section(draft, "respondent"),
        "events": drafts.section(draft, "events"),
        "clauses": [code.clause(c) for c in chosen if code.has_clause(c)],
        "outcome": drafts.section(draft, "outcome"),
        "consent": drafts.section(draft, "consent"),
        "files": drafts.files(draft),
        "missing": [(n, t) for n, t in STEPS[:-1] if not drafts.is_complete(draft, n)],
        "human_size": evidence.human_size,
    }


@bp.route("/submit", methods=["POST"])
@public
@limiter.limit(_filing_limit)
def submit():
    """File the complaint. Rate-limited per address; only submissions count, not steps."""
    form = SubmitForm()
    if not form.validate():
        abort(400)
    if request.form.get("action") == "back":
        return redirect(url_for("intake.step", name=_neighbour("review", -1)))
    draft = drafts.current_draft(for_update=True)
    if draft is None:
        flash("Your draft had expired. Please start again.", "warning")
        return redirect(url_for("intake.start"))
    if draft.filed_case_id is not None:  # a double submit: show the same receipt
        db.session.rollback()
        return redirect(url_for("intake.receipt"))
    key = drafts.followup_key_of_session()
    if not key:
        abort(400)
    try:
        operations.file_complaint(draft, key, user=current_user)
    except operations.IncompleteComplaint as missing:
        db.session.rollback()
        flash("Please complete this step before sending.", "warning")
        return redirect(url_for("intake.step", name=missing.section))
    db.session.commit()
    return redirect(url_for("intake.receipt"))


@bp.route("/receipt")
@public
def receipt():
    draft = drafts.current_draft()
    if draft is None or draft.filed_case_id is None:
        return redirect(url_for("intake.start"))
    case = db.session.get(Case, draft.filed_case_id)
    return render_template("intake/receipt.html", case=case,
                           key=drafts.followup_key_of_session())


@bp.route("/receipt/done", methods=["POST"])
@public
def receipt_done():
    drafts.forget_draft()
    flash("Thank you. Keep your reference and key safe; you can check your complaint at any "
          "time.", "success")
    return redirect(url_for("intake.check"))
