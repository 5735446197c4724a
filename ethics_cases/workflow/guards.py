"""Guards and branch conditions, run by the machine as transition conditions.

A guard returns ``None`` when the step may go ahead and raises ``Refused`` with a plain-words
message otherwise (a silent ``False`` would leave the person guessing). A branch returns a bool
and only picks between steps sharing a trigger. Procedure steps name them; ``GUARDS`` and
``BRANCHES`` map the names to these functions.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import defaultload

from ..accounts.models import User
from ..extensions import db
from ..security import Role
from ..types import utcnow
from . import ladder
from .context import Acting, Refused, StepContext
from .models import (
    Appeal,
    ObjectionRuling,
    PanelObjection,
    PanelSeat,
    PanelVote,
    Sanction,
    SanctionStatus,
    SeatKind,
)
from .procedure import ACTOR_LABELS, Step

# -- who acts -------------------------------------------------------------------------------


def seat_kind_for(state: str) -> str:
    return SeatKind.APPEAL.value if state == "appeal" else SeatKind.FIRST.value


# A seat's user is joined for the name a refusal or a message shows; that user's roles and
# roll entry (eager on ``User`` for signed-in pages) are not needed by any guard or effect,
# and would cost two more statements per step on every case with a panel.
SEAT_USER_NAME_ONLY = (defaultload(PanelSeat.user).lazyload(User.role_grants),
                       defaultload(PanelSeat.user).lazyload(User.member))


def load_seats(case_id: int, kind: str) -> list[PanelSeat]:
    return list(db.session.scalars(
        select(PanelSeat).where(PanelSeat.case_id == case_id, PanelSeat.kind == kind)
        .options(*SEAT_USER_NAME_ONLY).order_by(PanelSeat.id)))


def seats(ctx: StepContext, kind: str | None = None) -> list[PanelSeat]:
    kind = kind or seat_kind_for(ctx.source_state or ctx.case.state)
    key = f"seats:{kind}"
    if key not in ctx.cache:
        ctx.cache[key] = load_seats(ctx.case.id, kind)
    return ctx.cache[key]


def my_seat(ctx: StepContext) -> PanelSeat | None:
    return next((seat for seat in seats(ctx)
                 if seat.user_id == ctx.acting.user_id and seat.active), None)


def is_party(user: User | None, case: object) -> bool:
    """The respondent or the complainant (by account): never on the committee side of it."""
    if user is None:
        return False
    respondent = getattr(case, "respondent", None)
    return bool((respondent is not None and respondent.user_id == user.id)
                or getattr(case, "complainant_user_id", None) == user.id)


def acting_kinds(user: User | None, case: object, *, complainant_grant: bool = False,
                 investigator_id: int | None = None, seat_user_ids: frozenset[int] = frozenset(),
                 system: bool = False) -> frozenset[str]:
    """Every capacity in which ``user`` may act on ``case``."""
    kinds: set[str] = set()
    if system:
        kinds.add("system")
    if complainant_grant:
        kinds.add("complainant")
    if user is not None and getattr(user, "is_authenticated", True):
        respondent = getattr(case, "respondent", None)
        if respondent is not None and respondent.user_id == user.id:
            kinds.add("respondent")
        if getattr(case, "complainant_user_id", None) == user.id:
            kinds.add("complainant")
        if not is_party(user, case):
            if user.has_role(Role.CHAIR):
                kinds.update({"chair", "committee"})
            if user.has_role(Role.COMMITTEE):
                kinds.add("committee")
            if user.id == investigator_id:
                kinds.add("investigator")
            if user.id in seat_user_ids:
                kinds.add("panelist")
    return frozenset(kinds)


def actor_allowed(step: Step, acting: Acting) -> bool:
    return bool(step.actors & acting.kinds)


def refuse_actor(step: Step) -> Refused:
    who = sorted(ACTOR_LABELS[kind] for kind in step.actors if kind != "system")
    listed = " or ".join(who) if len(who) < 3 else ", ".join(who[:-1]) + " or " + who[-1]
    return Refused(f"Only {listed} may {step.label[0].lower() + step.label[1:]}.")


# -- guards ---------------------------------------------------------------------------------


def respondent_identified(ctx: StepContext) -> None:
    member = ctx.case.respondent
    if member is None:
        raise Refused("The member complained about is not identified on the roll: the "
                      "committee has no jurisdiction until they are (or dismiss the complaint).")
    conduct = ctx.case.conduct_start or ctx.case.submitted_at.date()
    if member.joined_on and conduct < member.joined_on and (
            ctx.case.conduct_end is None or ctx.case.conduct_end < member.joined_on):
        raise Refused(f"The conduct predates {member.full_name}'s membership "
                      f"(joined {member.joined_on}): outside the committee's jurisdiction.")
    if member.ended_on and conduct > member.ended_on:
        raise Refused("The conduct happened after the membership ended: outside the "
                      "committee's jurisdiction.")
    limit = ctx.settings["time_limit_days"]
    latest = ctx.case.conduct_end or ctx.case.conduct_start
    if latest and (ctx.case.submitted_at.date() - latest).days > limit:
        raise Refused(f"The complaint was filed more than {limit} days after the conduct: "
                      "outside the time limit.")


def has_allegations(ctx: StepContext) -> None:
    if not ctx.case.allegations and not ctx.data.get("clause_ids"):
        raise Refused("Name at least one clause of the Code the conduct would breach.",
                      "clause_ids")


def due_on_later(ctx: StepContext) -> None:
    due_on = ctx.data.get("due_on")
    if due_on is None:
        raise Refused("Give the new deadline.", "due_on")
    if ctx.case.due_at is not None and due_on <= ctx.case.due_at.date():
        raise Refused(f"The new deadline must be after the current one "
                      f"({ctx.case.due_at.date()}).", "due_on")


def before_deadline(ctx: StepContext) -> None:
    if ctx.case.due_at is not None and ctx.now > ctx.case.due_at:
        raise Refused(f"The response deadline passed on {ctx.case.due_at:%Y-%m-%d}; ask the "
                      "committee for an extension.")


def _sanction_details(ctx: StepContext) -> dict[str, object]:
    return {name: ctx.data.get(name) for name in ladder.DETAIL_LABELS}


def _check(ctx: StepContext, *, agreement: bool) -> None:
    prior = ladder.prior_sanctions(ctx.case.respondent_member_id or 0,
                                   exclude_case_id=None)
    entry, stored = ladder.check_sanction(
        ctx.data.get("sanction_key"), _sanction_details(ctx), prior=prior,
        minimum_level=ctx.flow.minimum_level, today=ctx.today, agreement=agreement)
    ctx.cache["sanction"] = (entry, stored)


def sanction_agreement_eligible(ctx: StepContext) -> None:
    _check(ctx, agreement=True)


def sanction_valid(ctx: StepContext) -> None:
    if "sanction" not in ctx.cache:
        _check(ctx, agreement=False)


def _committee_user(user_id: object, field: str) -> User:
    user = db.session.get(User, user_id) if user_id else None
    if user is None or not user.active or not (
            user.has_role(Role.COMMITTEE) or user.has_role(Role.CHAIR)):
        raise Refused("Choose an active member of the ethics committee.", field)
    return user


def investigator_eligible(ctx: StepContext) -> None:
    user = _committee_user(ctx.data.get("investigator_id"), "investigator_id")
    if is_party(user, ctx.case):
        raise Refused(f"{user.full_name} is a party to this case.", "investigator_id")
    if any(seat.user_id == user.id and seat.active
           for kind in (SeatKind.FIRST.value, SeatKind.APPEAL.value)
           for seat in seats(ctx, kind)):
        raise Refused(f"{user.full_name} sits on this case's panel and cannot investigate it.",
                      "investigator_id")


def panelist_eligible(ctx: StepContext) -> None:
    user = _committee_user(ctx.data.get("panelist_id"), "panelist_id")
    if is_party(user, ctx.case):
        raise Refused(f"{user.full_name} is a party to this case and cannot sit on its panel.",
                      "panelist_id")
    if user.id == ctx.flow.investigator_user_id:
        raise Refused(f"{user.full_name} investigated this case and cannot sit on its panel.",
                      "panelist_id")
    if any(seat.user_id == user.id for seat in seats(ctx)):
        raise Refused(f"{user.full_name} is already on this panel (or recused from it).",
                      "panelist_id")
    if seat_kind_for(ctx.case.state) == SeatKind.APPEAL and any(
            seat.user_id == user.id for seat in seats(ctx, SeatKind.FIRST.value)):
        raise Refused(f"{user.full_name} sat on the first panel; the appeal panel must share "
                      "no member with it.", "panelist_id")


def seat_undeclared(ctx: StepContext) -> None:
    seat = my_seat(ctx)
    if seat is None or seat.conflict_declared_at is not None:
        raise Refused("You have already declared for this panel.")
    if not ctx.data.get("no_conflict"):
        raise Refused("Confirm that you have no conflict of interest, or recuse yourself.",
                      "no_conflict")


def seat_declared(ctx: StepContext) -> None:
    seat = my_seat(ctx)
    if seat is None or seat.conflict_declared_at is None:
        raise Refused("Declare that you have no conflict of interest before taking part.")


def _active_declared(ctx: StepContext, kind: str | None = None) -> list[PanelSeat]:
    return [seat for seat in seats(ctx, kind) if seat.declared]


def _quorum(ctx: StepContext, kind: str, what: str) -> None:
    size = ctx.settings["panel_size"]
    active = [seat for seat in seats(ctx, kind) if seat.active]
    undeclared = [seat for seat in active if seat.conflict_declared_at is None]
    if len(active) < size:
        raise Refused(f"The {what} needs at least {size} members; it has {len(active)}.")
    if undeclared:
        names = ", ".join(seat.user.full_name for seat in undeclared)
        raise Refused(f"Every panel member must declare no conflict of interest first "
                      f"(waiting for {names}).")


def panel_quorum(ctx: StepContext) -> None:
    _quorum(ctx, SeatKind.FIRST.value, "panel")
    if ctx.data.get("hearing_on") is None:
        raise Refused("Give the hearing date.", "hearing_on")


def appeal_panel_quorum(ctx: StepContext) -> None:
    _quorum(ctx, SeatKind.APPEAL.value, "appeal panel")


def votes_complete(ctx: StepContext) -> None:
    votes = ctx.data.get("votes") or {}
    missing = [a.clause_id for a in ctx.case.allegations if a.id not in votes]
    if missing:
        raise Refused("Give your finding on every allegation (missing: "
                      + ", ".join(missing) + ").", "votes")


def round_votes(ctx: StepContext) -> list[PanelVote]:
    if "votes" not in ctx.cache:
        ctx.cache["votes"] = list(db.session.scalars(
            select(PanelVote).where(PanelVote.case_id == ctx.case.id,
                                    PanelVote.round == ctx.flow.hearing_round)))
    return ctx.cache["votes"]


def all_votes_in(ctx: StepContext) -> None:
    declared = {seat.id for seat in _active_declared(ctx, SeatKind.FIRST.value)}
    voted = {vote.seat_id for vote in round_votes(ctx) if vote.seat_id in declared}
    waiting = [seat.user.full_name for seat in _active_declared(ctx, SeatKind.FIRST.value)
               if seat.id not in voted]
    if len(declared) < ctx.settings["panel_size"]:
        raise Refused("The panel has fewer than the required members; appoint another first.")
    if waiting:
        raise Refused("Every panel member must vote first (waiting for "
                      + ", ".join(waiting) + ").")


def findings(ctx: StepContext) -> dict[int, tuple[bool, int, int]]:
    """Per allegation: (breached by majority, votes breached, votes not breached)."""
    declared = {seat.id for seat in _active_declared(ctx, SeatKind.FIRST.value)}
    result: dict[int, tuple[bool, int, int]] = {}
    for allegation in ctx.case.allegations:
        votes = [v for v in round_votes(ctx)
                 if v.allegation_id == allegation.id and v.seat_id in declared]
        yes = sum(1 for v in votes if v.breached)
        no = len(votes) - yes
        result[allegation.id] = (yes > no, yes, no)  # a tie is not a breach
    return result


def current_sanction(ctx: StepContext) -> Sanction | None:
    if "current_sanction" not in ctx.cache:
        ctx.cache["current_sanction"] = db.session.scalar(
            select(Sanction).where(
                Sanction.case_id == ctx.case.id,
                Sanction.status.notin_([SanctionStatus.DECLINED.value,
                                        SanctionStatus.VARIED.value,
                                        SanctionStatus.OVERTURNED.value]))
            .order_by(Sanction.id.desc()).limit(1))
    return ctx.cache["current_sanction"]


def _sanction_or_refuse(ctx: StepContext) -> Sanction:
    sanction = current_sanction(ctx)
    if sanction is None:
        raise Refused("This case has no sanction.")
    return sanction


def within_appeal_window(ctx: StepContext) -> None:
    if ctx.case.due_at is not None and ctx.now > ctx.case.due_at:
        raise Refused(f"The appeal window closed on {ctx.case.due_at:%Y-%m-%d}.")


def appeal_window_closed(ctx: StepContext) -> None:
    if ctx.case.due_at is not None and ctx.now <= ctx.case.due_at:
        raise Refused(f"The appeal window is open until {ctx.case.due_at:%Y-%m-%d %H:%M} UTC.")


def open_appeal(ctx: StepContext) -> Appeal | None:
    if "appeal" not in ctx.cache:
        ctx.cache["appeal"] = db.session.scalar(
            select(Appeal).where(Appeal.case_id == ctx.case.id, Appeal.outcome.is_(None))
            .order_by(Appeal.id.desc()).limit(1))
    return ctx.cache["appeal"]


def appeal_sanction_valid(ctx: StepContext) -> None:
    outcome = ctx.data.get("appeal_outcome")
    appeal = open_appeal(ctx)
    allowed = ("upheld", "overturned") if appeal and appeal.against == "dismissal" else (
        "upheld", "varied", "overturned")
    if outcome not in allowed:
        raise Refused("Choose the outcome: " + ", ".join(allowed) + ".", "appeal_outcome")
    if outcome == "varied" and "sanction" not in ctx.cache:
        original = _sanction_or_refuse(ctx)
        prior = ladder.prior_sanctions(ctx.case.respondent_member_id or 0)
        entry, stored = ladder.check_sanction(
            ctx.data.get("sanction_key"), _sanction_details(ctx), prior=prior,
            minimum_level=ctx.flow.minimum_level, today=ctx.today)
        if entry.key == original.key and stored == original.details:
            raise Refused("A varied sanction must differ from the original.", "sanction_key")
        ctx.cache["sanction"] = (entry, stored)


def _ladder_entry(sanction: Sanction):  # type: ignore[no-untyped-def]
    from ..code import current_code

    return current_code().sanction(sanction.key)


def sanction_needs_completion(ctx: StepContext) -> None:
    sanction = _sanction_or_refuse(ctx)
    if _ladder_entry(sanction).rules.compliance != "completion_confirmed":
        raise Refused("This sanction has nothing to complete.")


def sanction_has_check_ins(ctx: StepContext) -> None:
    if not _ladder_entry(_sanction_or_refuse(ctx)).rules.check_ins:
        raise Refused("This sanction has no check-ins.")


def compliance_due(ctx: StepContext) -> None:
    sanction = _sanction_or_refuse(ctx)
    mode = _ladder_entry(sanction).rules.compliance
    if mode == "completion_confirmed" and not sanction.details.get("completion_reported_on"):
        raise Refused("The member has not reported completion yet.")
    if mode in ("review_at_end", "expires_at_end") and sanction.ends_on and \
            ctx.today < sanction.ends_on:
        raise Refused(f"The sanction runs until {sanction.ends_on}; compliance can be "
                      "confirmed from then.")


def sanction_escalates(ctx: StepContext) -> None:
    from ..code import current_code

    sanction = _sanction_or_refuse(ctx)
    entry = _ladder_entry(sanction)
    if not entry.rules.non_compliance_escalates:
        raise Refused(f"Non-compliance with {entry.name} does not escalate under the Code.")
    if entry.level >= len(current_code().sanctions):
        raise Refused("There is no higher level on the ladder.")
    if ctx.data.get("hearing_on") is None:
        raise Refused("Give the date of the hearing on non-compliance.", "hearing_on")


# -- procedure depth: screening outcomes, stays, objections, separation, refusal, reopening --


def has_complainant(ctx: StepContext) -> None:
    if ctx.flow.own_motion:
        raise Refused("The committee opened this case itself: there is no complainant to ask.")


def information_overdue(ctx: StepContext) -> None:
    if ctx.case.due_at is None or ctx.now <= ctx.case.due_at:
        when = f" (until {ctx.case.due_at:%Y-%m-%d})" if ctx.case.due_at else ""
        raise Refused(f"The complainant still has time to send the information{when}.")


def referral_named(ctx: StepContext) -> None:
    if not (ctx.data.get("referred_to") or "").strip():
        raise Refused("Say which body the case is referred to.", "referred_to")


def proceedings_named(ctx: StepContext) -> None:
    if not (ctx.data.get("proceedings") or "").strip():
        raise Refused("Describe the parallel proceedings (court or body, and reference).",
                      "proceedings")


def objections(ctx: StepContext) -> list[PanelObjection]:
    if "objections" not in ctx.cache:
        ctx.cache["objections"] = list(db.session.scalars(
            select(PanelObjection).where(PanelObjection.case_id == ctx.case.id)
            .order_by(PanelObjection.id)))
    return ctx.cache["objections"]


def pending_objections(ctx: StepContext) -> list[PanelObjection]:
    return [o for o in objections(ctx) if o.ruling is None]


def objection_window_open(ctx: StepContext) -> None:
    deadline = ctx.flow.objection_deadline
    if deadline is None:
        raise Refused("The parties have not been told who sits on the panel yet.")
    if ctx.now > deadline:
        raise Refused(f"Objections to the panel could be made until {deadline:%Y-%m-%d}.")


def _objector(ctx: StepContext) -> str:
    return "respondent" if "respondent" in ctx.acting.kinds else "complainant"


def objection_seat_valid(ctx: StepContext) -> None:
    seat_id = ctx.data.get("seat_id")
    seat = next((s for s in seats(ctx, SeatKind.FIRST.value)
                 if s.id == seat_id and s.active), None)
    if seat is None:
        raise Refused("Choose a member of the panel.", "seat_id")
    if any(o.seat_id == seat.id and o.objector == _objector(ctx) and o.ruling is None
           for o in objections(ctx)):
        raise Refused("You have already objected to this panel member; the chair will rule.",
                      "seat_id")
    ctx.cache["objection_seat"] = seat


def objection_ruling_valid(ctx: StepContext) -> None:
    objection = next((o for o in pending_objections(ctx)
                      if o.id == ctx.data.get("objection_id")), None)
    if objection is None:
        raise Refused("Choose an objection waiting for a ruling.", "objection_id")
    if ctx.data.get("objection_ruling") not in tuple(ObjectionRuling):
        raise Refused("Uphold or reject the objection.", "objection_ruling")
    ctx.cache["objection"] = objection


def objections_settled(ctx: StepContext) -> None:
    waiting = pending_objections(ctx)
    if waiting:
        names = ", ".join(o.seat.user.full_name for o in waiting)
        raise Refused(f"The chair must first rule on the objection(s) to {names}.")


def roles_separated(ctx: StepContext) -> None:
    """The investigator never sits on a panel of the case; the appeal panel shares no member
    with the first panel. Checked again when the panel acts, whatever happened in between."""
    investigator = ctx.flow.investigator_user_id
    state = ctx.source_state or ctx.case.state
    kind = seat_kind_for(state)
    active = [seat for seat in seats(ctx, kind) if seat.active]
    for seat in active:
        if investigator is not None and seat.user_id == investigator:
            raise Refused(f"{seat.user.full_name} investigated this case and cannot sit on its "
                          "panel; the chair must replace them.")
    if kind == SeatKind.APPEAL.value:
        first = {seat.user_id for seat in seats(ctx, SeatKind.FIRST.value)}
        shared = [seat.user.full_name for seat in active if seat.user_id in first]
        if shared:
            raise Refused("The appeal panel must share no member with the first panel ("
                          + ", ".join(shared) + " sat on both).")


def sanction_refusable(ctx: StepContext) -> None:
    from ..code import current_code

    sanction = _sanction_or_refuse(ctx)
    entry = _ladder_entry(sanction)
    if sanction.status != SanctionStatus.IN_EFFECT:
        raise Refused("There is no sanction in effect to refuse.")
    if not entry.rules.non_compliance_escalates:
        raise Refused(f"{entry.name} has no conditions whose refusal the Code escalates.")
    if entry.level >= len(current_code().sanctions):
        raise Refused("There is no higher level on the ladder.")


def new_evidence_described(ctx: StepContext) -> None:
    if not (ctx.data.get("new_evidence") or "").strip():
        raise Refused("Describe the new evidence that justifies reopening.", "new_evidence")


GUARDS: dict[str, Callable[[StepContext], None]] = {
    fn.__name__: fn for fn in (
        respondent_identified, has_allegations, due_on_later, before_deadline,
        sanction_agreement_eligible, sanction_valid, investigator_eligible, panelist_eligible,
        seat_undeclared, seat_declared, panel_quorum, appeal_panel_quorum, votes_complete,
        all_votes_in, within_appeal_window, appeal_window_closed, appeal_sanction_valid,
        sanction_needs_completion, sanction_has_check_ins, compliance_due, sanction_escalates,
        has_complainant, information_overdue, referral_named, proceedings_named,
        objection_window_open, objection_seat_valid, objection_ruling_valid, objections_settled,
        roles_separated, sanction_refusable, new_evidence_described,
    )
}

#: Guards that read only the case (no form data): a step they refuse is not offered at all.
PRECONDITIONS = frozenset({
    "before_deadline", "within_appeal_window", "appeal_window_closed",
    "sanction_needs_completion", "sanction_has_check_ins", "compliance_due",
    "has_complainant", "information_overdue", "objection_window_open", "objections_settled",
    "sanction_refusable",
})

# -- branches -------------------------------------------------------------------------------


def breach_found(ctx: StepContext) -> bool:
    return any(breached for breached, _, _ in findings(ctx).values())


def sanction_needs_follow_up(ctx: StepContext) -> bool:
    if "sanction" in ctx.cache:  # a sanction being decided in this very step
        return ladder.needs_follow_up(ctx.cache["sanction"][0])
    sanction = current_sanction(ctx)
    return sanction is not None and ladder.needs_follow_up(_ladder_entry(sanction))


def appeal_leaves_sanction_to_follow(ctx: StepContext) -> bool:
    appeal = open_appeal(ctx)
    if appeal is None or appeal.against != "decision":
        return False
    if ctx.data.get("appeal_outcome") not in ("upheld", "varied"):
        return False
    appeal_sanction_valid(ctx)
    return sanction_needs_follow_up(ctx)


def dismissal_overturned(ctx: StepContext) -> bool:
    appeal = open_appeal(ctx)
    return bool(appeal and appeal.against == "dismissal"
                and ctx.data.get("appeal_outcome") == "overturned")


def state_before_withdrawal(ctx: StepContext) -> str | None:
    """Where the case was when withdrawn: recorded by the workflow's own ``withdraw`` step, or
    (for a withdrawal made on the intake pages) taken from that audit event's ``from_state``."""
    if ctx.flow.state_before_withdrawal:
        return ctx.flow.state_before_withdrawal
    if "withdrawn_from" not in ctx.cache:
        from ..audit.models import AuditEvent

        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.case_ref == ctx.case.reference,
                                     AuditEvent.action == "complaint.withdrawn")
            .order_by(AuditEvent.seq.desc()).limit(1))
        ctx.cache["withdrawn_from"] = (event.details or {}).get("from_state") if event else None
    return ctx.cache["withdrawn_from"]


