"""What each state of a case means to the complainant, in plain words.

The workflow engineer owns the states; this table is what the complainant's page says about
them. A state missing here still gets a sensible, honest description (``stage_for``), so the
workflow can add states before this text is written.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Stage:
    title: str
    explanation: str
    next_step: str
    finished: bool = False


PLAIN_STAGES: dict[str, Stage] = {
    "submitted": Stage(
        "Received",
        "Your complaint has been received. Nobody outside the ethics committee can see it.",
        "The committee chair (or a delegate) will check that the complaint is about a member and "
        "within the time limits, and whether it could amount to a breach of the Code. "
        "We will write to you here when that is done.",
    ),
    "screening": Stage(
        "Being checked",
        "The committee is checking whether your complaint can go forward.",
        "You will hear whether the complaint is accepted. The committee may ask you for more "
        "information here.",
    ),
    "more_information_requested": Stage(
        "Waiting for information from you",
        "The committee needs more information before it can decide how to proceed.",
        "Please read the committee's request below and reply, or add documents, by the date it "
        "gives. Without an answer by then the complaint will be closed.",
    ),
    "awaiting_response": Stage(
        "Waiting for the member's response",
        "The complaint was accepted and the member has been told what it is about.",
        "The member has a set time to respond. The committee will then decide the next step.",
    ),
    "resolution_proposed": Stage(
        "Resolution by agreement proposed",
        "The committee has proposed resolving the matter by agreement with the member.",
        "If the member accepts, the agreed measure applies. If not, the case goes on.",
    ),
    "investigation": Stage(
        "Being investigated",
        "An investigator is looking into the complaint.",
        "The investigator may ask you questions here. A report then goes to a hearing panel.",
    ),
    "panel_forming": Stage(
        "A hearing panel is being formed",
        "The investigation is finished. Committee members with no conflict of interest are "
        "being appointed to hear the case.",
        "You will be told who sits on the panel, and may object to a member you have good "
        "reason to think is not impartial.",
    ),
    "hearing": Stage(
        "Before a hearing panel",
        "A panel of committee members with no conflict of interest is considering the case.",
        "The panel will decide, clause by clause, whether the Code was breached.",
    ),
    "decided": Stage(
        "Decided",
        "The panel has reached a decision.",
        "The decision can be appealed within a set period.",
    ),
    "appeal": Stage(
        "Under appeal",
        "The decision has been appealed and a different panel is reviewing it.",
        "You will be told the result of the appeal.",
    ),
    "sanction_in_effect": Stage(
        "Decided: sanction in effect",
        "The panel found a breach of the Code and the sanction now applies. The committee "
        "follows whether the member complies (for example, completes training).",
        "Nothing is needed from you. The case closes when the sanction has been complied with.",
    ),
    "stayed": Stage(
        "Paused",
        "The case is paused while related legal proceedings run their course.",
        "When the pause ends the case continues where it was, and its deadlines are moved on "
        "by the time it was paused. We will write to you here.",
    ),
    "referred": Stage(
        "Referred to another body",
        "The committee has passed your complaint to another body better placed to deal with "
        "it. The messages below say which body and why.",
        "That body will handle the matter. The committee may reopen the case if it receives "
        "new evidence.",
        finished=True,
    ),
    "dismissed": Stage(
        "Not taken forward",
        "The committee decided not to take the complaint forward. The reasons are in the "
        "messages below.",
        "You may be able to appeal this decision within a set period.",
        finished=True,
    ),
    "withdrawn": Stage(
        "Withdrawn",
        "You withdrew this complaint.",
        "The committee may still continue a serious matter on its own initiative.",
        finished=True,
    ),
    "closed": Stage(
        "Closed",
        "The case is closed.",
        "Nothing more is needed from you. Thank you for raising your concern.",
        finished=True,
    ),
}

FALLBACK_STAGE = Stage(
    "In progress",
    "The ethics committee is working on your complaint.",
    "We will write to you here when something needs your attention or a decision is made.",
)


def stage_for(state: str) -> Stage:
    return PLAIN_STAGES.get(state, FALLBACK_STAGE)


# The states in which the complainant may still withdraw: before any decision. The workflow
# engineer owns this list from now on (the withdraw transition's source states).
from ..workflow.procedure import WITHDRAWABLE_STATES as _WORKFLOW_WITHDRAWABLE  # noqa: E402

WITHDRAWABLE_STATES: frozenset[str] = frozenset(_WORKFLOW_WITHDRAWABLE)


def can_withdraw(state: str) -> bool:
    return state in WITHDRAWABLE_STATES
