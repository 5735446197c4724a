"""Factories for rows the reports aggregate and retention redacts: findings, workflow rows,
appeals."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import factory

from ethics_cases.mail.models import OutboxMessage
from ethics_cases.notifications.models import CaseLetter
from ethics_cases.workflow.models import AllegationFinding, Appeal, CaseWorkflow

from .base import BaseFactory


class AllegationFindingFactory(BaseFactory):
    """The panel's finding on one allegation (``allegation`` is an ``Allegation`` row)."""

    class Meta:
        model = AllegationFinding
        exclude = ("allegation",)

    allegation = None
    allegation_id = factory.LazyAttribute(lambda o: o.allegation.id)
    case_id = factory.LazyAttribute(lambda o: o.allegation.case_id)
    round = 1
    breached = True
    votes_breached = factory.LazyAttribute(lambda o: 3 if o.breached else 0)
    votes_not_breached = factory.LazyAttribute(lambda o: 0 if o.breached else 3)
    decided_at = factory.LazyFunction(lambda: datetime.now(UTC))


class CaseWorkflowFactory(BaseFactory):
    """The workflow row of a case, with the procedure's free text (retention redacts it)."""

    class Meta:
        model = CaseWorkflow

    case_id = 0
    findings_report = "The investigator interviewed both parties."
    decision_reasons = "The mentor disclosed the journal without consent."
    dismissal_reasons = ""


class AppealFactory(BaseFactory):
    class Meta:
        model = Appeal

    case_id = 0
    appellant = "respondent"
    against = "decision"
    grounds = "The panel ignored my explanation."
    filed_at = factory.LazyFunction(lambda: datetime.now(UTC))
    outcome = "upheld"
    reasons = "The decision stands."
    decided_at = factory.LazyFunction(lambda: datetime.now(UTC))


class OutboxMessageFactory(BaseFactory):
    """An email about a case, already sent."""

    class Meta:
        model = OutboxMessage

    to_address = factory.Sequence(lambda n: f"party{n}@example.org")
    subject = "About your complaint"
    body_text = "Your complaint has moved on."
    template = "generic"
    sent_at = factory.LazyFunction(lambda: datetime.now(UTC))
    attempts = 1


class CaseLetterFactory(BaseFactory):
    """A generated letter's row; write its PDF where ``letters.letter_path`` looks."""

    class Meta:
        model = CaseLetter

    case_id = 0
    kind = "decision"
    recipient = "complainant"
    trigger = "decide"
    filename = factory.Sequence(lambda n: f"decision-letter-{n}.pdf")
    stored_name = factory.LazyFunction(lambda: secrets.token_hex(16))
    sha256 = "0" * 64
    size = 100
    generated_at = factory.LazyFunction(lambda: datetime.now(UTC))
