"""Who is emailed, with which template, at each step of the procedure (``STEP_MAIL``), and the
after-step listener that issues the step's letters and queues its emails.

Both run inside the step's transaction (``workflow.listeners``), each in a savepoint: a broken
template or PDF failure is logged and noted in the step's audit details (``notification_error``
/ ``letter_error``) but never refuses or rolls back the committee's action.

Confidentiality rules applied here, whatever a template says:
* the respondent is written to only once notified of the complaint (``respondent_notified_at``);
* respondent-facing context carries ``complainant_display_name`` (withheld when asked) and
  never the complainant's contact details; free text is passed through ``redact_for``;
* complainants without an account get a link to the follow-up page, never their key.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import select

from ..accounts.models import User, UserRole
from ..cases.identity import complainant_display_for, redact_for
from ..extensions import db
from ..security import Role
from ..urls import external_url
from ..workflow import guards, listeners
from ..workflow.context import StepContext
from ..workflow.models import PanelSeat
from ..workflow.procedure import STATES_BY_NAME
from . import letters as letters_module
from .render import Recipient, notify

#: trigger -> (party, template). Parties: complainant, respondent, panel (the seated,
#: non-recused members of the current panel), investigator, appointed (the member just
#: seated), addressed (the party a request for information is addressed to), chairs (every
#: active chair), objector (the party whose objection was ruled on), removed (the panelist an
#: upheld objection took off the panel).
STEP_MAIL: dict[str, tuple[tuple[str, str], ...]] = {
    "accept": (("respondent", "case_opened_respondent"), ("complainant", "complaint_accepted")),
    "dismiss": (("complainant", "complaint_dismissed"),),
    "extend_deadline": (("respondent", "deadline_extended"),),
    "propose_agreement": (("respondent", "agreement_proposed"),),
    "accept_agreement": (("complainant", "case_update"), ("respondent", "case_update")),
    "start_investigation": (("complainant", "case_update"), ("respondent", "case_update"),
                            ("investigator", "investigator_assigned")),
    "request_information": (("addressed", "information_requested"),),
    "appoint_panelist": (("appointed", "panel_appointment"),),
    "schedule_hearing": (("complainant", "hearing_scheduled"), ("respondent", "hearing_scheduled"),
                         ("panel", "hearing_scheduled")),
    "decide": (("respondent", "decision"), ("complainant", "decision")),
    "appeal": (("complainant", "case_update"),),
    "appeal_dismissal": (),
    "decide_appeal": (("complainant", "appeal_decided"), ("respondent", "appeal_decided")),
    "confirm_sanction": (("respondent", "sanction_in_effect"), ("complainant", "case_update")),
    "confirm_compliance": (("respondent", "case_closed"), ("complainant", "case_closed")),
    "report_non_compliance": (("respondent", "non_compliance"), ("panel", "hearing_scheduled")),
    "withdraw": (("respondent", "case_update"),),
    "continue_on_own_motion": (("complainant", "case_update"), ("respondent", "case_update")),
    "request_more_information": (("complainant", "information_requested"),),
    "close_unanswered": (("complainant", "case_update"),),
    "refer": (("complainant", "case_update"),),
    "stay": (("complainant", "case_update"), ("respondent", "case_update")),
    "lift_stay": (("complainant", "case_update"), ("respondent", "case_update")),
    "reopen": (("complainant", "case_update"), ("respondent", "case_update")),
    "object_to_panelist": (("chairs", "objection_filed"),),
    "rule_on_objection": (("objector", "objection_ruled"), ("removed", "panel_seat_ended")),
}

#: One plain sentence per (trigger, party) for the ``case_update`` template.
UPDATES: dict[tuple[str, str], str] = {
    ("accept_agreement", "complainant"): "The member accepted a resolution of your complaint "
    "by agreement. The outcome letter is on your case page.",
    ("accept_agreement", "respondent"): "You accepted the proposed resolution. The sanction "
    "letter is on your case page.",
    ("start_investigation", "complainant"): "The committee has appointed an investigator, who "
    "may contact you through your case page.",
    ("start_investigation", "respondent"): "The committee has appointed an investigator, who "
    "may ask you for information through your case page.",
    ("appeal", "complainant"): "The member has appealed against the panel's decision. An "
    "appeal panel will consider it; the sanction waits for the appeal's outcome.",
    ("confirm_sanction", "complainant"): "The appeal window has closed and the sanction "
    "decided in your case has taken effect.",
    ("withdraw", "respondent"): "The complainant has withdrawn the complaint. The committee "
    "may still continue a serious case on its own motion; you will be told if it does.",
    ("continue_on_own_motion", "complainant"): "The committee has decided to continue the "
    "case on its own motion, although the complaint was withdrawn.",
    ("continue_on_own_motion", "respondent"): "The complaint was withdrawn, but the committee "
    "has decided to continue the case on its own motion.",
    ("close_unanswered", "complainant"): "The committee asked for more information and did not "
    "receive it by the deadline, so the complaint has been closed. If you have the information "
    "now, you may write to the committee or file again.",
    ("refer", "complainant"): "The committee has referred your complaint to another body; your "
    "case page says which, and why.",
    ("stay", "complainant"): "The committee has paused the case while parallel proceedings run. "
    "Its deadlines stop until it resumes, and you will be told when it does.",
    ("stay", "respondent"): "The committee has paused the case while parallel proceedings run. "
    "Its deadlines stop until it resumes, and you will be told when it does.",
    ("lift_stay", "complainant"): "The pause has ended and the case continues; its deadlines "
    "have been moved on by the time it was paused.",
    ("lift_stay", "respondent"): "The pause has ended and the case continues; its deadlines "
    "have been moved on by the time it was paused.",
    ("reopen", "complainant"): "The chair has reopened the case on new evidence. Your case page "
    "says what happens next.",
    ("reopen", "respondent"): "The chair has reopened the case on new evidence. Your case page "
    "says what happens next.",
}


def _respondent_notified(ctx: StepContext) -> bool:
    return ctx.flow.respondent_notified_at is not None and ctx.case.respondent is not None


def _user_recipients(user_ids: list[int], role: str) -> list[Recipient]:
    if not user_ids:
        return []
    users = db.session.scalars(select(User).where(User.id.in_(user_ids), User.active.is_(True)))
    return [Recipient(u.email, u.full_name, role) for u in users]


def recipients_for(ctx: StepContext, party: str) -> list[Recipient]:
    case = ctx.case
    if party == "addressed":
        party = str(ctx.details.get("audience") or "")
    if party == "complainant":
        user = case.complainant_user
        email = user.email if user is not None else case.complainant_email
        return [Recipient(email or "", case.complainant_name, "complainant")]
    if party == "respondent":
        if not _respondent_notified(ctx):
            return []
        member = case.respondent
        email = member.user.email if member.user is not None else member.email
        return [Recipient(email or "", member.full_name, "respondent")]
    if party == "panel":
        seats = db.session.scalars(select(PanelSeat.user_id).where(
            PanelSeat.case_id == case.id, PanelSeat.kind == guards.seat_kind_for(case.state),
            PanelSeat.recused_at.is_(None)))
        return _user_recipients(list(seats), "panelist")
    if party == "investigator":
        return _user_recipients([i for i in [ctx.flow.investigator_user_id] if i], "committee")
    if party == "appointed":
        return _user_recipients([i for i in [ctx.details.get("user_id")] if i], "panelist")
    if party == "chairs":
        chairs = db.session.scalars(select(UserRole.user_id).where(UserRole.role == Role.CHAIR))
        return _user_recipients(list(chairs), "committee")
    if party == "objector":
        objection = ctx.cache.get("objection")
        return recipients_for(ctx, objection.objector) if objection is not None else []
    if party == "removed":
        return _user_recipients([ctx.details["user_id"]] if ctx.details.get("removed") else [],
                                "panelist")
    return []


def _objected_panelist(ctx: StepContext) -> str:
    """The panel member an objection is about: every party was told the panel by name."""
    seat = ctx.cache.get("objection_seat") or getattr(ctx.cache.get("objection"), "seat", None)
    return seat.user.full_name if seat is not None else ""


def _link(ctx: StepContext, role: str) -> tuple[str, bool]:
    """The recipient's page for this case, and whether it asks for the follow-up key."""
    case = ctx.case
    if role == "complainant":
        if case.complainant_user_id is not None:
            return external_url("intake.case_page", reference=case.reference), False
        return external_url("intake.check"), True
    if role == "respondent":
        return external_url("workflow.my_case", reference=case.reference), False
    return external_url("cases.show", reference=case.reference), False


