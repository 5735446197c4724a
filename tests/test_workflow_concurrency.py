"""Conflicting steps on one case at the same moment, from two threads with their own sessions
(as two web requests): exactly one wins, the other gets CaseChanged naming the winner; never a
lost update, never two audit events for one decision. Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading

from sqlalchemy import select

from ethics_cases.audit.models import AuditEvent
from ethics_cases.audit.verify import verify_chain
from ethics_cases.cases.models import Case
from ethics_cases.extensions import db
from ethics_cases.workflow import operations
from ethics_cases.workflow.context import CaseChanged, Refused

from .factories.workflow import ChairFactory, Journey, future


def _race(app, case_id: int, attempts: list[tuple[str, object, dict]]) -> list[object]:  # type: ignore[no-untyped-def]
    with app.app_context():
        version = db.session.get(Case, case_id).version
        db.session.commit()
    barrier = threading.Barrier(len(attempts))
    results: list[object] = [None] * len(attempts)

    def attempt(index: int, trigger: str, user: object, data: dict) -> None:
        with app.app_context():
            case = db.session.get(Case, case_id)
            db.session.commit()  # the form was rendered earlier, in another request
            barrier.wait()
            try:
                operations.fire(case, trigger, user, data, expected_version=version,
                                reason=f"{trigger} in a race")
                results[index] = trigger
            except (CaseChanged, Refused) as changed:
                results[index] = changed
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=(i, *entry))
               for i, entry in enumerate(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_accept_and_dismiss_at_once_exactly_one_wins(app, db_session):
    second_chair = ChairFactory()
    with app.app_context():
        journey = Journey()
        journey.fire("start_screening", journey.chair)
        db.session.commit()
    results = _race(app, journey.case_id, [("accept", journey.chair, {}),
                                           ("dismiss", second_chair, {})])
    winners = [r for r in results if isinstance(r, str)]
    losers = [r for r in results if isinstance(r, CaseChanged)]
    assert len(winners) == 1 and len(losers) == 1
    winner_name = journey.chair.full_name if winners == ["accept"] else second_chair.full_name
    assert losers[0].by == winner_name
    assert str(losers[0]).startswith(f"This case was changed by {winner_name} at ")
    with app.app_context():
        case = db.session.get(Case, journey.case_id)
        assert case.state == ("awaiting_response" if winners == ["accept"] else "dismissed")
        actions = db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.case_ref == case.reference)).all()
        assert sorted(actions) == sorted(["case.transition.start_screening",
                                          f"case.transition.{winners[0]}"])
        assert verify_chain(db.session.connection()).ok


def test_four_deadline_extensions_at_once_apply_exactly_one(app, db_session):
    with app.app_context():
        journey = Journey()
        journey.to_awaiting_response()
        db.session.commit()
    users = [journey.chair, *journey.committee[:3]]
    results = _race(app, journey.case_id, [
        ("extend_deadline", user, {"due_on": future(40 + index)})
        for index, user in enumerate(users)])
    # all forms carried the same version: one applies, three are told who got there first
    assert sum(1 for r in results if isinstance(r, CaseChanged)) == 3
    winner = results.index("extend_deadline")
    with app.app_context():
        case = db.session.get(Case, journey.case_id)
        assert case.due_at.date().isoformat() == future(40 + winner)
        extensions = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "case.transition.extend_deadline")).all()
        assert len(extensions) == 1
