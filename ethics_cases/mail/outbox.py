"""Queue emails in the caller's transaction; deliver them later over SMTP, with retries.

Why an outbox: sending inside a request would make the action wait for (or fail with) the mail
server, and an email sent for an action that then rolls back would report something that never
happened. A row added to the same transaction commits exactly when the action does.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from flask import current_app, render_template
from sqlalchemy import select

from ..extensions import db
from ..types import utcnow
from .models import OutboxMessage

# After this many failed attempts a message stays in the outbox with its last error, for an
# administrator to look at, instead of being retried for ever (MAIL_MAX_ATTEMPTS overrides).
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=6)


def queue_email(to: str, subject: str, template: str, **context: object) -> OutboxMessage:
    """Render ``templates/mail/<template>.txt`` and add the email to the current transaction.

    The caller commits (with its action). Nothing is sent here.
    """
    body = render_template(f"mail/{template}.txt", **context)
    message = OutboxMessage(
        to_address=to.strip(), subject=subject.strip().replace("\n", " "), body_text=body,
        template=template, created_at=utcnow(), next_attempt_at=utcnow(), attempts=0,
        last_error="",
    )
    db.session.add(message)
    return message


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: 1, 2, 4, ... minutes, capped at six hours."""
    return min(FIRST_RETRY * (2 ** min(max(attempts - 1, 0), 20)), LONGEST_RETRY)


def max_attempts() -> int:
    return int(current_app.config.get("MAIL_MAX_ATTEMPTS") or MAX_ATTEMPTS)


def smtp_configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    left_in_outbox: int = 0
    gave_up: int = 0


def deliver_pending(now: datetime | None = None, *, limit: int = 200,
                    only_ids: list[int] | None = None) -> DeliveryReport:
    """Send the due, unsent messages. Safe to run from cron every minute.

    Each message is committed as sent right after the server accepted it, so a crash resends
    at most one message. On PostgreSQL rows are claimed with SKIP LOCKED, so two runners at
    once never send the same message twice.
    """
    now = now or utcnow()
    report = DeliveryReport()
    if not smtp_configured():
        report.left_in_outbox = _count_unsent()
        return report
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.next_attempt_at <= now,
            OutboxMessage.gave_up_at.is_(None),
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    if only_ids is not None:
        query = query.where(OutboxMessage.id.in_(only_ids))
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    messages = list(db.session.scalars(query))
    if not messages:
        db.session.commit()
        return report
    try:
        connection = _connect()
    except (OSError, smtplib.SMTPException) as error:
        for message in messages:
            report.gave_up += _record_failure(message, error, now)
        report.failed = len(messages)
        db.session.commit()
        return report
    try:
        for message in messages:
            try:
                connection.send_message(_email(message))
            except (OSError, smtplib.SMTPException) as error:
                report.gave_up += _record_failure(message, error, now)
                report.failed += 1
            else:
                message.sent_at = utcnow()
                message.attempts += 1
                message.last_error = ""
                report.sent += 1
        db.session.commit()
    finally:
        try:
            connection.quit()
        except (OSError, smtplib.SMTPException):
            connection.close()
    return report


def _count_unsent() -> int:
    return db.session.scalar(
        select(db.func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
    ) or 0


def _record_failure(message: OutboxMessage, error: BaseException, now: datetime) -> int:
    """Count the attempt and schedule the next one; after ``max_attempts()`` give up visibly
    (``gave_up_at``, an error in the log and an audit event). Returns 1 if it gave up."""
    message.attempts += 1
    message.last_error = f"{type(error).__name__}: {error}"[:2000]
    message.next_attempt_at = now + retry_delay(message.attempts)
    current_app.logger.warning(
        "Email %s to the outbox recipient failed (attempt %s): %s",
        message.id, message.attempts, message.last_error,
    )
    if message.attempts < max_attempts():
        return 0
    from .. import audit

    message.gave_up_at = now
    current_app.logger.error("Gave up on email %s after %s attempts; it stays in the outbox.",
                             message.id, message.attempts)
    audit.record("mail.gave_up", message, actor=audit.SYSTEM,
                 details={"message_id": message.id, "attempts": message.attempts,
                          "template": message.template, "case_id": message.case_id})
    return 1


def _connect() -> smtplib.SMTP:
    config = current_app.config
    host = str(config["MAIL_SERVER"])
    port = int(config.get("MAIL_PORT") or 25)
    timeout = float(config.get("MAIL_TIMEOUT") or 15)
    if config.get("MAIL_USE_SSL"):
        connection: smtplib.SMTP = smtplib.SMTP_SSL(
            host, port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = smtplib.SMTP(host, port, timeout=timeout)
        if config.get("MAIL_USE_TLS"):
            connection.starttls(context=ssl.create_default_context())
    username = config.get("MAIL_USERNAME")
    if username:
        connection.login(str(username), str(config.get("MAIL_PASSWORD") or ""))
    return connection


def _email(message: OutboxMessage) -> EmailMessage:
    sender = str(current_app.config.get("MAIL_DEFAULT_SENDER") or "ethics@localhost")
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to_address
    email["Subject"] = message.subject
    # A stable Message-ID per outbox row lets receiving servers drop a resend after a crash.
    domain = sender.rpartition("@")[2] or "localhost"
    stamp = int(message.created_at.timestamp())
    email["Message-ID"] = f"<outbox-{message.id}-{stamp}@{domain}>"
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    return email
