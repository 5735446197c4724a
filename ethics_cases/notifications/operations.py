"""State changes of the notifications package: each one transaction, one audit event."""

from __future__ import annotations

from typing import Any

from .. import audit
from ..extensions import db
from ..mail.models import OutboxMessage
from ..types import utcnow
from .models import CaseLetter


def retry_now(message: OutboxMessage) -> None:
    """Make a message due now, even one that was given up on (it gets one more attempt; if
    that fails too it is given up on again). Committed here."""
    try:
        before = {"attempts": message.attempts, "gave_up": message.gave_up_at is not None}
        message.gave_up_at = None
        message.next_attempt_at = utcnow()
        audit.record("outbox.retry_requested", message,
                     details={"message_id": message.id, **before})
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def record_outbox_viewed(message_ids: list[int], *, status: str, page: int) -> None:
    """Reading the outbox shows addresses and subjects (personal data): audited."""
    try:
        audit.record("outbox.viewed", audit.Subject("outbox", "all"),
                     details={"status": status, "page": page, "message_ids": message_ids})
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def record_message_viewed(message: OutboxMessage) -> None:
    try:
        case_ref = _case_ref(message.case_id)
        audit.record("outbox.message_viewed", message, case_ref=case_ref,
                     details={"message_id": message.id, "template": message.template})
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def record_letter_download(letter: CaseLetter, *, as_party: str,
                           actor: Any = None) -> None:
    """Every download of a letter is an audit event on its case."""
    try:
        audit.record("letter.downloaded", letter, case_ref=letter.case.reference, actor=actor,
                     details={"letter_id": letter.id, "kind": letter.kind,
                              "recipient": letter.recipient, "as": as_party,
                              "sha256": letter.sha256})
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def _case_ref(case_id: int | None) -> str | None:
    if case_id is None:
        return None
    from ..cases.models import Case

    case = db.session.get(Case, case_id)
    return case.reference if case else None
