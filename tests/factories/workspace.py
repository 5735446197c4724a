"""Factories for the workspace tests: a case's workflow row, and cases placed in a stage with a
deadline directly (the queue reads the stored state; ``Journey`` drives real steps where the
test is about a step)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import factory

from ethics_cases.casework.models import OfficerAssignment
from ethics_cases.workflow.models import CaseWorkflow, PanelObjection

from .base import BaseFactory
from .cases import AllegationFactory, CaseFactory


class CaseWorkflowFactory(BaseFactory):
    class Meta:
        model = CaseWorkflow

    case_id = 0
    investigator_user_id = None
    respondent_notified_at = factory.LazyFunction(lambda: datetime.now(UTC))


class OfficerAssignmentFactory(BaseFactory):
    """The committee member currently responsible for moving a case along (casework)."""

    class Meta:
        model = OfficerAssignment

    case_id = 0
    officer_user_id = 0
    reason = "Assigned in a test."


class PanelObjectionFactory(BaseFactory):
    """A party's objection to a seat, not yet ruled on."""

    class Meta:
        model = PanelObjection

    case_id = 0
    seat_id = 0
    objector = "respondent"
    grounds = "The panel member is my competitor."


def staged_case(state: str, *, due_in_days: float | None = None, clauses: tuple[str, ...] = (
        "MPP-B.1",), investigator=None, now: datetime | None = None,  # type: ignore[no-untyped-def]
        **kwargs):
    """A case in ``state`` with its workflow row, allegations and a due date ``due_in_days``
    from ``now`` (negative: overdue)."""
    now = now or datetime.now(UTC)
    due_at = now + timedelta(days=due_in_days) if due_in_days is not None else None
    case = CaseFactory(state=state, due_at=due_at, **kwargs)
    for position, clause in enumerate(clauses):
        AllegationFactory(case=case, clause_id=clause, position=position)
    CaseWorkflowFactory(case_id=case.id,
                        investigator_user_id=investigator.id if investigator else None)
    return case
