"""Forms of the complaint wizard and of the complainant's follow-up page."""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length, Optional, ValidationError

from .models import Relationship

NARRATIVE_MIN = 30


class AboutYouForm(FlaskForm):
    name = StringField("Your full name", validators=[
        InputRequired("Please tell us your name."), Length(max=200)])
    email = EmailField("Your email address", validators=[
        Optional(), Email("This does not look like an email address; please check it."),
        Length(max=254)])
    phone = StringField("Phone number (optional)", validators=[Optional(), Length(max=40)])
    relationship = RadioField(
        "How do you know the member?",
        choices=[SelectChoice(r.value, r.label) for r in Relationship],
        validators=[InputRequired("Please choose how you know the member.")],
    )


class RespondentForm(FlaskForm):
    query = StringField("Search the membership roll", validators=[Optional(), Length(max=100)])
    member_id = HiddenField()
    description = TextAreaField(
        "If you cannot find them: describe the person",
        validators=[Optional(), Length(max=2000)],
    )

    def validate(self, extra_validators=None) -> bool:  # type: ignore[no-untyped-def]
        # Either field may be empty, not both: a form-level rule (Optional() would skip it).
        valid = super().validate(extra_validators)
        if not self.member_id.data and len((self.description.data or "").strip()) < 5:
            self.description.errors = [
                "Please choose the member from the search results, or describe them here "
                "(their name and anything that helps us identify them)."
            ]
            return False
        return valid


class EventsForm(FlaskForm):
    narrative = TextAreaField("What happened?", validators=[
        InputRequired("Please describe what happened."),
        Length(min=NARRATIVE_MIN, max=20000,
               message=f"Please write at least {NARRATIVE_MIN} characters, so the committee "
                       "can understand what happened."),
    ])
    conduct_start = DateField("When did it start? (or the date, if it was once)",
                              validators=[Optional()])
    conduct_end = DateField("When did it end? (leave empty if it was once, or continues)",
                            validators=[Optional()])
    location = StringField("Where did it happen? (town, online, ...)",
                           validators=[Optional(), Length(max=300)])

    def validate_conduct_start(self, field: DateField) -> None:
        if field.data and field.data > date.today():
            raise ValidationError("This date is in the future.")

    def validate_conduct_end(self, field: DateField) -> None:
        if field.data and field.data > date.today():
            raise ValidationError("This date is in the future.")
        if field.data and self.conduct_start.data and field.data < self.conduct_start.data:
            raise ValidationError("The end is before the start; please check the dates.")


class ClausesForm(FlaskForm):
    """Clause ids come from checkboxes drawn from the Code; unknown ids are dropped."""


class OutcomeForm(FlaskForm):
    outcome_sought = TextAreaField("What outcome are you hoping for?", validators=[
        InputRequired("Please tell us what you hope will happen (for example an apology, "
                      "training for the member, or that it does not happen to others)."),
        Length(max=5000)])
    files = MultipleFileField("Add documents (optional)")


class ConsentForm(FlaskForm):
    consent = BooleanField(
        "I understand who will see my complaint, and I agree to it being handled this way.",
        validators=[InputRequired("Please confirm that you agree, so the committee can handle "
                                  "your complaint.")],
    )
    withhold_identity = BooleanField(
        "Please ask the committee to keep my name from the member if possible."
    )


class SubmitForm(FlaskForm):
    pass


class CheckForm(FlaskForm):
    reference = StringField("Case reference", validators=[
        InputRequired("Please enter your case reference, like EC-2026-0042."), Length(max=30)])
    key = StringField("Follow-up key", validators=[
        InputRequired("Please enter the follow-up key you were given."), Length(max=60)])


class LoginLinkForm(FlaskForm):
    reference = StringField("Case reference", validators=[
        InputRequired("Please enter your case reference."), Length(max=30)])
    email = EmailField("The email address you gave", validators=[
        InputRequired("Please enter your email address."),
        Email("This does not look like an email address."), Length(max=254)])


class ReplyForm(FlaskForm):
    in_reply_to = HiddenField()
    body = TextAreaField("Your message to the committee", validators=[
        InputRequired("Please write your message."), Length(max=20000)])


class EvidenceForm(FlaskForm):
    files = MultipleFileField("Documents")


class WithdrawForm(FlaskForm):
    # The case's version when the page was shown: a change by the committee since is detected.
    expected_version = IntegerField(widget=HiddenField.widget, validators=[
        InputRequired("This page was out of date. Please read it again and then decide.")])
    reason = TextAreaField("Why are you withdrawing? (this helps the committee)", validators=[
        InputRequired("Please give a reason, even a short one."), Length(max=5000)])
    confirm = BooleanField("Yes, I want to withdraw my complaint.", validators=[
        InputRequired("Please tick the box to confirm.")])
