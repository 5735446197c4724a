from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import AnyOf, DataRequired, Email, EqualTo, Length

from ..security import Role
from .operations import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

PASSWORD_HINT = f"At least {MIN_PASSWORD_LENGTH} characters; not your email address."


def _new_password_fields():
    password = PasswordField("New password", validators=[
        DataRequired("Choose a password."),
        Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH,
               message=f"Use between {MIN_PASSWORD_LENGTH} and {MAX_PASSWORD_LENGTH} "
                       "characters."),
    ])
    confirm = PasswordField("Repeat the new password", validators=[
        DataRequired("Type the password again."),
        EqualTo("password", "The two passwords are not the same."),
    ])
    return password, confirm


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired("Enter your email address."),
                                            Email("Enter a valid email address."),
                                            Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired("Enter your password."),
                                                     Length(max=MAX_PASSWORD_LENGTH)])
    remember = BooleanField("Keep me signed in on this device")
    submit = SubmitField("Sign in")


class RegistrationForm(FlaskForm):
    membership_number = StringField("Membership number", validators=[
        DataRequired("Enter your membership number."), Length(max=40)])
    email = EmailField("Email on the membership roll", validators=[
        DataRequired("Enter your email address."), Email("Enter a valid email address."),
        Length(max=254)])
    password, confirm = _new_password_fields()
    submit = SubmitField("Create my account")


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[
        DataRequired("Enter your current password."), Length(max=MAX_PASSWORD_LENGTH)])
    password, confirm = _new_password_fields()
    submit = SubmitField("Change password")


class ResetRequestForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired("Enter your email address."),
                                            Email("Enter a valid email address."),
                                            Length(max=254)])
    submit = SubmitField("Email me a reset link")


class ResetPasswordForm(FlaskForm):
    password, confirm = _new_password_fields()
    submit = SubmitField("Set new password")


class RoleChangeForm(FlaskForm):
    role = HiddenField("Role", validators=[AnyOf([r.value for r in Role], "Unknown role.")])
    action = HiddenField(validators=[DataRequired()])
    reason = TextAreaField("Reason", validators=[
        DataRequired("Say why the role changes (it is kept in the audit trail)."),
        Length(max=500)])
    submit = SubmitField("Apply")


class ActiveForm(FlaskForm):
    active = HiddenField(validators=[AnyOf(["0", "1"])])
    reason = StringField("Reason", validators=[DataRequired(), Length(max=500)])
