"""Casework forms (Flask-WTF: every one carries the CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from .operations import MAX_NOTE, MESSAGE_AUDIENCES

REQUIRED = "Please fill this in."


class NoteForm(FlaskForm):
    body = TextAreaField("Internal note (committee only)",
                         validators=[DataRequired(REQUIRED), Length(max=MAX_NOTE)])


class MessageForm(FlaskForm):
    audience = RadioField("Send to",
                          choices=[SelectChoice(k, v) for k, v in MESSAGE_AUDIENCES.items()],
                          validators=[DataRequired("Choose who receives the message.")])
    body = TextAreaField("Message", validators=[DataRequired(REQUIRED), Length(max=MAX_NOTE)])


class OfficerForm(FlaskForm):
    officer_id = SelectField("Assign to", coerce=int, validate_choice=False,
                             validators=[DataRequired("Choose a committee member.")])
    reason = StringField("Why (optional)", validators=[Optional(), Length(max=2000)])


class TagForm(FlaskForm):
    tag_id = SelectField("Add a tag", coerce=int, validate_choice=False,
                         validators=[DataRequired("Choose a tag.")])


class RemoveTagForm(FlaskForm):
    pass


class NewTagForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(REQUIRED), Length(max=80)])
    description = StringField("What it is for (optional)",
                              validators=[Optional(), Length(max=2000)])


class DisclosureForm(FlaskForm):
    expected_version = HiddenField()
    reasons = TextAreaField("Reasons for disclosing the complainant's identity to the member",
                            validators=[DataRequired(REQUIRED), Length(min=10, max=MAX_NOTE)])


class BundleForm(FlaskForm):
    """POST (with CSRF) because generating a bundle is recorded in the audit trail."""

    version = IntegerField(validators=[Optional()])
