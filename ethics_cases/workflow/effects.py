"""What each step writes besides the state: the machine runs these as ``after`` callbacks,
inside the transaction ``operations.fire`` opened (so they commit or roll back with the state
change and the audit event).

Each effect adds ids, dates and field names to ``ctx.details`` for the audit event; free text
goes into rows (messages, reports), never into the event's details.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import timedelta

from flask import has_request_context, url_for
from sqlalchemy import select

from ..cases.models import Allegation, Audience, CaseMessage, PartyKind
from ..code import current_code
from ..extensions import db
from . import code_versions, guards
from .context import Refused, StepContext
from .models import (
    AllegationFinding,
    Appeal,
    CaseStay,
    ObjectionRuling,
    PanelObjection,
    PanelSeat,
    PanelVote,
    Sanction,
    SanctionStatus,
)


def _message(ctx: StepContext, body: str, *, audience: str, author: str = "committee",
             is_request: bool = False) -> CaseMessage:
    message = CaseMessage(author_kind=author, author_user_id=ctx.acting.user_id,
                          audience=audience, body=body, created_at=ctx.now,
                          is_request=is_request)
    ctx.case.messages.append(message)
    db.session.flush()
    ctx.details["message_id"] = message.id
    return message


def _new_sanction(ctx: StepContext, status: SanctionStatus, *, by_agreement: bool = False,
                  replaces: Sanction | None = None) -> Sanction:
    entry, stored = ctx.cache["sanction"]
    sanction = Sanction(case_id=ctx.case.id, member_id=ctx.case.respondent_member_id,
                        level=entry.level, key=entry.key, details=stored, status=status.value,
                        by_agreement=by_agreement, decided_at=ctx.now,
                        replaces_id=replaces.id if replaces else None)
    db.session.add(sanction)
    db.session.flush()
    ctx.cache["current_sanction"] = sanction
    ctx.details.update({"sanction_id": sanction.id, "sanction": entry.key,
                        "level": entry.level, **stored})
    return sanction


def take_effect(ctx: StepContext, sanction: Sanction) -> None:
    """Impose a sanction: dates from its details, standing follows from them (derived);
    revocation also ends the membership and withdraws the credentials on the roll."""
    from datetime import date

    entry = current_code().sanction(sanction.key)
    details = dict(sanction.details)
    start = details.get("start_date")
    sanction.effective_from = max(date.fromisoformat(start), ctx.today) if start else ctx.today
    end = details.get("end_date")
    sanction.ends_on = date.fromisoformat(end) if end else None
    if entry.rules.compliance == "none":
        sanction.status = SanctionStatus.COMPLETED.value
        sanction.completed_at = ctx.now
    else:
        sanction.status = SanctionStatus.IN_EFFECT.value
    member = ctx.case.respondent
    if member is not None and entry.rules.ends_membership:
        member.ended_on = sanction.effective_from
        ctx.details["membership_ended_on"] = sanction.effective_from.isoformat()
    if member is not None and entry.rules.ends_credentials and member.credentials:
        details["credentials_withdrawn"] = member.credentials
        member.credentials = ""
        ctx.details["credentials_withdrawn"] = True
    sanction.details = details
    deadline = details.get("completion_deadline") or end
    ctx.case.due_at = guards.end_of_day(date.fromisoformat(deadline)) if deadline else None
    ctx.details.update({"sanction_id": sanction.id, "sanction": sanction.key,
                        "sanction_status": sanction.status,
                        "effective_from": sanction.effective_from.isoformat()})


# -- one effect per trigger ----------------------------------------------------------------


def _bind_code(ctx: StepContext) -> dict[str, str]:
    """Bind the case to the Code in force at the conduct date; that version's clauses."""
    version = code_versions.bind(ctx.case, ctx.flow)
    if version is None:  # no version kept at all (cannot happen once the Code is registered)
        return {c.id: c.text for c in current_code().clauses}
    ctx.details.update({"code_version_id": version.id, "code_version": version.version,
                        "code_fingerprint": version.fingerprint})
    return code_versions.clauses_of(version)


def start_screening(ctx: StepContext) -> None:
    _bind_code(ctx)


