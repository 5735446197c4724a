"""``flask code register``: record the running Code as a CodeVersion (idempotent)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..code import current_code
from ..extensions import db
from .operations import ensure_code_version_registered

pledges_cli = AppGroup("pledges", help="The ethics pledge: Code versions members sign.")


@pledges_cli.command("register-code")
def register_code() -> None:
    """Register the current Code of Ethics version (done lazily on first signing otherwise)."""
    code = current_code()
    row = ensure_code_version_registered(code)
    db.session.commit()
    click.echo(f"Code {code.version} registered as version #{row.id}, fingerprint "
               f"{code.fingerprint}")
