"""``flask workflow apply-due``: sanctions take effect once their appeal window has closed, and
cases waiting for information the complainant never sent close once its deadline has passed.

Safe to run as often as wanted (idempotent): each case is one ``confirm_sanction`` step by the
system, with its own transaction and audit event; a case someone else is changing at the same
moment is skipped and picked up by the next run.
"""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..cases.models import Case
from ..extensions import db
from ..types import utcnow
from . import operations
from .context import CaseChanged, Refused

workflow_cli = AppGroup("workflow", help="The adjudication procedure.")


#: (state whose deadline passed, the system's step, its recorded reason, what it did)
DUE_STEPS = (
    ("decided", "confirm_sanction", "The appeal window closed without an appeal.",
     "sanction(s) put into effect"),
    ("more_information_requested", "close_unanswered",
     "The requested information did not arrive by the deadline.",
     "case(s) closed for want of information"),
)


def apply_due_steps(now: datetime, echo=click.echo) -> dict[str, tuple[int, int]]:  # type: ignore[no-untyped-def]
    """Take every system step in ``DUE_STEPS`` whose deadline passed by ``now``; the one loop
    behind ``flask workflow apply-due`` and ``flask deadlines run``. Returns, per ``what``,
    (applied, skipped); skipped cases are reported through ``echo`` (to stderr)."""
    results: dict[str, tuple[int, int]] = {}
    for state, trigger, reason, what in DUE_STEPS:
        ids = list(db.session.scalars(select(Case.id).where(Case.state == state,
                                                            Case.due_at < now)
                                      .order_by(Case.id)))
        db.session.commit()
        applied = skipped = 0
        for case_id in ids:
            case = db.session.get(Case, case_id)
            try:
                operations.fire(case, trigger, None, {}, expected_version=None,
                                reason=reason, system=True, now=now)
                applied += 1
            except (CaseChanged, Refused) as problem:
                skipped += 1
                echo(f"{case.reference}: skipped ({problem})", err=True)
        results[what] = (applied, skipped)
    return results


@workflow_cli.command("apply-due")
def apply_due() -> None:
    """Put into effect the sanctions whose appeal window has closed without an appeal, and
    close the cases whose request for information went unanswered past its deadline.
    (Stayed cases have no deadline, so they are never touched.) ``flask deadlines run``
    does this too, with reminders and expiries."""
    for what, (applied, skipped) in apply_due_steps(utcnow()).items():
        click.echo(f"{applied} {what}, {skipped} skipped.")