def _tell_complainant(ctx: StepContext, body: str) -> None:
    """A message on the complainant's case page; the email saying so is the notifications'
    (``STEP_MAIL``), like every other step's."""
    _message(ctx, body, audience=Audience.COMPLAINANT.value)


def accept(ctx: StepContext) -> None:
    clauses = _bind_code(ctx)
    present = {a.clause_id for a in ctx.case.allegations}
    added = [c for c in ctx.data.get("clause_ids") or [] if c not in present]
    for clause_id in added:
        if clause_id not in clauses:
            raise Refused(f"There is no clause {clause_id} in the Code that applies to this "
                          "case (the version in force when the conduct happened).",
                          "clause_ids")
        ctx.case.allegations.append(Allegation(clause_id=clause_id,
                                               position=len(ctx.case.allegations)))
    ctx.case.due_at = guards.days_from(ctx.now, ctx.settings["response_days"])
    ctx.flow.respondent_notified_at = ctx.now
    ctx.details.update({"clause_ids_added": added,
                        "clause_ids": [a.clause_id for a in ctx.case.allegations],
                        "due_at": ctx.case.due_at.isoformat()})
    _message(ctx, "The ethics committee has accepted a complaint about you for consideration. "
             "Please read the allegations and the clauses of the Code they cite, and respond "
             f"by {ctx.case.due_at:%-d %B %Y}.", audience=Audience.RESPONDENT.value)


def dismiss(ctx: StepContext) -> None:
    ctx.flow.dismissal_reasons = ctx.reason
    ctx.case.due_at = guards.days_from(ctx.now, ctx.settings["appeal_days"])
    appeal = ""
    if has_request_context():
        link = url_for("workflow.complainant_appeal", reference=ctx.case.reference)
        appeal = (f" You may appeal against this decision until "
                  f"{ctx.case.due_at:%-d %B %Y}: {link}")
    _message(ctx, "The committee decided not to take your complaint forward. Reasons: "
             + ctx.reason + appeal, audience=Audience.COMPLAINANT.value)
    ctx.details["appeal_due_at"] = ctx.case.due_at.isoformat()


def extend_deadline(ctx: StepContext) -> None:
    before = ctx.case.due_at
    ctx.case.due_at = guards.end_of_day(ctx.data["due_on"])
    ctx.details["due_at"] = {"before": before.isoformat() if before else None,
                             "after": ctx.case.due_at.isoformat()}


def respond(ctx: StepContext) -> None:
    _message(ctx, ctx.reason, audience=Audience.COMMITTEE.value, author=PartyKind.RESPONDENT)
    ctx.audit_reason = "Response to the allegations"


def propose_agreement(ctx: StepContext) -> None:
    _new_sanction(ctx, SanctionStatus.PROPOSED, by_agreement=True)
    entry = ctx.cache["sanction"][0]
    _message(ctx, f"The committee proposes to resolve this case by agreement with the sanction "
             f"'{entry.name}'. You may accept or decline it on your case page.",
             audience=Audience.RESPONDENT.value)


def accept_agreement(ctx: StepContext) -> None:
    sanction = guards.current_sanction(ctx)
    assert sanction is not None
    take_effect(ctx, sanction)


def decline_agreement(ctx: StepContext) -> None:
    sanction = guards.current_sanction(ctx)
    assert sanction is not None
    sanction.status = SanctionStatus.DECLINED.value
    ctx.details["sanction_id"] = sanction.id


def start_investigation(ctx: StepContext) -> None:
    ctx.flow.investigator_user_id = int(ctx.data["investigator_id"])
    ctx.case.due_at = None
    ctx.details["investigator_user_id"] = ctx.flow.investigator_user_id


def request_information(ctx: StepContext) -> None:
    audience = ctx.data.get("audience")
    if audience not in (Audience.COMPLAINANT.value, Audience.RESPONDENT.value):
        raise Refused("Choose whom to ask: the complainant or the member.", "audience")
    _message(ctx, ctx.reason, audience=audience, is_request=True)
    ctx.details["audience"] = audience
    ctx.audit_reason = "Request for information"


def submit_findings(ctx: StepContext) -> None:
    text = (ctx.data.get("findings") or "").strip()
    if not text:
        raise Refused("Write the findings report.", "findings")
    ctx.flow.findings_report = text
    ctx.flow.findings_submitted_at = ctx.now
    ctx.details["fields"] = ["findings_report"]