def mail_context(ctx: StepContext, recipient: Recipient, new_state: str,
                 issued: list[Any]) -> dict[str, Any]:
    role = recipient.role
    viewer = "respondent" if role == "respondent" else (
        "complainant" if role == "complainant" else "committee")
    link, needs_key = _link(ctx, role)
    # Free text goes to a party only where it was written for them.
    reason = ""
    if ctx.trigger == "dismiss" and role == "complainant":
        reason = ctx.reason
    elif ctx.trigger == "request_more_information" and role == "complainant":
        reason = (f"{ctx.reason}\n\nPlease reply by {ctx.case.due_at:%-d %B %Y}. If we have not "
                  "heard from you by then, the complaint will be closed.")
    elif ctx.trigger == "request_information" and role == ctx.details.get("audience"):
        reason = redact_for(viewer, ctx.case, ctx.reason) if role == "respondent" else ctx.reason
    elif ctx.trigger == "rule_on_objection" and role in ("complainant", "respondent"):
        reason = redact_for(viewer, ctx.case, ctx.reason)  # the ruling's reasons, for the objector
    state = STATES_BY_NAME.get(new_state)
    return {
        "party": role, "link": link, "link_needs_key": needs_key, "reason": reason,
        "complainant_display_name": complainant_display_for(viewer, ctx.case).name,
        "respondent_name": ctx.case.respondent_name, "new_state": new_state,
        "state_title": state.title if state else new_state, "trigger": ctx.trigger,
        "due_at": ctx.case.due_at, "hearing_on": ctx.flow.hearing_on,
        "what_happened": UPDATES.get((ctx.trigger, role), ""),
        "letters": [letter for letter in issued if letter.recipient == role],
        "appeal_outcome": ctx.details.get("outcome", ""),
        "panelist_name": _objected_panelist(ctx), "objector": ctx.details.get("objector", ""),
        "ruling": ctx.details.get("ruling", ""),
    }


