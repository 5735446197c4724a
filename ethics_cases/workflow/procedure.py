"""The adjudication procedure as data: every state, every step, who may take it, what it needs.

This module is the single definition the machine (``machine.py``), the guards, the action
forms, the case page and the state diagram are all generated from, so none of them can drift
from the others. It imports nothing from the models, so any module (e.g. the complainant's
plain-words stages) may read it without import cycles.

Actor kinds: ``chair`` and ``committee`` are roles (the chair is also committee);
``respondent``, ``complainant``, ``panelist`` (a seated, non-recused member of the case's
current panel) and ``investigator`` are relations to one case; ``system`` is the scheduler.
"""

from __future__ import annotations

from dataclasses import dataclass

ACTOR_LABELS: dict[str, str] = {
    "chair": "the committee chair",
    "committee": "a committee member",
    "respondent": "the member complained about",
    "complainant": "the complainant",
    "panelist": "a member of the panel",
    "investigator": "the case's investigator",
    "system": "the system",
}


@dataclass(frozen=True)
class State:
    name: str
    title: str
    description: str
    final: bool = False


@dataclass(frozen=True)
class Step:
    """One transition. ``dest=None`` means the step records something without changing state.

    Several steps may share a trigger with different destinations; ``branch`` names the
    condition that picks one (the machine tries them in order).
    """

    trigger: str
    label: str
    sources: tuple[str, ...]
    dest: str | None
    actors: frozenset[str]
    fields: tuple[str, ...] = ()
    guards: tuple[str, ...] = ()
    branch: str | None = None
    reason_label: str = "Reason (recorded in the case history)"
    reason_required: bool = True
    description: str = ""


STATES: tuple[State, ...] = (
    State("submitted", "Submitted", "Filed by the complainant; nobody has looked at it yet."),
    State("screening", "Screening", "The chair or a delegate checks jurisdiction, time limit "
          "and whether the allegations, if true, would breach the cited clauses."),
    State("more_information_requested", "More information requested", "Screening waits for "
          "the complainant's answer; without one by the deadline the case closes by itself."),
    State("referred", "Referred to another body", "Not for this committee (or not first): "
          "referred to a licensing body, the police or another regulator, with whom and why "
          "recorded.", final=True),
    State("stayed", "Stayed", "Paused for parallel legal proceedings: no deadline runs; when the "
          "stay is lifted the case resumes where it was, its deadline moved on by the time "
          "stayed."),
    State("dismissed", "Dismissed", "Not taken forward; the complainant may appeal within the "
          "appeal window.", final=True),
    State("awaiting_response", "Awaiting response", "Accepted; the member was notified of the "
          "allegations and clauses and may respond until the deadline."),
    State("resolution_proposed", "Resolution proposed", "The committee proposed a lower-level "
          "sanction by agreement; the member accepts or declines."),
    State("investigation", "Investigation", "An investigator gathers information from both "
          "parties and writes a findings report."),
    State("panel_forming", "Panel forming", "At least three committee members, none a party, "
          "each declaring no conflict of interest before seeing the file."),
    State("hearing", "Hearing", "The panel hears the case and votes, clause by clause."),
    State("decided", "Decided (appeal window)", "A breach was found and a sanction decided; it "
          "takes effect when the appeal window closes or an appeal ends."),
    State("appeal", "Appeal", "A panel sharing no member with the first upholds, varies or "
          "overturns the decision."),
    State("sanction_in_effect", "Sanction in effect", "Compliance is followed: training "
          "completed, probation passed, suspension ended; non-compliance escalates."),
    State("closed", "Closed", "Finished.", final=True),
    State("withdrawn", "Withdrawn", "Withdrawn by the complainant before a decision; the "
          "committee may continue a serious case on its own motion.", final=True),
)
STATE_NAMES: tuple[str, ...] = tuple(state.name for state in STATES)
INITIAL_STATE = "submitted"