def withdrawn_from(state: str) -> Callable[[StepContext], bool]:
    def branch(ctx: StepContext) -> bool:
        return state_before_withdrawal(ctx) == state
    return branch


def stayed_from(state: str) -> Callable[[StepContext], bool]:
    def branch(ctx: StepContext) -> bool:
        return ctx.flow.state_before_stay == state
    return branch


def upheld_objection_breaks_quorum(ctx: StepContext) -> bool:
    """An upheld objection that leaves fewer active panelists than the quorum sends the case
    back to panel forming (the quorum is recomputed from the seats, never stored)."""
    if ctx.data.get("objection_ruling") != ObjectionRuling.UPHELD:
        return False
    objection = next((o for o in pending_objections(ctx)
                      if o.id == ctx.data.get("objection_id")), None)
    if objection is None:
        return False
    remaining = [s for s in seats(ctx, SeatKind.FIRST.value)
                 if s.active and s.id != objection.seat_id]
    return len(remaining) < ctx.settings["panel_size"]


def branch_for(name: str) -> Callable[[StepContext], bool]:
    if name.startswith("withdrawn_from:"):
        return withdrawn_from(name.split(":", 1)[1])
    if name.startswith("stayed_from:"):
        return stayed_from(name.split(":", 1)[1])
    return {
        "upheld_objection_breaks_quorum": upheld_objection_breaks_quorum,
        "breach_found": breach_found,
        "sanction_needs_follow_up": sanction_needs_follow_up,
        "appeal_leaves_sanction_to_follow": appeal_leaves_sanction_to_follow,
        "dismissal_overturned": dismissal_overturned,
    }[name]


def end_of_day(day, now: datetime | None = None) -> datetime:  # type: ignore[no-untyped-def]
    """Deadlines given as dates run to the end of that day (UTC)."""
    from datetime import UTC

    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)


def days_from(now: datetime, days: int) -> datetime:
    return end_of_day((now + timedelta(days=days)).date())


__all__ = ["GUARDS", "branch_for", "utcnow"]
