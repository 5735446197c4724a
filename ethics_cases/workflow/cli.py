"""``flask workflow apply-due``: sanctions take effect once their appeal window has closed.

Safe to run as often as wanted (idempotent): each case is one ``confirm_sanction`` step by the
system, with its own transaction and audit event; a case someone else is changing at the same
moment is skipped and picked up by the next run.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..cases.models import Case
from ..extensions import db
from ..types import utcnow
from . import operations
from .context import CaseChanged, Refused

workflow_cli = AppGroup("workflow", help="The adjudication procedure.")


@workflow_cli.command("apply-due")
def apply_due() -> None:
    """Put into effect the sanctions whose appeal window has closed without an appeal."""
    now = utcnow()
    ids = list(db.session.scalars(select(Case.id).where(Case.state == "decided",
                                                        Case.due_at < now).order_by(Case.id)))
    db.session.commit()
    applied = skipped = 0
    for case_id in ids:
        case = db.session.get(Case, case_id)
        try:
            operations.fire(case, "confirm_sanction", None, {}, expected_version=None,
                            reason="The appeal window closed without an appeal.", system=True,
                            now=now)
            applied += 1
        except (CaseChanged, Refused) as problem:
            skipped += 1
            click.echo(f"{case.reference}: skipped ({problem})", err=True)
    click.echo(f"{applied} sanction(s) put into effect, {skipped} skipped.")
