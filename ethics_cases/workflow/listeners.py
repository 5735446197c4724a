"""After-step listeners: other packages react to a step inside the step's own transaction.

``operations.fire`` calls every registered listener after the state change and the effects,
and before the audit event is written, so a listener may add ids to ``ctx.details`` (they are
then part of the step's one audit event) and its rows commit or roll back with the step.
Listeners are registered once at import time (``notifications`` registers its emails and
letters); the workflow imports nothing from them, so the procedure stays independent.

A listener that must never block a step (an email, a letter) catches its own failures; an
exception that escapes rolls the whole step back, like any effect.
"""

from __future__ import annotations

from collections.abc import Callable

from .context import StepContext

Listener = Callable[[StepContext, str], None]
_LISTENERS: list[Listener] = []


def after_step(listener: Listener) -> Listener:
    """Register ``listener(ctx, new_state)`` (idempotent; usable as a decorator)."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)
    return listener


def run(ctx: StepContext, new_state: str) -> None:
    for listener in tuple(_LISTENERS):
        listener(ctx, new_state)
