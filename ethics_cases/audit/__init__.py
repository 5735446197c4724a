"""The tamper-evident audit trail: every feature records its actions with ``audit.record``.

    from ethics_cases import audit
    audit.record("pledge.signed", pledge, details={"code_version": "2024.1"})
    db.session.commit()   # the change and its event commit (or fail) together
"""

from __future__ import annotations

from .chain import GENESIS, canonical_json, chain_hash
from .models import AppendOnlyError, AuditCheckpoint, AuditEvent
from .queries import case_history, history_for
from .recorder import SYSTEM, Actor, Subject, changes, current_actor, record

__all__ = [
    "GENESIS", "SYSTEM", "Actor", "AppendOnlyError", "AuditCheckpoint", "AuditEvent", "Subject",
    "canonical_json", "case_history", "chain_hash", "changes", "current_actor", "history_for",
    "record",
]
