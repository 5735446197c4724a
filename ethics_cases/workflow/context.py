"""What one step of the procedure works with, and how it fails.

A ``StepContext`` is built by ``operations.fire`` for one attempt and handed to the machine's
conditions (guards) and callbacks (effects): the case, its workflow row, who acts (and in which
capacities), the cleaned form data, the reason and the clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ..cases.models import Case
from .models import CaseWorkflow


class Refused(Exception):
    """The step may not be taken now; ``message`` says why in plain words, ``field`` names the
    form field to fix when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class CaseChanged(Exception):
    """Someone else changed the case after this person loaded it (optimistic lock lost)."""

    def __init__(self, reference: str, by: str, at: datetime | None) -> None:
        when = at.strftime("%Y-%m-%d %H:%M UTC") if at else "just now"
        super().__init__(f"This case was changed by {by} at {when}; reload it and try again.")
        self.reference = reference
        self.by = by
        self.at = at

    @property
    def message(self) -> str:
        return str(self)


@dataclass(frozen=True)
class Acting:
    """Who acts on this case, and as what (``kinds`` from ``procedure.ACTOR_LABELS``)."""

    user: Any  # User | None
    kinds: frozenset[str]

    @property
    def user_id(self) -> int | None:
        return getattr(self.user, "id", None)


@dataclass
class StepContext:
    case: Case
    flow: CaseWorkflow
    acting: Acting
    trigger: str
    data: dict[str, Any]
    reason: str
    now: datetime
    settings: dict[str, int]
    source_state: str = ""
    #: Filled by the effects: what the audit event's details say (ids, field names, dates).
    details: dict[str, Any] = field(default_factory=dict)
    #: Set by an effect when the free text went into a row (e.g. a message) and the audit
    #: event should carry a short reason instead.
    audit_reason: str | None = None
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def today(self) -> date:
        return self.now.date()
