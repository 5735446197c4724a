"""The one place cases talk to the audit trail: the complainant as actor, events in the caller's
transaction, and the case history for the committee page."""

from __future__ import annotations

from typing import Any

from flask import g

from .. import audit


def act_as_complainant(case_reference: str) -> None:
    """Make the complainant of ``case_reference`` the actor of this request's audit events
    (a signed-in user stays the actor: ``audit.current_actor`` prefers them)."""
    g.audit_actor = audit.Actor("complainant", case_reference, "Complainant")


def record(action: str, subject: Any, *, case_ref: str | None = None,
           reason: str | None = None, details: dict[str, Any] | None = None) -> None:
    """Add an audit event to the current transaction. ``details`` hold ids and field names
    only, never free text about people."""
    audit.record(action, subject, case_ref=case_ref, reason=reason, details=details)


def case_history(case_reference: str) -> list[Any]:
    """The case's history, newest first, for the committee page: rows ready for
    ``audit/_history.html`` (``audit.display.case_history_rows``)."""
    from ..audit.display import case_history_rows

    return case_history_rows(case_reference)
