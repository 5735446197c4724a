"""One small form per step, generated from the step's fields in ``procedure.py``.

The forms parse and type-check what was typed (dates, choices) so errors show next to the
field and the input is kept; whether the step is allowed is the guards' business, in
``operations.fire``. Form classes are built once per trigger and cached; only the choices that
depend on the case (people, allegations) are filled per request.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..code import current_code
from .procedure import fields_of, first_step

TEXT_LIMIT = 20_000


def _field(name: str) -> Any:
    optional = [Optional()]
    return {
        "clause_ids": lambda: SelectMultipleField(
            "Clauses the conduct would breach (added to those the complainant cited)",
            choices=[], validators=optional),
        "due_on": lambda: DateField("New response deadline", validators=optional),
        "hearing_on": lambda: DateField("Hearing date", validators=optional),
        "investigator_id": lambda: SelectField("Investigator", coerce=_int_or_none, choices=[],
                                               validators=optional),
        "panelist_id": lambda: SelectField("Committee member", coerce=_int_or_none, choices=[],
                                           validators=optional),
        "audience": lambda: RadioField("Ask", choices=[
            SelectChoice("complainant", "The complainant"),
            SelectChoice("respondent", "The member")],
                                       validators=optional),
        "findings": lambda: TextAreaField("Findings report",
                                          validators=[Optional(), Length(max=TEXT_LIMIT)]),
        "no_conflict": lambda: BooleanField(
            "I declare that I have no personal, professional or financial interest in this case "
            "and no relationship with either party that could affect my judgement."),
        "appeal_outcome": lambda: RadioField(
            "Outcome", choices=[SelectChoice("upheld", "Upheld: the decision stands"),
                                SelectChoice("varied", "Varied: a different sanction"),
                                SelectChoice("overturned", "Overturned")], validators=optional),
        "sanction_key": lambda: SelectField("Sanction", choices=[], validators=optional),
        "programme": lambda: StringField("Programme (training or education)",
                                         validators=[Optional(), Length(max=300)]),
        "completion_deadline": lambda: DateField("Completion deadline", validators=optional),
        "start_date": lambda: DateField("Start date", validators=optional),
        "end_date": lambda: DateField("End date", validators=optional),
        "authority": lambda: StringField("Authority referred to",
                                         validators=[Optional(), Length(max=300)]),
        "authority_reference": lambda: StringField("Authority's reference",
                                                   validators=[Optional(), Length(max=120)]),
        "referred_to": lambda: StringField("Referred to (which body)",
                                           validators=[Optional(), Length(max=300)]),
        "proceedings": lambda: TextAreaField("The parallel proceedings (court or body, "
                                             "reference)",
                                             validators=[Optional(), Length(max=2000)]),
        "seat_id": lambda: SelectField("Panel member", coerce=_int_or_none, choices=[],
                                       validators=optional),
        "objection_id": lambda: SelectField("Objection", coerce=_int_or_none, choices=[],
                                            validators=optional),
        "objection_ruling": lambda: RadioField(
            "Ruling", choices=[SelectChoice("upheld", "Upheld: the member leaves the panel"),
                               SelectChoice("rejected", "Rejected: the member stays")],
            validators=optional),
        "new_evidence": lambda: TextAreaField("The new evidence",
                                              validators=[Optional(), Length(max=TEXT_LIMIT)]),
    }[name]()


def _int_or_none(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


class StepForm(FlaskForm):
    expected_version = IntegerField(widget=HiddenField.widget, validators=[InputRequired()])

    def step_data(self) -> dict[str, Any]:
        """The typed values the operation takes (votes are added by the view)."""
        skip = {"expected_version", "reason", "csrf_token"}
        return {name: field.data for name, field in self._fields.items() if name not in skip}


@cache
def form_class(trigger: str) -> type[StepForm]:
    step = first_step(trigger)
    reason_validators = ([DataRequired(message="Please fill this in.")] if step.reason_required
                         else [Optional()])
    attrs: dict[str, Any] = {
        name: _field(name) for name in fields_of(trigger) if name != "votes"
    }
    attrs["reason"] = TextAreaField(step.reason_label,
                                    validators=[*reason_validators, Length(max=TEXT_LIMIT)])
    return type(f"{trigger.title().replace('_', '')}Form", (StepForm,), attrs)


def build_form(trigger: str, *, case: Any, people: list[tuple[int, str]], formdata: Any = None,
               prefix: str = "") -> StepForm:
    form = form_class(trigger)(formdata=formdata, prefix=prefix)
    if formdata is None:
        form.expected_version.data = case.version
    if "clause_ids" in form:
        form.clause_ids.choices = [(c.id, f"{c.id} — {c.text[:90]}")
                                   for c in current_code().clauses]
    if "sanction_key" in form:
        form.sanction_key.choices = [("", "Choose…")] + [
            (s.key, f"{s.level}. {s.name}") for s in current_code().sanctions]
    for name in ("investigator_id", "panelist_id"):
        if name in form:
            form[name].choices = [(None, "Choose…"), *people]
    if "seat_id" in form or "objection_id" in form:
        _panel_choices(form, case)
    return form


def _panel_choices(form: StepForm, case: Any) -> None:
    """The active first-panel seats (to object to) and the objections awaiting a ruling."""
    from sqlalchemy import select

    from ..extensions import db
    from .models import PanelObjection, PanelSeat

    if "seat_id" in form:
        seats = db.session.scalars(select(PanelSeat).where(
            PanelSeat.case_id == case.id, PanelSeat.kind == "first",
            PanelSeat.recused_at.is_(None)).order_by(PanelSeat.id))
        form.seat_id.choices = [(None, "Choose…")] + [(s.id, s.user.full_name) for s in seats]
    if "objection_id" in form:
        pending = db.session.scalars(select(PanelObjection).where(
            PanelObjection.case_id == case.id, PanelObjection.ruling.is_(None))
            .order_by(PanelObjection.id))
        form.objection_id.choices = [(None, "Choose…")] + [
            (o.id, f"By the {o.objector} against {o.seat.user.full_name}: {o.grounds[:80]}")
            for o in pending]
