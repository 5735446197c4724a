"""Sua sponte: the committee opens a case itself (e.g. after another body disciplined a
member), with the committee as complainant.

The case starts in ``screening`` (the chair who opens it has looked at it), bound at once to the
Code in force at the conduct date; one transaction, one audit event (``case.opened_on_own_motion``).
Nobody holds a follow-up key: the hash stored is of a random key that is thrown away.
"""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from .. import audit
from ..accounts.models import Member, User
from ..cases.models import Allegation, Case
from ..cases.references import allocate_reference, generate_followup_key, hash_followup_key
from ..code import current_code
from ..extensions import db
from ..security import Role
from ..types import utcnow
from . import code_versions
from .context import Refused
from .models import CaseWorkflow

COMMITTEE_AS_COMPLAINANT = "The IMC Ethics Committee (own motion)"


class OwnMotionForm(FlaskForm):
    member_id = SelectField("Member concerned", coerce=int, choices=[],
                            validators=[DataRequired(message="Choose the member.")])
    basis = TextAreaField("What prompts the committee (e.g. another body's decision, with its "
                          "reference)", validators=[DataRequired(message="Please fill this in."),
                                                   Length(max=5000)])
    narrative = TextAreaField("The conduct in question",
                              validators=[DataRequired(message="Please fill this in."),
                                          Length(max=20_000)])
    conduct_start = DateField("When the conduct happened (or began)",
                              validators=[DataRequired(message="Give a date as YYYY-MM-DD.")])
    conduct_end = DateField("When it ended (optional)", validators=[Optional()])
    clause_ids = SelectMultipleField("Clauses the conduct would breach", choices=[],
                                     validators=[DataRequired(message="Choose at least one.")])

    def fill_choices(self) -> None:
        members = db.session.execute(select(Member.id, Member.full_name,
                                            Member.membership_number)
                                     .order_by(Member.full_name)).all()
        self.member_id.choices = [(m.id, f"{m.full_name} ({m.membership_number})")
                                  for m in members]
        self.clause_ids.choices = [(c.id, f"{c.id} — {c.text[:90]}")
                                   for c in current_code().clauses]


def open_case(chair: User, *, member_id: int, basis: str, narrative: str,
              conduct_start: date, conduct_end: date | None, clause_ids: list[str]) -> Case:
    """Create the case, its workflow row and allegations; commit. ``Refused`` on bad input."""
    if not chair.has_role(Role.CHAIR):
        raise Refused("Only the committee chair may open a case on the committee's own motion.")
    member = db.session.get(Member, member_id)
    if member is None:
        raise Refused("Choose a member from the roll.", "member_id")
    if member.user_id == chair.id:
        raise Refused("You cannot open a case about yourself.", "member_id")
    if conduct_end is not None and conduct_end < conduct_start:
        raise Refused("The end of the conduct must not be before its start.", "conduct_end")
    now = utcnow()
    if conduct_start > now.date():
        raise Refused("The conduct cannot be in the future.", "conduct_start")
    try:
        case = Case(
            reference=allocate_reference(now), state="screening",
            respondent_member_id=member.id, complainant_name=COMMITTEE_AS_COMPLAINANT,
            complainant_email=None, complainant_relationship="other",
            complainant_user_id=None, narrative=narrative.strip(),
            conduct_start=conduct_start, conduct_end=conduct_end,
            confidentiality_consented_at=now,
            followup_key_hash=hash_followup_key(generate_followup_key() + secrets.token_hex(4)),
            submitted_at=now, updated_at=now, state_changed_at=now,
            code_fingerprint=current_code().fingerprint,
        )
        db.session.add(case)
        db.session.flush()
        flow = CaseWorkflow(case_id=case.id, own_motion=True, own_motion_basis=basis.strip())
        db.session.add(flow)
        version = code_versions.bind(case, flow)
        clauses = code_versions.clauses_of(version) if version else {
            c.id: c.text for c in current_code().clauses}
        unknown = [c for c in clause_ids if c not in clauses]
        if unknown:
            raise Refused(f"There is no clause {unknown[0]} in the Code in force on "
                          f"{conduct_start}.", "clause_ids")
        case.allegations = [Allegation(clause_id=c, position=i)
                            for i, c in enumerate(dict.fromkeys(clause_ids))]
        db.session.flush()
        audit.record("case.opened_on_own_motion", case, case_ref=case.reference,
                     reason="Opened on the committee's own motion",
                     actor=audit.Actor("user", str(chair.id), "User"),
                     details={"respondent_member_id": member.id, "to": "screening",
                              "clause_ids": [a.clause_id for a in case.allegations],
                              "code_version_id": flow.code_version_id,
                              "fields": ["narrative", "own_motion_basis"]})
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return case


def form_data(form: OwnMotionForm) -> dict[str, Any]:
    return {"member_id": form.member_id.data, "basis": form.basis.data or "",
            "narrative": form.narrative.data or "", "conduct_start": form.conduct_start.data,
            "conduct_end": form.conduct_end.data, "clause_ids": list(form.clause_ids.data or [])}
