"""Deadlines: what ``flask deadlines run`` does, with the clock as a parameter.

Safe to run every few minutes, and idempotent: each thing it does is one transaction with one
audit event, and a second run finds nothing left to do.

1. **System steps** whose deadline passed (the appeal window closed: the sanction takes effect;
   requested information never came: the case closes). These are state changes, so they go
   through ``workflow.operations.fire(..., system=True)``: the workflow's own
   ``workflow.cli.apply_due_steps`` (also behind ``flask workflow apply-due``) does them.
2. **Suspensions** (sanctions whose Code rules say ``expires_at_end``) whose end date passed
   are marked completed. The case's state is not changed (the procedure lets only the
   committee confirm compliance and close); it becomes overdue and so "needs action" in the
   committee's queue.
3. **Missed response deadlines**: the chair is told once per deadline (``DeadlineNotice``).
4. **Reminders** before a deadline, to whoever must act (``REMINDERS``), at each configured
   lead time (``DEADLINE_REMINDER_DAYS``, days before the due date); one email per crossing,
   however late or often the job runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..accounts.models import User, UserRole
from ..cases.models import Case
from ..code import current_code
from ..database import is_postgresql
from ..extensions import db
from ..notifications import Recipient, notify
from ..security import Role
from ..types import utcnow
from ..urls import external_url
from ..workflow.models import CaseWorkflow, PanelSeat, Sanction, SanctionStatus
from .models import DeadlineNotice, NoticeKind

DEFAULT_REMINDER_DAYS: tuple[int, ...] = (7, 2)

@dataclass(frozen=True)
class Reminder:
    """Who is reminded of a deadline in ``state``, and what they must do by then."""

    party: str  # respondent | complainant | panel
    what: str


REMINDERS: dict[str, Reminder] = {
    "awaiting_response": Reminder("respondent", "send your response to the complaint"),
    "resolution_proposed": Reminder("respondent",
                                    "accept or decline the proposed resolution"),
    "more_information_requested": Reminder(
        "complainant", "send the information the ethics committee asked for"),
    "decided": Reminder("respondent", "appeal against the decision, if you wish to"),
    "hearing": Reminder("panel", "attend the hearing and record your vote"),
    "sanction_in_effect": Reminder("respondent", "complete what the sanction requires"),
}
#: States whose passed deadline is a missed response the committee must act on.
MISSED_RESPONSE_STATES = ("awaiting_response",)


@dataclass
class Summary:
    steps: dict[str, int] = field(default_factory=dict)
    suspensions_ended: int = 0
    missed_flagged: int = 0
    reminders: int = 0
    emails: int = 0
    skipped: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"{count} {what}" for what, count in self.steps.items()]
        out += [f"{self.suspensions_ended} suspension(s) ended",
                f"{self.missed_flagged} missed response deadline(s) flagged",
                f"{self.reminders} reminder(s) sent ({self.emails} email(s) queued)"]
        if self.skipped:
            out.append(f"{len(self.skipped)} skipped (picked up by the next run)")
        return out


def reminder_days() -> tuple[int, ...]:
    """``DEADLINE_REMINDER_DAYS``: a list of days, a string like "7,2", or one number (the
    environment's JSON gives a list or an int)."""
    value = current_app.config.get("DEADLINE_REMINDER_DAYS", DEFAULT_REMINDER_DAYS)
    if isinstance(value, int):
        value = [value]
    elif isinstance(value, str):
        value = [part for part in value.replace(" ", "").split(",") if part]
    return tuple(sorted({int(day) for day in value if int(day) > 0}, reverse=True))


def run(now: datetime | None = None) -> Summary:
    now = now or utcnow()
    summary = Summary()
    db.session.commit()  # start each step from a fresh transaction
    apply_system_steps(now, summary)
    end_suspensions(now, summary)
    flag_missed_responses(now, summary)
    send_reminders(now, summary)
    return summary


# -- 1. system steps --------------------------------------------------------------------------


def apply_system_steps(now: datetime, summary: Summary) -> None:
    """The workflow's own loop over its ``DUE_STEPS`` (one way to do it, shared with
    ``flask workflow apply-due``)."""
    from ..workflow.cli import apply_due_steps

    def skipped(message: str, err: bool = False) -> None:
        summary.skipped.append(message)

    for what, (applied, _) in apply_due_steps(now, echo=skipped).items():
        summary.steps[what] = summary.steps.get(what, 0) + applied


# -- 2. suspensions ---------------------------------------------------------------------------


def _expiring_keys() -> list[str]:
    return [s.key for s in current_code().sanctions if s.rules.compliance == "expires_at_end"]


def end_suspensions(now: datetime, summary: Summary) -> None:
    keys = _expiring_keys()
    if not keys:
        return
    today = now.date()
    ids = list(db.session.scalars(select(Sanction.id).where(
        Sanction.key.in_(keys), Sanction.status == SanctionStatus.IN_EFFECT.value,
        Sanction.ends_on.is_not(None), Sanction.ends_on <= today).order_by(Sanction.id)))
    db.session.commit()
    for sanction_id in ids:
        if _once(lambda sid=sanction_id: _end_suspension(sid, now), summary,
                 f"sanction {sanction_id}"):
            summary.suspensions_ended += 1


def _end_suspension(sanction_id: int, now: datetime) -> bool:
    query = select(Sanction).where(Sanction.id == sanction_id)
    if is_postgresql():
        query = query.with_for_update()
    sanction = db.session.scalar(query.execution_options(populate_existing=True))
    if sanction is None or sanction.status != SanctionStatus.IN_EFFECT.value:
        return False  # someone (or another run) got there first
    case = db.session.get(Case, sanction.case_id)
    assert case is not None
    sanction.status = SanctionStatus.COMPLETED.value
    sanction.completed_at = now
    sanction.details = {**sanction.details, "ended_on": sanction.ends_on.isoformat()
                        if sanction.ends_on else None}
    queued = []
    member = case.respondent
    if member is not None:
        email = member.user.email if member.user is not None else member.email
        queued = notify("suspension_ended", [Recipient(email or "", member.full_name,
                                                       "respondent")],
                        case=case, ends_on=sanction.ends_on,
                        link=external_url("workflow.my_case", reference=case.reference))
    audit.record("sanction.suspension_ended", audit.Subject("sanction", sanction.id),
                 case_ref=case.reference, actor=audit.SYSTEM,
                 details={"sanction_id": sanction.id, "key": sanction.key,
                          "ends_on": sanction.ends_on.isoformat() if sanction.ends_on else None,
                          "outbox_ids": [m.id for m in queued]})
    return True


# -- 3. missed response deadlines -------------------------------------------------------------


def flag_missed_responses(now: datetime, summary: Summary) -> None:
    rows = db.session.execute(select(Case.id, Case.state, Case.due_at).where(
        Case.state.in_(MISSED_RESPONSE_STATES), Case.due_at < now,
        ~select(DeadlineNotice.id).where(
            DeadlineNotice.case_id == Case.id, DeadlineNotice.kind == NoticeKind.MISSED,
            DeadlineNotice.state == Case.state, DeadlineNotice.due_at == Case.due_at)
        .exists()).order_by(Case.id)).all()
    db.session.commit()
    for case_id, state, due_at in rows:
        if _once(lambda c=case_id, s=state, d=due_at: _flag_missed(c, s, d, now), summary,
                 f"case {case_id}"):
            summary.missed_flagged += 1


def _chairs() -> list[Recipient]:
    users = db.session.scalars(select(User).where(User.active.is_(True), User.id.in_(
        select(UserRole.user_id).where(UserRole.role == Role.CHAIR.value))).order_by(User.id))
    return [Recipient(u.email, u.full_name, "committee") for u in users]


def _flag_missed(case_id: int, state: str, due_at: datetime, now: datetime) -> bool:
    case = db.session.get(Case, case_id)
    if case is None or case.state != state or case.due_at != due_at:
        return False
    recipients = _chairs()
    notice = DeadlineNotice(case_id=case.id, kind=NoticeKind.MISSED, state=state, due_at=due_at,
                            lead_days=0, recipients=len(recipients), created_at=now)
    db.session.add(notice)
    db.session.flush()  # a concurrent run's row makes this fail before anything is sent
    queued = notify("deadline_missed", recipients, case=case, due_at=due_at,
                    respondent_name=case.respondent_name,
                    link=external_url("cases.show", reference=case.reference))
    audit.record("case.deadline.missed", case, case_ref=case.reference, actor=audit.SYSTEM,
                 details={"state": state, "due_at": due_at.isoformat(),
                          "outbox_ids": [m.id for m in queued]})
    return True


# -- 4. reminders -----------------------------------------------------------------------------


def send_reminders(now: datetime, summary: Summary) -> None:
    leads = reminder_days()
    if not leads:
        return
    horizon = now + timedelta(days=max(leads))
    rows = db.session.execute(select(Case.id, Case.state, Case.due_at).where(
        Case.state.in_(REMINDERS), Case.due_at.is_not(None), Case.due_at > now,
        Case.due_at <= horizon).order_by(Case.due_at, Case.id)).all()
    sent = {(n.case_id, n.state, n.due_at, n.lead_days) for n in db.session.scalars(
        select(DeadlineNotice).where(DeadlineNotice.kind == NoticeKind.REMINDER,
                                     DeadlineNotice.case_id.in_([r[0] for r in rows])))} \
        if rows else set()
    db.session.commit()
    for case_id, state, due_at in rows:
        crossed = [lead for lead in leads if due_at - now <= timedelta(days=lead)]
        # The nearest lead time crossed is the one this reminder is for; earlier (longer) ones
        # not yet sent are covered by it: one email, not one per missed run.
        if not crossed or (case_id, state, due_at, min(crossed)) in sent:
            continue
        pending = [lead for lead in crossed if (case_id, state, due_at, lead) not in sent]
        emails = [0]

        def work(c: int = case_id, s: str = state, d: datetime = due_at,
                 p: list[int] = pending, e: list[int] = emails) -> bool:
            return _remind(c, s, d, p, now, e)

        if _once(work, summary, f"case {case_id}"):
            summary.reminders += 1
            summary.emails += emails[0]


def _recipients(case: Case, reminder: Reminder) -> list[Recipient]:
    if reminder.party == "respondent":
        member = case.respondent
        flow = db.session.get(CaseWorkflow, case.id)
        if member is None or flow is None or flow.respondent_notified_at is None:
            return []
        email = member.user.email if member.user is not None else member.email
        return [Recipient(email or "", member.full_name, "respondent")]
    if reminder.party == "complainant":
        user = case.complainant_user
        return [Recipient((user.email if user else case.complainant_email) or "",
                          case.complainant_name, "complainant")]
    kind = "appeal" if case.state == "appeal" else "first"
    users = db.session.scalars(select(User).join(PanelSeat, PanelSeat.user_id == User.id).where(
        PanelSeat.case_id == case.id, PanelSeat.kind == kind, PanelSeat.recused_at.is_(None),
        User.active.is_(True)).order_by(User.id))
    return [Recipient(u.email, u.full_name, "panelist") for u in users]


def _reminder_applies(case: Case) -> bool:
    """A sanction in effect is reminded of only when the member has something to complete."""
    if case.state != "sanction_in_effect":
        return True
    sanction = db.session.scalar(select(Sanction).where(
        Sanction.case_id == case.id, Sanction.status == SanctionStatus.IN_EFFECT.value)
        .order_by(Sanction.id.desc()).limit(1))
    if sanction is None or sanction.details.get("completion_reported_on"):
        return False
    try:
        return current_code().sanction(sanction.key).rules.compliance == "completion_confirmed"
    except KeyError:
        return False


def _link_for(case: Case, party: str) -> tuple[str, bool]:
    if party == "respondent":
        return external_url("workflow.my_case", reference=case.reference), False
    if party == "complainant":
        if case.complainant_user_id is not None:
            return external_url("intake.case_page", reference=case.reference), False
        return external_url("intake.check"), True
    return external_url("cases.show", reference=case.reference), False


def _remind(case_id: int, state: str, due_at: datetime, leads: list[int], now: datetime,
            emails: list[int]) -> bool:
    case = db.session.get(Case, case_id)
    if case is None or case.state != state or case.due_at != due_at:
        return False
    reminder = REMINDERS[state]
    recipients = _recipients(case, reminder) if _reminder_applies(case) else []
    for lead in leads:
        db.session.add(DeadlineNotice(case_id=case.id, kind=NoticeKind.REMINDER, state=state,
                                      due_at=due_at, lead_days=lead,
                                      recipients=len(recipients), created_at=now))
    db.session.flush()  # a concurrent run's rows make this fail before anything is sent
    if not recipients:
        return False  # nobody to remind (recorded, so not looked at again)
    link, needs_key = _link_for(case, reminder.party)
    queued = notify("deadline_reminder", recipients, case=case, due_at=due_at, what=reminder.what,
                    days_left=max((due_at - now).days, 0), link=link, link_needs_key=needs_key,
                    state=state)
    emails[0] = len(queued)
    audit.record("case.deadline.reminder_sent", case, case_ref=case.reference,
                 actor=audit.SYSTEM,
                 details={"state": state, "due_at": due_at.isoformat(), "lead_days": min(leads),
                          "party": reminder.party, "outbox_ids": [m.id for m in queued]})
    return True


# -- helpers ----------------------------------------------------------------------------------


def _once(work: Callable[[], bool], summary: Summary, label: str) -> bool:
    """Run one unit of work in its own transaction: commit if it did something, roll back if
    it did nothing or failed. A unique-key clash means a concurrent run did it already."""
    try:
        did = work()
        db.session.commit()  # bookkeeping rows (e.g. nobody to remind) are kept too
        return did
    except IntegrityError:
        db.session.rollback()
        summary.skipped.append(f"{label}: done by a concurrent run")
        return False
    except Exception as problem:  # one bad case must not stop the others
        db.session.rollback()
        current_app.logger.exception("deadlines run: %s failed", label)
        summary.skipped.append(f"{label}: {problem}")
        return False
