"""``flask --app ethics_cases mail send``: deliver the outbox (run it from cron)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from .outbox import deliver_pending, smtp_configured

mail_cli = AppGroup("mail", help="The email outbox.")


@mail_cli.command("send")
@click.option("--limit", default=200, show_default=True, help="At most this many messages.")
def send_command(limit: int) -> None:
    """Send queued emails that are due; failures are retried later with backoff."""
    report = deliver_pending(limit=limit)
    if not smtp_configured():
        click.echo(
            f"MAIL_SERVER is not configured: {report.left_in_outbox} message(s) stay in the outbox."
        )
        return
    click.echo(f"Sent {report.sent}, failed {report.failed} (will be retried).")
    if report.gave_up:
        click.echo(f"Gave up on {report.gave_up} message(s) after repeated failures: see the "
                   "outbox page (Administration > Outbox) to read the error and retry.")
    if report.failed:
        raise SystemExit(1)


@mail_cli.command("test")
@click.argument("address")
def test_command(address: str) -> None:
    """Queue a test email to ADDRESS (then run ``mail send``) to check the SMTP settings."""
    from ..extensions import db
    from .outbox import queue_email

    queue_email(address, "Test message from the ethics service", "test_message", name=address)
    db.session.commit()
    click.echo(f"Queued a test message to {address}; run 'flask --app ethics_cases mail send'.")
