"""Reading the trail: a subject's or a case's history, newest first."""

from __future__ import annotations

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


def case_history(case_ref: str, *, limit: int = DEFAULT_HISTORY_LIMIT) -> list[AuditEvent]:
    """Every event recorded for a case (the case itself, its parties, files, messages)."""
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.case_ref == case_ref)
            .order_by(AuditEvent.seq.desc())
            .limit(limit)
        )
    )