def appoint_panelist(ctx: StepContext) -> None:
    seat = PanelSeat(case_id=ctx.case.id, user_id=int(ctx.data["panelist_id"]),
                     kind=guards.seat_kind_for(ctx.case.state), appointed_at=ctx.now)
    db.session.add(seat)
    db.session.flush()
    ctx.details.update({"seat_id": seat.id, "user_id": seat.user_id, "panel": seat.kind})


def declare_no_conflict(ctx: StepContext) -> None:
    seat = guards.my_seat(ctx)
    assert seat is not None
    seat.conflict_declared_at = ctx.now
    ctx.details.update({"seat_id": seat.id, "panel": seat.kind, "no_conflict": True})


def recuse(ctx: StepContext) -> None:
    seat = guards.my_seat(ctx)
    assert seat is not None
    seat.recused_at = ctx.now
    seat.recusal_reason = ctx.reason
    ctx.details.update({"seat_id": seat.id, "panel": seat.kind})


def schedule_hearing(ctx: StepContext) -> None:
    ctx.flow.hearing_on = ctx.data["hearing_on"]
    ctx.case.due_at = guards.end_of_day(ctx.flow.hearing_on)
    ctx.details["hearing_on"] = ctx.flow.hearing_on.isoformat()
    _tell_parties_the_panel(ctx)


def _tell_parties_the_panel(ctx: StepContext) -> None:
    """The parties learn who sits on the panel and may object until the window closes."""
    ctx.flow.objection_deadline = guards.days_from(ctx.now, ctx.settings["objection_days"])
    names = ", ".join(seat.user.full_name for seat in guards.seats(ctx, "first") if seat.active)
    text = (f"The hearing is set for {ctx.flow.hearing_on:%-d %B %Y}. The panel: {names}. If you "
            "have grounds to object to a panel member (for example a conflict of interest), you "
            f"may object until {ctx.flow.objection_deadline:%-d %B %Y}; the chair will rule.")
    if ctx.flow.respondent_notified_at is not None:
        _message(ctx, text + " Use “Object to a panel member” on your case page.",
                 audience=Audience.RESPONDENT.value)
    if not ctx.flow.own_motion:
        link = ""
        if has_request_context():
            link = " " + url_for("workflow.complainant_objection",
                                 reference=ctx.case.reference, _external=True)
        _message(ctx, text + link, audience=Audience.COMPLAINANT.value)
    ctx.details["objection_deadline"] = ctx.flow.objection_deadline.isoformat()


def object_to_panelist(ctx: StepContext) -> None:
    seat = ctx.cache["objection_seat"]
    objector = guards._objector(ctx)
    objection = PanelObjection(case_id=ctx.case.id, seat_id=seat.id, objector=objector,
                               grounds=ctx.reason, filed_at=ctx.now)
    db.session.add(objection)
    db.session.flush()
    ctx.details.update({"objection_id": objection.id, "seat_id": seat.id,
                        "user_id": seat.user_id, "objector": objector})
    ctx.audit_reason = "Objection to a panel member"


def rule_on_objection(ctx: StepContext) -> None:
    objection: PanelObjection = ctx.cache["objection"]
    ruling = ctx.data["objection_ruling"]
    objection.ruling, objection.ruling_reasons = ruling, ctx.reason
    objection.ruled_at, objection.ruled_by_user_id = ctx.now, ctx.acting.user_id
    seat = objection.seat
    ctx.details.update({"objection_id": objection.id, "ruling": ruling, "seat_id": seat.id,
                        "user_id": seat.user_id})
    if ruling == ObjectionRuling.UPHELD and seat.recused_at is None:
        seat.recused_at = ctx.now  # the seat ends: access and vote go with it
        seat.recusal_reason = "Removed: a party's objection was upheld."
        active = [s for s in guards.seats(ctx, "first") if s.active]
        ctx.details["removed"] = True
        ctx.details["panel_active"] = len(active)
    audience = (Audience.RESPONDENT.value if objection.objector == "respondent"
                else Audience.COMPLAINANT.value)
    verdict = "upheld: they no longer sit on the panel" if ruling == ObjectionRuling.UPHELD \
        else "rejected"
    _message(ctx, f"The chair ruled on your objection to {seat.user.full_name}: {verdict}. "
             f"Reasons: {ctx.reason}", audience=audience)


