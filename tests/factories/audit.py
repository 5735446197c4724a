"""Audit events for tests, written the only way features write them: through ``audit.record``.

``AuditEventFactory`` needs an application context (the ``app_ctx`` fixture): it appends to
the chain in ``db.session`` and commits, like a request would.
"""

from __future__ import annotations

import factory

from ethics_cases import audit
from ethics_cases.extensions import db


class AuditEventFactory(factory.Factory):
    class Meta:
        model = audit.AuditEvent

    action = factory.Iterator(["case.filed", "case.transition.accept", "evidence.downloaded",
                               "pledge.signed", "user.role_granted"])
    subject = factory.Sequence(lambda n: audit.Subject("case", n % 7 + 1))
    case_ref = factory.LazyAttribute(
        lambda o: f"EC-2026-{int(o.subject.id):04d}" if o.subject.kind == "case" else None)
    reason = None
    details = factory.Sequence(lambda n: {"n": n})
    actor = audit.SYSTEM

    @classmethod
    def _create(cls, model_class, action, subject, commit=True, **kwargs):  # type: ignore[no-untyped-def]
        event = audit.record(action, subject, **kwargs)
        if commit:
            db.session.commit()
        return event
