"""``flask users create`` and ``flask members import``."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from ..extensions import db
from ..security import Role
from . import operations
from .roster import import_roster

users_cli = AppGroup("users", help="Accounts for committee members and administrators.")
members_cli = AppGroup("members", help="The membership roll.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", "full_name", required=True, help="Full name, as shown to others.")
@click.option("--role", "roles", multiple=True, required=True,
              type=click.Choice([r.value for r in Role]), help="Repeat for several roles.")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from standard input instead of prompting.")
def create_user(email: str, full_name: str, roles: tuple[str, ...], password_stdin: bool) -> None:
    """Create an account (the password is prompted for, never taken as an argument)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = operations.create_user(email, full_name, password, {Role(r) for r in roles})
    except operations.AccountError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(f"Created user #{user.id} {user.email} with roles: "
               + ", ".join(sorted(r.value for r in user.roles)))


@members_cli.command("import")
@click.argument("roster", type=click.File("r", encoding="utf-8-sig"))
@click.option("--partial", is_flag=True, help="Import the good rows even if some are bad.")
def import_members(roster, partial: bool) -> None:
    """Load or update the membership roll from a CSV file with a header row:
    membership_number, full_name, membership_type, and optionally email, credentials,
    joined_on, ended_on (dates as YYYY-MM-DD). Rows are matched by membership_number."""
    report = import_roster(roster, partial=partial)
    for error in report.errors:
        click.echo(error, err=True)
    if report.imported:
        db.session.commit()
    else:
        db.session.rollback()
    click.echo(report.summary())
    if not report.imported:
        sys.exit(1)