def request_more_information(ctx: StepContext) -> None:
    ctx.case.due_at = guards.days_from(ctx.now, ctx.settings["information_days"])
    body = (ctx.reason + f"\n\nPlease reply here by {ctx.case.due_at:%-d %B %Y}. If we have not "
            "heard from you by then, the complaint will be closed.")
    _message(ctx, body, audience=Audience.COMPLAINANT.value, is_request=True)
    ctx.details["due_at"] = ctx.case.due_at.isoformat()
    ctx.audit_reason = "More information requested from the complainant"


def resume_screening(ctx: StepContext) -> None:
    ctx.case.due_at = None


def close_unanswered(ctx: StepContext) -> None:
    ctx.case.due_at = None
    _tell_complainant(ctx, "The committee asked for more information and did not receive it by "
                     "the deadline, so the complaint has been closed. If you have the "
                     "information now, you may write to the committee or file again.")


def refer(ctx: StepContext) -> None:
    ctx.flow.referred_to = ctx.data["referred_to"].strip()
    ctx.flow.referral_reasons = ctx.reason
    ctx.case.due_at = None
    _tell_complainant(ctx, f"The committee has referred your complaint to {ctx.flow.referred_to}. "
                     f"Reasons: {ctx.reason}")
    ctx.details["fields"] = ["referred_to", "referral_reasons"]


def stay(ctx: StepContext) -> None:
    ctx.flow.state_before_stay = ctx.source_state
    ctx.flow.stayed_at = ctx.now
    ctx.flow.due_at_before_stay = ctx.case.due_at
    stay_row = CaseStay(case_id=ctx.case.id, proceedings=ctx.data["proceedings"].strip(),
                        started_at=ctx.now, due_at_before=ctx.case.due_at)
    db.session.add(stay_row)
    db.session.flush()
    ctx.case.due_at = None  # the clock stops
    ctx.details.update({"stay_id": stay_row.id, "stayed_from": ctx.source_state,
                        "due_at_before": stay_row.due_at_before.isoformat()
                        if stay_row.due_at_before else None})


def lift_stay(ctx: StepContext) -> None:
    """Resume where the case was; every running date moves on by the time stayed."""
    stayed = ctx.now - (ctx.flow.stayed_at or ctx.now)
    before = ctx.flow.due_at_before_stay
    ctx.case.due_at = before + stayed if before else None
    days = math.ceil(stayed / timedelta(days=1))
    if ctx.flow.state_before_stay == "hearing":  # the hearing and objection window move too
        if ctx.flow.hearing_on is not None:
            ctx.flow.hearing_on = ctx.flow.hearing_on + timedelta(days=days)
        if ctx.flow.objection_deadline is not None:
            ctx.flow.objection_deadline = ctx.flow.objection_deadline + stayed
    stay_row = db.session.scalar(select(CaseStay).where(
        CaseStay.case_id == ctx.case.id, CaseStay.ended_at.is_(None))
        .order_by(CaseStay.id.desc()).limit(1))
    if stay_row is not None:
        stay_row.ended_at, stay_row.due_at_after = ctx.now, ctx.case.due_at
        ctx.details["stay_id"] = stay_row.id
    ctx.flow.stayed_days_total += days
    ctx.details.update({"resumed_state": ctx.flow.state_before_stay, "days_stayed": days,
                        "due_at": ctx.case.due_at.isoformat() if ctx.case.due_at else None})
    ctx.flow.state_before_stay = None
    ctx.flow.stayed_at = None
    ctx.flow.due_at_before_stay = None


def refuse_sanction(ctx: StepContext) -> None:
    """The respondent refuses: the sanction escalates, and the case goes back to the panel,
    which may only decide a higher level (a new round of votes)."""
    sanction = guards.current_sanction(ctx)
    assert sanction is not None
    sanction.status = SanctionStatus.ESCALATED.value
    sanction.details = {**sanction.details, "refused_on": ctx.today.isoformat()}
    ctx.flow.minimum_level = sanction.level + 1
    ctx.flow.hearing_round += 1
    ctx.flow.hearing_on = None
    ctx.flow.objection_deadline = None
    ctx.case.due_at = None
    _message(ctx, ctx.reason, audience=Audience.COMMITTEE.value, author=PartyKind.RESPONDENT)
    ctx.details.update({"sanction_id": sanction.id, "minimum_level": ctx.flow.minimum_level,
                        "round": ctx.flow.hearing_round})
    ctx.audit_reason = "Sanction refused by the member"


