"""Reading the trail: a subject's or a case's history, newest first."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..extensions import db
from .models import AuditEvent
from .recorder import HasAuditSubject, Subject, as_subject

DEFAULT_HISTORY_LIMIT = 200


def history_for(
    subject: Subject | HasAuditSubject, *, limit: int = DEFAULT_HISTORY_LIMIT
) -> list[AuditEvent]:
    """The latest ``limit`` events about ``subject``, newest first (one indexed query)."""
    target = as_subject(subject)
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.subject_kind == target.kind,
                   AuditEvent.subject_id == str(target.id))
            .order_by(AuditEvent.seq.desc())
            .limit(limit)
        )
    )


#: The columns a history table prints: not the hashed canonical text (the widest column), the
#: hashes, the IP address or the user agent.
DISPLAY_COLUMNS = (AuditEvent.seq, AuditEvent.created_at, AuditEvent.actor_kind,
                   AuditEvent.actor_id, AuditEvent.actor_label, AuditEvent.action,
                   AuditEvent.reason, AuditEvent.details)


def case_history(case_ref: str, *, limit: int = DEFAULT_HISTORY_LIMIT,
                 for_display: bool = False) -> list[Any]:
    """Every event recorded for a case (the case itself, its parties, files, messages), newest
    first. ``for_display``: plain rows of ``DISPLAY_COLUMNS`` instead of events (the case page
    prints up to 200 of them; rows cost a fraction of mapped objects)."""
    query = (select(*DISPLAY_COLUMNS) if for_display else select(AuditEvent)).where(
        AuditEvent.case_ref == case_ref).order_by(AuditEvent.seq.desc()).limit(limit)
    if for_display:
        return list(db.session.execute(query).all())
    return list(db.session.scalars(query))