def queue_step_mail(ctx: StepContext, new_state: str, issued: list[Any]) -> list[Any]:
    queued = []
    for party, template in STEP_MAIL.get(ctx.trigger, ()):
        if (ctx.trigger == "decide_appeal" and party == "respondent"
                and new_state == "awaiting_response"):
            template = "case_opened_respondent"  # dismissal overturned: first notice
        for recipient in recipients_for(ctx, party):
            context = mail_context(ctx, recipient, new_state, issued)
            queued += notify(template, [recipient], case=ctx.case, **context)
    return queued


@listeners.after_step
def after_step(ctx: StepContext, new_state: str) -> None:
    """Letters first (the emails mention them), then the emails; each in a savepoint, opened
    only when the step has letters or emails (most steps have neither; a savepoint is a
    flush and two round trips)."""
    issued: list[Any] = []
    mark = letters_module.written_mark(db.session)
    try:
        if letters_module.planned_letters(ctx, new_state):
            with db.session.begin_nested():
                issued = letters_module.generate_for_step(ctx, new_state)
    except Exception:  # a letter must never cost the committee its decision
        letters_module.discard_written_since(db.session, mark)
        current_app.logger.exception("Letters for %s on %s failed", ctx.trigger,
                                     ctx.case.reference)
        ctx.details.pop("letters", None)
        ctx.details["letter_error"] = True
        issued = []
    if not STEP_MAIL.get(ctx.trigger):
        return
    try:
        with db.session.begin_nested():
            queued = queue_step_mail(ctx, new_state, issued)
        if queued:
            ctx.details["outbox_ids"] = [message.id for message in queued]
    except Exception:  # an email must never cost the committee its action
        current_app.logger.exception("Notifications for %s on %s failed", ctx.trigger,
                                     ctx.case.reference)
        ctx.details["notification_error"] = True