def reopen(ctx: StepContext) -> None:
    ctx.flow.reopened_count += 1
    ctx.flow.hearing_round += 1  # a new hearing is a new round; earlier votes stay on record
    ctx.flow.hearing_on = None
    ctx.flow.objection_deadline = None
    ctx.case.due_at = None
    _message(ctx, "New evidence (reason for reopening): " + ctx.data["new_evidence"].strip(),
             audience=Audience.COMMITTEE.value)
    ctx.details.update({"reopened_from": ctx.source_state, "round": ctx.flow.hearing_round,
                        "reopened_count": ctx.flow.reopened_count})


def cast_vote(ctx: StepContext) -> None:
    seat = guards.my_seat(ctx)
    assert seat is not None
    existing = {v.allegation_id: v for v in db.session.scalars(
        select(PanelVote).where(PanelVote.seat_id == seat.id,
                                PanelVote.round == ctx.flow.hearing_round))}
    for allegation in ctx.case.allegations:
        breached = bool(ctx.data["votes"][allegation.id])
        vote = existing.get(allegation.id)
        if vote is None:
            db.session.add(PanelVote(case_id=ctx.case.id, seat_id=seat.id,
                                     allegation_id=allegation.id, round=ctx.flow.hearing_round,
                                     breached=breached, reasons=ctx.reason, cast_at=ctx.now))
        else:
            vote.breached, vote.reasons, vote.cast_at = breached, ctx.reason, ctx.now
    ctx.details.update({"seat_id": seat.id, "round": ctx.flow.hearing_round,
                        "votes": {a.clause_id: bool(ctx.data["votes"][a.id])
                                  for a in ctx.case.allegations}})


def decide(ctx: StepContext) -> None:
    result = guards.findings(ctx)
    for allegation in ctx.case.allegations:
        breached, yes, no = result[allegation.id]
        db.session.add(AllegationFinding(case_id=ctx.case.id, allegation_id=allegation.id,
                                         round=ctx.flow.hearing_round, breached=breached,
                                         votes_breached=yes, votes_not_breached=no,
                                         decided_at=ctx.now))
    ctx.flow.decided_at = ctx.now
    ctx.flow.decision_reasons = ctx.reason
    if ctx.flow.code_version_id is not None:
        ctx.details["code_version_id"] = ctx.flow.code_version_id
    ctx.details["findings"] = {a.clause_id: {"breached": result[a.id][0],
                                             "votes": [result[a.id][1], result[a.id][2]]}
                               for a in ctx.case.allegations}
    if any(breached for breached, _, _ in result.values()):
        _new_sanction(ctx, SanctionStatus.PENDING_APPEAL)
        ctx.case.due_at = guards.days_from(ctx.now, ctx.settings["appeal_days"])
        ctx.details["appeal_due_at"] = ctx.case.due_at.isoformat()
    else:
        ctx.case.due_at = None


def _file_appeal(ctx: StepContext, appellant: str, against: str) -> None:
    sanction = guards.current_sanction(ctx) if against == "decision" else None
    appeal = Appeal(case_id=ctx.case.id, appellant=appellant, against=against,
                    sanction_id=sanction.id if sanction else None, grounds=ctx.reason,
                    filed_at=ctx.now)
    db.session.add(appeal)
    db.session.flush()
    ctx.case.due_at = None
    ctx.details.update({"appeal_id": appeal.id, "against": against})
    ctx.audit_reason = "Appeal filed"


def appeal(ctx: StepContext) -> None:
    _file_appeal(ctx, "respondent", "decision")


def appeal_dismissal(ctx: StepContext) -> None:
    _file_appeal(ctx, "complainant", "dismissal")


