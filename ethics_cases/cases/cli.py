"""``flask --app ethics_cases intake sweep``: remove expired drafts and orphan evidence files
(run it daily from cron)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from . import drafts

intake_cli = AppGroup("intake", help="Complaint intake housekeeping.")


@intake_cli.command("sweep")
def sweep_command() -> None:
    """Delete unfiled drafts older than 24 hours and evidence files no row refers to."""
    expired = drafts.sweep_expired()
    orphans = drafts.sweep_orphan_files()
    click.echo(f"Removed {expired} expired draft(s) and {orphans} orphan file(s).")
