"""``flask --app ethics_cases retention run [--dry-run]``: safe to run daily from cron."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import AppGroup

from ..types import utcnow
from . import operations

retention_cli = AppGroup("retention", help="Redact personal data of closed cases whose "
                         "retention period has ended.")


@retention_cli.command("run")
@click.option("--dry-run", is_flag=True, help="List what would be redacted; change nothing.")
def run(dry_run: bool) -> None:
    """Redact every expired closed case, each in its own transaction with one audit event.

    Cases with a sanction still in force or an appeal open are kept, and listed with why.
    """
    now = utcnow()
    try:
        days = operations.retention_days()
        found = operations.candidates(now)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Retention: {days} days after closure (cases closed before "
               f"{(now - timedelta(days=days)).date().isoformat()}).")
    due = [c for c in found if not c.kept_because]
    for candidate in found:
        if candidate.kept_because:
            click.echo(f"  kept      {candidate.reference}  ({candidate.kept_because})")
    if dry_run:
        for c in due:
            click.echo(f"  would redact {c.reference}  {c.state} on "
                       f"{c.closed_at.date().isoformat()}: {c.messages} messages, "
                       f"{c.evidence} evidence files")
        click.echo(f"Dry run: {len(due)} case(s) would be redacted; nothing was changed.")
        return
    redacted = failed = 0
    for c in due:
        try:
            outcome = operations.redact_case(c.case_id, now)
        except Exception as error:  # one case's failure must not stop the others
            failed += 1
            click.echo(f"  FAILED    {c.reference}: {error}", err=True)
            continue
        if outcome.redacted:
            redacted += 1
            counts = outcome.counts
            click.echo(f"  redacted  {outcome.reference}: {counts['messages_redacted']} "
                       f"messages, {counts['evidence_deleted']} evidence files")
        else:
            click.echo(f"  skipped   {outcome.reference}: {outcome.detail}")
    click.echo(f"{redacted} case(s) redacted" + (f", {failed} failed." if failed else "."))
    if failed:
        raise SystemExit(1)