def decide_appeal(ctx: StepContext) -> None:
    appeal = guards.open_appeal(ctx)
    assert appeal is not None
    outcome = ctx.data["appeal_outcome"]
    appeal.outcome, appeal.reasons, appeal.decided_at = outcome, ctx.reason, ctx.now
    ctx.details.update({"appeal_id": appeal.id, "outcome": outcome})
    if appeal.against == "dismissal":
        if outcome == "overturned":  # accepted after all: the member is notified now
            ctx.case.due_at = guards.days_from(ctx.now, ctx.settings["response_days"])
            ctx.flow.respondent_notified_at = ctx.now
        else:
            ctx.case.due_at = None
        return
    original = guards.current_sanction(ctx)
    assert original is not None
    if outcome == "overturned":
        original.status = SanctionStatus.OVERTURNED.value
        ctx.case.due_at = None
        ctx.details["sanction_id"] = original.id
    elif outcome == "varied":
        original.status = SanctionStatus.VARIED.value
        take_effect(ctx, _new_sanction(ctx, SanctionStatus.IN_EFFECT, replaces=original))
    else:
        take_effect(ctx, original)


def confirm_sanction(ctx: StepContext) -> None:
    sanction = guards.current_sanction(ctx)
    assert sanction is not None
    take_effect(ctx, sanction)


def report_completion(ctx: StepContext) -> None:
    sanction = guards.current_sanction(ctx)
    assert sanction is not None
    sanction.details = {**sanction.details, "completion_reported_on": ctx.today.isoformat()}
    _message(ctx, ctx.reason, audience=Audience.COMMITTEE.value, author=PartyKind.RESPONDENT)
    ctx.details["sanction_id"] = sanction.id
    ctx.audit_reason = "Completion reported"


def record_check_in(ctx: StepContext) -> None:
    sanction = guards.current_sanction(ctx)
    assert sanction is not None
    _message(ctx, ctx.reason, audience=Audience.COMMITTEE.value)
    ctx.details["sanction_id"] = sanction.id
    ctx.audit_reason = "Probation check-in"


def confirm_compliance(ctx: StepContext) -> None:
    sanction = guards.current_sanction(ctx)
    assert sanction is not None
    sanction.status = SanctionStatus.COMPLETED.value
    sanction.completed_at = ctx.now
    ctx.case.due_at = None
    ctx.details.update({"sanction_id": sanction.id, "sanction_status": sanction.status})


def report_non_compliance(ctx: StepContext) -> None:
    sanction = guards.current_sanction(ctx)
    assert sanction is not None
    sanction.status = SanctionStatus.ESCALATED.value
    ctx.flow.minimum_level = sanction.level + 1
    ctx.flow.hearing_round += 1
    ctx.flow.hearing_on = ctx.data["hearing_on"]
    ctx.case.due_at = guards.end_of_day(ctx.flow.hearing_on)
    ctx.details.update({"sanction_id": sanction.id, "minimum_level": ctx.flow.minimum_level,
                        "round": ctx.flow.hearing_round,
                        "hearing_on": ctx.flow.hearing_on.isoformat()})


def withdraw(ctx: StepContext) -> None:
    ctx.flow.state_before_withdrawal = ctx.source_state
    ctx.case.withdrawn_at = ctx.now
    ctx.case.withdrawal_reason = ctx.reason
    ctx.case.due_at = None
    ctx.details["fields"] = ["withdrawal_reason"]
    ctx.audit_reason = "Withdrawn by the complainant"


def continue_on_own_motion(ctx: StepContext) -> None:
    ctx.details["resumed_state"] = guards.state_before_withdrawal(ctx)
    ctx.flow.state_before_withdrawal = None


EFFECTS: dict[str, Callable[[StepContext], None]] = {
    fn.__name__: fn for fn in (
        start_screening, request_more_information, resume_screening, close_unanswered, refer,
        stay, lift_stay, object_to_panelist, rule_on_objection, refuse_sanction, reopen,
        accept, dismiss, extend_deadline, respond, propose_agreement, accept_agreement,
        decline_agreement, start_investigation, request_information, submit_findings,
        appoint_panelist, declare_no_conflict, recuse, schedule_hearing, cast_vote, decide,
        appeal, appeal_dismissal, decide_appeal, confirm_sanction, report_completion,
        record_check_in, confirm_compliance, report_non_compliance, withdraw,
        continue_on_own_motion,
    )
}
