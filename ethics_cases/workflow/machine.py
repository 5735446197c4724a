"""The one state machine of the procedure, built once per process from ``procedure.STEPS``.

A ``Machine`` per case would cost ~0.1-0.4 ms and ~17 KiB each and leave reference cycles
(engineering notes), so there is exactly one, created on first use. A case is bound to it only
for the duration of one step: ``bound(case_state)`` adds a tiny model object starting in the
case's *stored* state (never a fixed initial state) and removes it afterwards, so the machine's
model list never grows.

Conditions are: the actor check, then the branch (when several steps share a trigger), then
the step's guards. Guards raise ``Refused`` with a message; branches return booleans. The
step's effect runs as the transition's ``after`` callback.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from transitions import EventData, Machine

from . import effects, guards
from .context import StepContext
from .procedure import STATE_NAMES, STEPS, Step

_lock = threading.Lock()
_machine: Machine | None = None


class BoundCase:
    """The machine's view of a case for one step: just its state."""

    def __init__(self) -> None:
        self.state = ""


def _ctx(event: EventData) -> StepContext:
    return event.kwargs["ctx"]


def _actor_condition(step: Step) -> Callable[[EventData], bool]:
    def actor_may_take_step(event: EventData) -> bool:
        ctx = _ctx(event)
        if not guards.actor_allowed(step, ctx.acting):
            raise guards.refuse_actor(step)
        return True
    return actor_may_take_step


def _guard_condition(name: str) -> Callable[[EventData], bool]:
    guard = guards.GUARDS[name]

    def condition(event: EventData) -> bool:
        guard(_ctx(event))
        return True
    condition.__name__ = name
    return condition


def _branch_condition(name: str) -> Callable[[EventData], bool]:
    branch = guards.branch_for(name)

    def condition(event: EventData) -> bool:
        return branch(_ctx(event))
    condition.__name__ = name
    return condition


def _effect(trigger: str) -> list[Callable[[EventData], Any]]:
    effect = effects.EFFECTS.get(trigger)
    if effect is None:
        return []
    return [lambda event: effect(_ctx(event))]


def _transition(step: Step) -> dict[str, Any]:
    conditions = [_actor_condition(step)]
    if step.branch:
        conditions.append(_branch_condition(step.branch))
    conditions.extend(_guard_condition(name) for name in step.guards)
    return {
        "trigger": step.trigger,
        "source": list(step.sources),
        "dest": step.dest,  # None: internal transition, the state stays
        "conditions": conditions,
        "after": _effect(step.trigger),
    }


def build() -> Machine:
    return Machine(
        model=None, states=list(STATE_NAMES), transitions=[_transition(s) for s in STEPS],
        initial=None, auto_transitions=False, send_event=True, ignore_invalid_triggers=False,
    )


def get_machine() -> Machine:
    global _machine
    if _machine is None:
        with _lock:
            if _machine is None:
                _machine = build()
    return _machine


@contextmanager
def bound(state: str) -> Iterator[BoundCase]:
    """A model in ``state`` attached to the shared machine for one step."""
    machine = get_machine()
    model = BoundCase()
    machine.add_model(model, initial=state)
    try:
        yield model
    finally:
        machine.remove_model(model)


def triggers_from(state: str) -> list[str]:
    return get_machine().get_triggers(state)
