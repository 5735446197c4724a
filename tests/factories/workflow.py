"""Factories for the workflow's rows, and ``Journey``: a case driven through the real procedure.

``Journey`` calls ``operations.fire`` exactly as the views do (one transaction per step), so a
test that needs a case in, say, ``hearing`` gets there through every guard rather than by
writing the state column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import factory

from ethics_cases.extensions import db
from ethics_cases.security import Role
from ethics_cases.workflow import operations
from ethics_cases.workflow.models import PanelSeat, Sanction, SanctionStatus

from .accounts import MemberUserFactory, UserFactory
from .base import BaseFactory
from .cases import AllegationFactory, CaseFactory


class CommitteeUserFactory(UserFactory):
    @factory.post_generation
    def roles(self, create: bool, extracted: list[Role] | None, **kwargs: object) -> None:
        from .accounts import _grant

        _grant(self, extracted if extracted is not None else [Role.COMMITTEE], create)


class ChairFactory(CommitteeUserFactory):
    @factory.post_generation
    def roles(self, create: bool, extracted: list[Role] | None, **kwargs: object) -> None:
        from .accounts import _grant

        _grant(self, extracted if extracted is not None else [Role.CHAIR, Role.COMMITTEE],
               create)


class SanctionFactory(BaseFactory):
    """A sanction already imposed on a member (e.g. earlier warnings, for the ladder)."""

    class Meta:
        model = Sanction

    case = factory.SubFactory(CaseFactory, state="closed")
    case_id = factory.SelfAttribute("case.id")
    member_id = factory.SelfAttribute("case.respondent_member_id")
    level = 1
    key = "warning"
    details = factory.LazyFunction(dict)
    status = SanctionStatus.COMPLETED.value
    effective_from = factory.LazyFunction(lambda: date(2025, 1, 1))
    decided_at = factory.LazyFunction(lambda: datetime(2025, 1, 1, tzinfo=UTC))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs.pop("case", None)
        return super()._create(model_class, *args, **kwargs)


class PanelSeatFactory(BaseFactory):
    class Meta:
        model = PanelSeat

    case_id = 0
    user = factory.SubFactory(CommitteeUserFactory)
    kind = "first"


def future(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


@dataclass
class Journey:
    """A respondent member, a complaint about them, a chair and a committee; steps fire through
    ``operations.fire``. Call inside an app context (``app_ctx``)."""

    clauses: tuple[str, ...] = ("MPP-B.1",)
    respondent: Any = None
    chair: Any = None
    committee: list[Any] = field(default_factory=list)
    investigator: Any = None
    case: Any = None

    def __post_init__(self) -> None:
        # End the app session's read transaction: on SQLite it holds the write lock the
        # factories below need.
        db.session.commit()
        self.respondent = self.respondent or MemberUserFactory()
        self.chair = self.chair or ChairFactory()
        self.committee = self.committee or CommitteeUserFactory.create_batch(6)
        self.investigator = self.committee[-1]
        if self.case is None:
            self.case = CaseFactory(respondent=self.respondent.member)
            for position, clause in enumerate(self.clauses):
                AllegationFactory(case=self.case, clause_id=clause, position=position)
        self.case = db.session.get(type(self.case), self.case.id)
        self.case_id: int = self.case.id
        self.ref: str = self.case.reference

    @property
    def panel(self) -> list[Any]:
        return self.committee[:3]

    def fire(self, trigger: str, user: Any, data: dict[str, Any] | None = None,
             reason: str = "Recorded in a test.", **kwargs: Any) -> Any:
        db.session.expire_all()
        self.case = operations.fire(self.case, trigger, user, data or {},
                                    expected_version=self.case.version, reason=reason, **kwargs)
        return self.case

    # -- the procedure in big steps ----------------------------------------------------

    def to_awaiting_response(self) -> Journey:
        self.fire("start_screening", self.chair)
        self.fire("accept", self.chair, reason="Within jurisdiction and time.")
        return self

    def to_hearing(self) -> Journey:
        self.to_awaiting_response()
        self.fire("start_investigation", self.chair, {"investigator_id": self.investigator.id})
        self.fire("submit_findings", self.investigator, {"findings": "The facts are these."})
        self.seat_panel()
        self.fire("schedule_hearing", self.chair, {"hearing_on": future(14)})
        return self

    def seat_panel(self, members: list[Any] | None = None) -> None:
        """Appoint ``members`` (default: the first three of the committee) and have each
        declare no conflict of interest."""
        for member in members or self.panel:
            self.fire("appoint_panelist", self.chair, {"panelist_id": member.id})
        for member in members or self.panel:
            self.fire("declare_no_conflict", member, {"no_conflict": True}, reason="")

    def vote(self, breached: bool, members: list[Any] | None = None) -> None:
        for member in members or self.panel:
            self.fire("cast_vote", member,
                      {"votes": {a.id: breached for a in self.case.allegations}},
                      reason="Weighed the evidence.")

    def decide(self, sanction_key: str | None, **details: Any) -> Any:
        data = {"sanction_key": sanction_key, **details} if sanction_key else {}
        return self.fire("decide", self.chair, data, reason="The panel's reasons.")

    def to_decided(self, sanction_key: str, **details: Any) -> Journey:
        self.to_hearing()
        self.vote(True)
        self.decide(sanction_key, **details)
        return self

    def let_appeal_window_close(self) -> Any:
        later = datetime.now(UTC) + timedelta(days=60)
        return self.fire("confirm_sanction", self.chair, reason="No appeal was filed.",
                         now=later)
