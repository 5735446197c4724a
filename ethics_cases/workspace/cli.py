"""``flask deadlines run``: the scheduled deadline job (see ``deadlines.py``).

Run it from cron every few minutes; it is idempotent. ``--now`` (ISO date-time, UTC) replays a
moment, e.g. to check what a run at a given time would do on a copy of the data.
"""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask.cli import AppGroup

from . import deadlines

deadlines_cli = AppGroup("deadlines", help="Deadlines: reminders, expiries, missed responses.")


@deadlines_cli.command("run")
@click.option("--now", "now_text", default=None, help="Act as if it were this UTC time.")
def run(now_text: str | None) -> None:
    """Send reminders before deadlines, end suspensions whose end date passed, flag missed
    response deadlines, and take the procedure's system steps whose deadline passed."""
    now = None
    if now_text:
        try:
            now = datetime.fromisoformat(now_text)
        except ValueError:
            raise click.BadParameter("use an ISO date-time, e.g. 2026-12-01T08:00") from None
        now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    summary = deadlines.run(now)
    for line in summary.lines():
        click.echo(line)
    for skipped in summary.skipped:
        click.echo(f"skipped: {skipped}", err=True)