#: Before a decision the complainant may withdraw (the intake pages use this list too).
WITHDRAWABLE_STATES: tuple[str, ...] = (
    "submitted", "screening", "more_information_requested", "awaiting_response",
    "resolution_proposed", "investigation", "panel_forming", "hearing",
)

#: A stay for parallel proceedings may be ordered from any open stage up to the appeal.
STAYABLE_STATES: tuple[str, ...] = (
    "screening", "awaiting_response", "resolution_proposed", "investigation", "panel_forming",
    "hearing", "decided", "appeal",
)
#: A closed case may be reopened on new evidence (by the chair, with reasons).
REOPENABLE_STATES: tuple[str, ...] = ("closed", "dismissed", "referred")
PARTIES = frozenset({"respondent", "complainant"})

COMMITTEE = frozenset({"committee", "chair"})
CHAIR = frozenset({"chair"})
SANCTION_FIELDS = ("sanction_key", "programme", "completion_deadline", "start_date",
                   "end_date", "authority", "authority_reference")

STEPS: tuple[Step, ...] = (
    Step("start_screening", "Start screening", ("submitted",), "screening", COMMITTEE,
         reason_required=False,
         description="Take the complaint up for screening."),
    Step("accept", "Accept and notify the member", ("screening",), "awaiting_response", CHAIR,
         fields=("clause_ids",), guards=("respondent_identified", "has_allegations"),
         description="Jurisdiction and time limit are met: notify the member, who may respond "
                     "until the deadline."),
    Step("dismiss", "Dismiss", ("screening",), "dismissed", CHAIR,
         reason_label="Reasons (sent to the complainant)",
         description="Outside jurisdiction or time limit, or no breach even if true."),
    Step("request_more_information", "Ask the complainant for more information",
         ("screening",), "more_information_requested", CHAIR, guards=("has_complainant",),
         reason_label="Your questions (sent to the complainant)",
         description="Screening waits for the answer; without one by the deadline the case "
                     "closes by itself (the complainant is told the date)."),
    Step("resume_screening", "Information received: resume screening",
         ("more_information_requested",), "screening", COMMITTEE, reason_required=False,
         reason_label="Note (optional)"),
    Step("close_unanswered", "Close: no information received", ("more_information_requested",),
         "closed", COMMITTEE | {"system"}, guards=("information_overdue",),
         reason_required=False, reason_label="Note (optional)",
         description="Possible once the deadline for the information has passed; the nightly "
                     "`flask workflow apply-due` does it automatically."),
    Step("refer", "Refer to another body", ("screening",), "referred", CHAIR,
         fields=("referred_to",), guards=("referral_named",),
         reason_label="Why it is referred (sent to the complainant)",
         description="E.g. a licensing body or the police; with whom and why is recorded."),
    Step("stay", "Stay for parallel proceedings", STAYABLE_STATES, "stayed", CHAIR,
         fields=("proceedings",), guards=("proceedings_named",),
         reason_label="Why the case is stayed",
         description="Deadlines stop while stayed; lifting the stay adds the time stayed to "
                     "them."),
    *(
        Step("lift_stay", "Lift the stay", ("stayed",), source, CHAIR,
             branch=f"stayed_from:{source}", reason_label="Why the stay is lifted")
        for source in STAYABLE_STATES
    ),
    Step("extend_deadline", "Extend the response deadline", ("awaiting_response",), None,
         COMMITTEE, fields=("due_on",), guards=("due_on_later",)),
    Step("respond", "Send my response", ("awaiting_response",), None,
         frozenset({"respondent"}), guards=("before_deadline",),
         reason_label="Your response to the allegations"),
    Step("propose_agreement", "Propose resolution by agreement", ("awaiting_response",),
         "resolution_proposed", COMMITTEE, fields=SANCTION_FIELDS,
         guards=("sanction_agreement_eligible", "sanction_valid")),
    Step("accept_agreement", "Accept the proposed resolution", ("resolution_proposed",),
         "sanction_in_effect", frozenset({"respondent"}), branch="sanction_needs_follow_up",
         reason_label="Comment (optional)", reason_required=False),
    Step("accept_agreement", "Accept the proposed resolution", ("resolution_proposed",),
         "closed", frozenset({"respondent"}), reason_label="Comment (optional)",
         reason_required=False),
    Step("decline_agreement", "Decline the proposed resolution", ("resolution_proposed",),
         "awaiting_response", frozenset({"respondent"}), reason_label="Why you decline"),
    Step("start_investigation", "Assign an investigator", ("awaiting_response",),
         "investigation", COMMITTEE, fields=("investigator_id",),
         guards=("investigator_eligible",)),
    Step("request_information", "Request information", ("investigation",), None,
         frozenset({"investigator", "committee"}), fields=("audience",),
         reason_label="Your questions (sent to the party)"),
    Step("submit_findings", "Submit the findings report", ("investigation",), "panel_forming",
         frozenset({"investigator"}), fields=("findings",)),
    Step("appoint_panelist", "Appoint a panel member", ("panel_forming", "appeal"), None, CHAIR,
         fields=("panelist_id",), guards=("panelist_eligible",)),
    Step("declare_no_conflict", "Declare no conflict of interest",
         ("panel_forming", "hearing", "appeal"), None, frozenset({"panelist"}),
         fields=("no_conflict",), guards=("seat_undeclared",),
         reason_label="Anything the chair should know (optional)", reason_required=False),
    Step("recuse", "Recuse myself", ("panel_forming", "hearing", "appeal"), None,
         frozenset({"panelist"}), reason_label="Why you recuse yourself"),
    Step("schedule_hearing", "Schedule the hearing", ("panel_forming",), "hearing", CHAIR,
         fields=("hearing_on",), guards=("panel_quorum", "roles_separated"),
         description="The parties are told who sits on the panel and may object within the "
                     "objection window."),
    Step("object_to_panelist", "Object to a panel member", ("hearing",), None, PARTIES,
         fields=("seat_id",), guards=("objection_window_open", "objection_seat_valid"),
         reason_label="Grounds of your objection"),
    Step("rule_on_objection", "Rule on an objection", ("hearing",), "panel_forming", CHAIR,
         fields=("objection_id", "objection_ruling"), guards=("objection_ruling_valid",),
         branch="upheld_objection_breaks_quorum", reason_label="Reasons for the ruling"),
    Step("rule_on_objection", "Rule on an objection", ("hearing",), None, CHAIR,
         fields=("objection_id", "objection_ruling"), guards=("objection_ruling_valid",),
         reason_label="Reasons for the ruling",
         description="An upheld objection removes the panel member (and their access); if the "
                     "panel falls below quorum the case returns to panel forming."),
    Step("cast_vote", "Record my vote", ("hearing",), None, frozenset({"panelist"}),
         fields=("votes",), guards=("seat_declared", "objections_settled", "votes_complete"),
         reason_label="Your reasons"),
    Step("decide", "Record the panel's decision", ("hearing",), "decided", CHAIR,
         fields=SANCTION_FIELDS,
         guards=("objections_settled", "roles_separated", "all_votes_in", "sanction_valid"),
         branch="breach_found", reason_label="Reasons for the decision"),
    Step("decide", "Record the panel's decision", ("hearing",), "closed", CHAIR,
         guards=("objections_settled", "roles_separated", "all_votes_in"),
         reason_label="Reasons for the decision"),
    Step("appeal", "Appeal the decision", ("decided",), "appeal", frozenset({"respondent"}),
         guards=("within_appeal_window",), reason_label="Grounds of appeal"),
    Step("appeal_dismissal", "Appeal the dismissal", ("dismissed",), "appeal",
         frozenset({"complainant"}), guards=("within_appeal_window",),
         reason_label="Grounds of appeal"),
    Step("decide_appeal", "Record the appeal decision", ("appeal",), "sanction_in_effect",
         CHAIR, fields=("appeal_outcome", *SANCTION_FIELDS),
         guards=("appeal_panel_quorum", "roles_separated", "appeal_sanction_valid"),
         branch="appeal_leaves_sanction_to_follow"),
    Step("decide_appeal", "Record the appeal decision", ("appeal",), "awaiting_response", CHAIR,
         fields=("appeal_outcome",),
         guards=("appeal_panel_quorum", "roles_separated", "appeal_sanction_valid"),
         branch="dismissal_overturned"),
    Step("decide_appeal", "Record the appeal decision", ("appeal",), "closed", CHAIR,
         fields=("appeal_outcome",),
         guards=("appeal_panel_quorum", "roles_separated", "appeal_sanction_valid")),
    Step("confirm_sanction", "Sanction takes effect (appeal window closed)", ("decided",),
         "sanction_in_effect", COMMITTEE | {"system"}, guards=("appeal_window_closed",),
         branch="sanction_needs_follow_up"),
    Step("confirm_sanction", "Sanction takes effect (appeal window closed)", ("decided",),
         "closed", COMMITTEE | {"system"}, guards=("appeal_window_closed",)),
    Step("report_completion", "Report completion", ("sanction_in_effect",), None,
         frozenset({"respondent"}), guards=("sanction_needs_completion",),
         reason_label="What you completed, and when"),
    Step("record_check_in", "Record a probation check-in", ("sanction_in_effect",), None,
         COMMITTEE, guards=("sanction_has_check_ins",), reason_label="Check-in notes"),
    Step("confirm_compliance", "Confirm compliance and close", ("sanction_in_effect",),
         "closed", COMMITTEE, guards=("compliance_due",)),
    Step("report_non_compliance", "Escalate for non-compliance", ("sanction_in_effect",),
         "hearing", CHAIR, fields=("hearing_on",), guards=("sanction_escalates",)),
    Step("refuse_sanction", "Refuse the sanction", ("sanction_in_effect",), "panel_forming",
         frozenset({"respondent"}), guards=("sanction_refusable",),
         reason_label="Why you refuse the sanction or its conditions",
         description="Under the Code a refused sanction goes to the next level of the ladder: "
                     "the panel hears the case again and may only decide a higher sanction."),
    Step("reopen", "Reopen on new evidence", REOPENABLE_STATES, "screening", CHAIR,
         fields=("new_evidence",), guards=("new_evidence_described",),
         reason_label="Reasons for reopening",
         description="The case is screened again; a new hearing is a new round of votes."),
    Step("withdraw", "Withdraw the complaint", WITHDRAWABLE_STATES, "withdrawn",
         frozenset({"complainant"}), reason_label="Why you withdraw"),
    *(
        Step("continue_on_own_motion", "Continue on the committee's own motion",
             ("withdrawn",), source, CHAIR, branch=f"withdrawn_from:{source}",
             reason_label="Why the committee continues this case")
        for source in WITHDRAWABLE_STATES
    ),
)

STATES_BY_NAME: dict[str, State] = {state.name: state for state in STATES}


def steps_for(trigger: str) -> tuple[Step, ...]:
    return tuple(step for step in STEPS if step.trigger == trigger)


TRIGGERS: tuple[str, ...] = tuple(dict.fromkeys(step.trigger for step in STEPS))


def first_step(trigger: str) -> Step:
    """The representative step of a trigger (label, actors and fields are shared)."""
    return steps_for(trigger)[0]


def fields_of(trigger: str) -> tuple[str, ...]:
    """Every field any branch of ``trigger`` may need (the form shows them all)."""
    return tuple(dict.fromkeys(field for step in steps_for(trigger) for field in step.fields))
