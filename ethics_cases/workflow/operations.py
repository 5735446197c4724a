"""The only code that changes a case's state: ``fire``.

One call = one transaction = one audit event. ``fire`` loads the case (locking its row on
PostgreSQL), checks the version the person's form was built from, runs the step through the
shared machine (guards as conditions, effects as callbacks), writes the new state and the audit
event, and commits. Any failure rolls the whole session back, so no half-step is ever stored;
a case changed by someone else in between raises ``CaseChanged`` naming who and when.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from flask import current_app
from sqlalchemy import inspect, select
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.exc import StaleDataError

from .. import audit
from ..accounts.models import User
from ..audit.models import AuditEvent
from ..cases.models import Case
from ..database import is_postgresql
from ..extensions import db
from ..types import utcnow
from . import guards, listeners, machine
from .context import Acting, CaseChanged, Refused, StepContext
from .models import CaseWorkflow, PanelSeat
from .procedure import ACTOR_LABELS, STATES_BY_NAME, first_step, steps_for

SETTINGS_DEFAULTS: dict[str, int] = {
    "response_days": 30,   # WORKFLOW_RESPONSE_DAYS
    "appeal_days": 28,     # WORKFLOW_APPEAL_DAYS
    "panel_size": 3,       # WORKFLOW_PANEL_SIZE
    "time_limit_days": 3 * 365,  # WORKFLOW_TIME_LIMIT_DAYS: conduct to filing
    # WORKFLOW_INFORMATION_DAYS: a request for more information at screening waits this long,
    # then the case closes by itself (``flask workflow apply-due``).
    "information_days": 30,
    "objection_days": 7,   # WORKFLOW_OBJECTION_DAYS: parties may object to the panel
}

DATE_FIELDS = frozenset({"due_on", "hearing_on", "completion_deadline", "start_date",
                         "end_date"})
INT_FIELDS = frozenset({"investigator_id", "panelist_id", "seat_id", "objection_id"})


def settings() -> dict[str, int]:
    config = current_app.config
    return {name: int(config.get(f"WORKFLOW_{name.upper()}", default))
            for name, default in SETTINGS_DEFAULTS.items()}


def clean(data: Mapping[str, Any]) -> dict[str, Any]:
    """Form values as the guards expect them (dates, ints, a votes mapping)."""
    cleaned: dict[str, Any] = {}
    for name, value in data.items():
        if isinstance(value, str):
            value = value.strip()
        if value in ("", None):
            continue
        if name in DATE_FIELDS and isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                raise Refused("Give a date as YYYY-MM-DD.", name) from None
        elif name in INT_FIELDS:
            try:
                value = int(value)
            except (TypeError, ValueError):
                raise Refused("Choose someone from the list.", name) from None
        elif name == "votes":
            value = {int(k): (v if isinstance(v, bool) else str(v) in ("breached", "1", "true"))
                     for k, v in dict(value).items()}
        cleaned[name] = value
    return cleaned


# The workflow row as steps read it: ``investigator_user_id`` is all they use, so not the
# investigator's user row (joined by default for pages) nor its eager roles and roll entry.
WITHOUT_INVESTIGATOR = (lazyload(CaseWorkflow.investigator),)


def workflow_row(case_id: int) -> CaseWorkflow | None:
    return db.session.get(CaseWorkflow, case_id, options=WITHOUT_INVESTIGATOR)


def acting_on(case: Case, user: User | None, *, complainant_grant: bool = False,
              system: bool = False, flow: CaseWorkflow | None = None,
              panel: list[PanelSeat] | None = None) -> Acting:
    """The capacities in which ``user`` acts on ``case`` (one query for the panel, unless
    ``panel``, the seats of the current kind, was read already)."""
    flow = flow or workflow_row(case.id)
    if flow is None or flow in db.session.new:  # a case's first step: no panel yet
        seats: frozenset[int] = frozenset()
    elif panel is not None:
        seats = frozenset(seat.user_id for seat in panel if seat.recused_at is None)
    else:
        seats = frozenset(db.session.scalars(
            select(PanelSeat.user_id).where(PanelSeat.case_id == case.id,
                                            PanelSeat.kind == guards.seat_kind_for(case.state),
                                            PanelSeat.recused_at.is_(None))))
    return Acting(user, guards.acting_kinds(
        user, case, complainant_grant=complainant_grant, system=system,
        investigator_id=flow.investigator_user_id if flow else None, seat_user_ids=seats))


def available_triggers(case: Case, acting: Acting) -> list[str]:
    """Triggers this person may try now: right state, right capacity, and no guard that reads
    only the case (deadlines, the sanction's kind) refusing it. Guards that need the form's
    data decide on submission."""
    flow = db.session.get(CaseWorkflow, case.id) or CaseWorkflow(case_id=case.id)
    ctx = StepContext(case=case, flow=flow, acting=acting, trigger="", data={}, reason="",
                      now=utcnow(), settings=settings(), source_state=case.state)
    found = []
    for trigger in machine.triggers_from(case.state):
        if not guards.actor_allowed(first_step(trigger), acting):
            continue
        checks = {name for step in steps_for(trigger) for name in step.guards
                  if name in guards.PRECONDITIONS}
        try:
            for name in checks:
                guards.GUARDS[name](ctx)
        except Refused:
            continue
        found.append(trigger)
    return found


def last_change(case_ref: str) -> tuple[str, datetime | None]:
    """Who made the latest recorded change to the case, and when (for 'changed by X at T')."""
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.case_ref == case_ref)
                              .order_by(AuditEvent.seq.desc()).limit(1))
    if event is None:
        return "someone else", None
    if event.actor_kind == "user":
        user = db.session.get(User, int(event.actor_id)) if event.actor_id.isdigit() else None
        return (user.full_name if user else f"user {event.actor_id}"), event.created_at
    return (event.actor_label or event.actor_kind), event.created_at


def _current_in_this_transaction(case: Case) -> bool:
    """On SQLite every transaction begins IMMEDIATE (it holds the write lock from its first
    statement), so a case loaded and not expired in the session's open transaction cannot have
    been changed by anyone else: no need to read it again."""
    state = inspect(case)
    return (not is_postgresql() and state.persistent and not state.expired_attributes
            and db.session().in_transaction())


def _load(case_id: int, given: Case | None = None) -> Case:
    if given is not None and _current_in_this_transaction(given):
        return given
    query = (select(Case).where(Case.id == case_id).options(lazyload(Case.allegations))
             .execution_options(populate_existing=True))
    if is_postgresql():
        query = query.with_for_update(of=Case)  # waits for, then excludes, other writers
    case = db.session.scalar(query)
    if case is None:
        raise Refused("This case no longer exists.")
    return case


def fire(
    case: Case,
    trigger: str,
    actor_user: User | None,
    form_data: Mapping[str, Any] | None = None,
    *,
    expected_version: int | None,
    reason: str = "",
    complainant_grant: bool = False,
    system: bool = False,
    now: datetime | None = None,
) -> Case:
    """Take one step of the procedure on ``case`` and commit it.

    Raises ``Refused`` (not allowed now, with the reason and the field to fix) or
    ``CaseChanged`` (someone else changed the case since ``expected_version`` was read). In
    both cases nothing was written. ``expected_version=None`` skips the check (system jobs).
    """
    steps = steps_for(trigger)
    if not steps:
        raise Refused(f"Unknown action {trigger!r}.")
    case_id, reference = case.id, case.reference
    try:
        case = _load(case_id, case)
        if expected_version is not None and case.version != int(expected_version):
            by, at = last_change(reference)
            raise CaseChanged(reference, by, at)
        if trigger not in machine.triggers_from(case.state):
            state = STATES_BY_NAME[case.state].title.lower() if case.state in STATES_BY_NAME \
                else case.state
            raise Refused(f"“{steps[0].label}” is not possible while the case is {state}.")
        step = steps[0]
        reason = (reason or "").strip()
        if step.reason_required and not reason:
            raise Refused(f"{step.reason_label.split(' (')[0]} is required.", "reason")
        flow = workflow_row(case.id)
        seat_kind = guards.seat_kind_for(case.state)
        panel: list[PanelSeat] | None = None
        if flow is None:  # a case's first step: no panel yet
            flow = CaseWorkflow(case_id=case.id)
            db.session.add(flow)
        else:  # read once: who acts as a panelist, and what the guards check
            panel = guards.load_seats(case.id, seat_kind)
        ctx = StepContext(
            case=case, flow=flow, trigger=trigger, data=clean(form_data or {}), reason=reason,
            now=now or utcnow(), settings=settings(), source_state=case.state,
            acting=acting_on(case, actor_user, complainant_grant=complainant_grant,
                             system=system, flow=flow, panel=panel),
        )
        if panel is not None:
            ctx.cache[f"seats:{seat_kind}"] = panel
        with machine.bound(case.state) as bound:
            if not bound.trigger(trigger, ctx=ctx):
                raise Refused(f"“{step.label}” is not possible now.")
            new_state = bound.state
        changed = new_state != ctx.source_state
        case.updated_at = ctx.now  # every step bumps the version: stale forms are caught
        if changed:
            case.state = new_state
            case.state_changed_at = ctx.now
        listeners.run(ctx, new_state)  # emails, letters: same transaction, same event
        details = {"from": ctx.source_state, "to": new_state, **ctx.details}
        if actor_user is not None:
            actor = audit.Actor("user", str(actor_user.id), "User")
        elif complainant_grant:
            actor = audit.Actor("complainant", reference, "Complainant")
        else:
            actor = audit.SYSTEM
        audit.record(f"case.transition.{trigger}", case, case_ref=reference,
                     reason=ctx.audit_reason or reason or None, details=details, actor=actor)
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        by, at = last_change(reference)
        raise CaseChanged(reference, by, at) from None
    except BaseException:
        db.session.rollback()
        raise
    return case


def describe_actor_kinds(kinds: frozenset[str]) -> str:
    return ", ".join(ACTOR_LABELS[k] for k in sorted(kinds))


RESPONDENT_EVIDENCE_STATES = frozenset({
    "awaiting_response", "resolution_proposed", "investigation", "panel_forming", "hearing",
    "decided", "appeal", "sanction_in_effect",
})


def add_respondent_evidence(case: Case, user: User, stored: list[Any]) -> None:
    """The respondent adds documents (already checked and written by ``cases.evidence``):
    rows and one audit event in one transaction, committed here; rolled back on failure."""
    from ..cases.models import Evidence, PartyKind

    try:
        case = _load(case.id)
        if case.state not in RESPONDENT_EVIDENCE_STATES:
            raise Refused("Documents can no longer be added to this case.")
        now = utcnow()
        rows = [Evidence(original_filename=item.original_filename, stored_name=item.stored_name,
                         sha256=item.sha256, size=item.size, content_type=item.content_type,
                         uploaded_by_kind=PartyKind.RESPONDENT.value, uploaded_by_user_id=user.id,
                         uploaded_at=now) for item in stored]
        case.evidence.extend(rows)
        case.updated_at = now
        db.session.flush()
        audit.record("evidence.added", case, case_ref=case.reference,
                     actor=audit.Actor("user", str(user.id), "User"),
                     details={"evidence_ids": [r.id for r in rows],
                              "sha256": [r.sha256 for r in rows], "by": "respondent"})
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def reply_as_respondent(case: Case, user: User, body: str, request_id: int | None) -> None:
    """The respondent answers a request for information (or writes to the committee): one
    message, the request marked answered, one audit event; committed here."""
    from ..cases.models import Audience, CaseMessage, PartyKind
    from ..cases.operations import add_party_reply

    body = body.strip()
    if not body:
        raise Refused("Write your answer.", "body")
    try:
        case = _load(case.id, case)
        if case.state not in RESPONDENT_EVIDENCE_STATES:
            raise Refused("This case is closed; messages can no longer be added.")
        request = db.session.get(CaseMessage, request_id) if request_id else None
        if request is not None and (request.case_id != case.id or request.audience not in (
                Audience.RESPONDENT.value, Audience.PARTIES.value)):
            raise Refused("That message is not addressed to you.")
        message = add_party_reply(case, PartyKind.RESPONDENT, body, request, now=utcnow(),
                                  user_id=user.id)
        audit.record("case.message.sent", case, case_ref=case.reference,
                     actor=audit.Actor("user", str(user.id), "User"),
                     details={"message_id": message.id, "in_reply_to_id": message.in_reply_to_id,
                              "author": "respondent"})
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
