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
        "Please read the committee's request below and reply, or add documents.",
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
