from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, SubmitField
from wtforms.validators import DataRequired, Length


class SignPledgeForm(FlaskForm):
    typed_name = StringField("Your full name", validators=[
        DataRequired("Type your full name to sign."), Length(max=200)])
    consent = BooleanField("I have read the Code of Ethics and I make this pledge.")
    code_fingerprint = HiddenField()
    submit = SubmitField("Sign the pledge")
