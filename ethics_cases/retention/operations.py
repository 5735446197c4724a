"""Redacting expired closed cases: the only code that removes personal data from a case.

A case is *expired* when it is closed, dismissed or withdrawn and was last changed more than
``RETENTION_DAYS_AFTER_CLOSURE`` days ago. It is kept whole while a sanction from it is still in
force (or awaiting an appeal or an agreement) or an appeal on it is undecided: the record is
still needed.

What is redacted (personal data, free text and files): the complainant's name, email, phone
and account link, the narrative, location, outcome sought, the description of an unidentified
respondent, the withdrawal reason, every message body (internal notes included), the findings
report, decision and dismissal reasons, panel votes' and recusals' reasons, appeal grounds and
reasons, identity-disclosure and officer-assignment reasons, file names in hearing-bundle
manifests, and the address and body of every email sent about the case; evidence files are
deleted from disk and their rows marked, and so are generated letters' PDFs; the follow-up
key stops working. Other domains add their own with ``register_redactor``.

What is kept (anonymised statistics, what the reports need): the reference, states and dates,
the complainant's relationship category, the clauses alleged, the findings (breached or not,
vote counts), the sanctions (level, dates, status: the ladder counts a member's past sanctions),
and the audit trail, which cannot be edited (see the README, "Retention").

Each case is redacted in its own transaction with one audit event (``case.redacted``), so a
failure leaves that case as it was and the run goes on with the next.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, exists, func, or_, select, update

from .. import audit
from ..cases.evidence import path_of
from ..cases.models import Case, CaseMessage, Evidence
from ..database import is_postgresql
from ..extensions import db
from ..types import utcnow
from ..workflow.models import Appeal, CaseWorkflow, PanelSeat, PanelVote, Sanction, SanctionStatus
from .models import CaseRedaction, EvidenceDisposal

CLOSED_STATES = ("closed", "dismissed", "withdrawn")
REDACTED = "[redacted]"
DELETED_FILE = "[deleted]"

#: Case columns cleared, and the value they get.
CASE_FIELDS: dict[str, Any] = {
    "complainant_name": REDACTED,
    "complainant_email": None,
    "complainant_phone": "",
    "complainant_user_id": None,
    "narrative": REDACTED,
    "location": "",
    "outcome_sought": "",
    "respondent_description": "",
    "withdrawal_reason": "",
    "followup_key_hash": "",  # no key matches an empty hash; login links stop working too
}

#: Other domains add their own per-case redaction here (letters, notes, outbox...):
#: ``fn(case, now) -> {"what": count}``, run inside the case's transaction.
Redactor = Callable[[Case, datetime], dict[str, int]]
_redactors: list[Redactor] = []


def register_redactor(redactor: Redactor) -> Redactor:
    if redactor not in _redactors:
        _redactors.append(redactor)
    return redactor


def retention_days() -> int:
    days = int(current_app.config.get("RETENTION_DAYS_AFTER_CLOSURE") or 0)
    if days < 1:
        raise ValueError("RETENTION_DAYS_AFTER_CLOSURE must be at least 1 day")
    return days


def _blocker(today: Any) -> Any:
    """SQL: why an expired case must be kept, or NULL."""
    from sqlalchemy import case as case_when
    from sqlalchemy import literal

    in_force = exists(select(Sanction.id).where(
        Sanction.case_id == Case.id,
        or_(Sanction.status.in_([SanctionStatus.PENDING_APPEAL.value,
                                 SanctionStatus.PROPOSED.value]),
            and_(Sanction.status == SanctionStatus.IN_EFFECT.value,
                 or_(Sanction.ends_on.is_(None), Sanction.ends_on > today)))))
    open_appeal = exists(select(Appeal.id).where(Appeal.case_id == Case.id,
                                                 Appeal.decided_at.is_(None)))
    return case_when((in_force, literal("a sanction is still in force")),
                     (open_appeal, literal("an appeal is open")), else_=None)


def _expired(now: datetime, days: int):  # type: ignore[no-untyped-def]
    return and_(Case.state.in_(CLOSED_STATES),
                Case.state_changed_at <= now - timedelta(days=days),
                ~exists(select(CaseRedaction.case_id).where(CaseRedaction.case_id == Case.id)))


@dataclass
class Candidate:
    case_id: int
    reference: str
    state: str
    closed_at: datetime
    kept_because: str | None
    messages: int = 0
    evidence: int = 0


def candidates(now: datetime | None = None) -> list[Candidate]:
    """Expired, not yet redacted cases, with why each must be kept (if it must): 1 query."""
    now = now or utcnow()
    days = retention_days()
    messages = (select(func.count(CaseMessage.id)).where(CaseMessage.case_id == Case.id)
                .scalar_subquery())
    evidence = (select(func.count(Evidence.id)).where(Evidence.case_id == Case.id)
                .scalar_subquery())
    rows = db.session.execute(
        select(Case.id, Case.reference, Case.state, Case.state_changed_at,
               _blocker(now.date()).label("kept"), messages, evidence)
        .where(_expired(now, days)).order_by(Case.state_changed_at, Case.id)).all()
    return [Candidate(*row[:5], messages=row[5], evidence=row[6]) for row in rows]


@dataclass
class Outcome:
    reference: str
    redacted: bool
    detail: str
    counts: dict[str, int] = field(default_factory=dict)


def redact_case(case_id: int, now: datetime | None = None) -> Outcome:
    """Redact one expired case and commit, or roll back and say why it was left alone."""
    now = now or utcnow()
    days = retention_days()
    try:
        query = select(Case, _blocker(now.date())).where(Case.id == case_id,
                                                          _expired(now, days))
        if is_postgresql():
            query = query.with_for_update(of=Case)
        row = db.session.execute(query).first()
        if row is None:
            db.session.rollback()
            return Outcome(str(case_id), False, "no longer due (changed or already redacted)")
        case, kept = row
        if kept:
            db.session.rollback()
            return Outcome(case.reference, False, f"kept: {kept}")
        closed_at = case.state_changed_at
        for name, value in CASE_FIELDS.items():
            setattr(case, name, value)
        counts = {
            "messages_redacted": _update(update(CaseMessage).where(CaseMessage.case_id == case.id)
                                         .values(body=REDACTED)),
            **_redact_workflow(case.id),
            **_redact_casework_and_mail(case.id),
        }
        disposed, files = _dispose_evidence(case, now)
        counts["evidence_deleted"] = disposed
        letters, letter_files = _dispose_letters(case.id)
        counts["letters_deleted"] = letters
        files += letter_files
        counts["files_deleted"] = len(files)
        for redactor in _redactors:
            counts.update(redactor(case, now))
        db.session.flush()
        event = audit.record(
            "case.redacted", case, case_ref=case.reference, actor=audit.SYSTEM,
            reason=f"Retention period of {days} days after closure ended",
            details={"closed_at": closed_at.isoformat(), "retention_days": days,
                     "fields": sorted(CASE_FIELDS), **counts})
        db.session.add(CaseRedaction(
            case_id=case.id, redacted_at=now, closed_at=closed_at, retention_days=days,
            messages_redacted=counts["messages_redacted"],
            evidence_deleted=counts["evidence_deleted"], audit_seq=event.seq))
        db.session.flush()
        # Files go last, just before the commit: an error above leaves every file in place.
        # If the commit itself failed, the files would be gone but the case not redacted; the
        # next run redacts it and records the files as already missing.
        for path in files:
            path.unlink(missing_ok=True)
        reference = case.reference
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return Outcome(reference, True, "redacted", counts)


def _update(statement: Any) -> int:
    return int(db.session.execute(statement, execution_options={"synchronize_session": False}
                                  ).rowcount or 0)


def _redact_workflow(case_id: int) -> dict[str, int]:
    """The procedure's free text: findings, reasons, grounds."""
    text_count = 0
    for column in (CaseWorkflow.findings_report, CaseWorkflow.decision_reasons,
                   CaseWorkflow.dismissal_reasons):
        text_count += _update(update(CaseWorkflow).where(CaseWorkflow.case_id == case_id,
                                                         column != "")
                              .values({column.key: REDACTED}))
    text_count += _update(update(PanelVote).where(PanelVote.case_id == case_id,
                                                  PanelVote.reasons != "")
                          .values(reasons=REDACTED))
    text_count += _update(update(PanelSeat).where(PanelSeat.case_id == case_id,
                                                  PanelSeat.recusal_reason != "")
                          .values(recusal_reason=REDACTED))
    text_count += _update(update(Appeal).where(Appeal.case_id == case_id)
                          .values(grounds=REDACTED))
    text_count += _update(update(Appeal).where(Appeal.case_id == case_id, Appeal.reasons != "")
                          .values(reasons=REDACTED))
    return {"procedure_texts_redacted": text_count}


def _redact_casework_and_mail(case_id: int) -> dict[str, int]:
    """Mail sent about the case (addresses and bodies; subjects carry only the reference),
    identity-disclosure and officer-assignment reasons, and the file names in hearing bundle
    manifests (their sizes and hashes stay: they prove what was handed out)."""
    from ..casework.models import HearingBundle, IdentityDisclosure, OfficerAssignment
    from ..mail.models import OutboxMessage

    mail = _update(update(OutboxMessage).where(OutboxMessage.case_id == case_id)
                   .values(to_address=REDACTED, body_text=REDACTED, body_html=""))
    texts = _update(update(IdentityDisclosure).where(IdentityDisclosure.case_id == case_id)
                    .values(reasons=REDACTED))
    texts += _update(update(OfficerAssignment).where(OfficerAssignment.case_id == case_id,
                                                     OfficerAssignment.reason != "")
                     .values(reason=REDACTED))
    for bundle in db.session.scalars(select(HearingBundle)
                                     .where(HearingBundle.case_id == case_id)):
        bundle.manifest = [{**entry, **{k: DELETED_FILE for k in entry if "name" in k}}
                           for entry in bundle.manifest or []]
        texts += 1
    return {"emails_redacted": mail, "casework_texts_redacted": texts}


def _dispose_letters(case_id: int) -> tuple[int, list[Any]]:
    """Generated letters name the parties: their PDFs go; the rows keep kind, date and SHA-256
    (proof of what was sent), with the file name replaced."""
    from ..notifications.letters import letter_path
    from ..notifications.models import CaseLetter

    rows = db.session.scalars(select(CaseLetter).where(CaseLetter.case_id == case_id)).all()
    files = []
    for letter in rows:
        path = letter_path(letter)
        if path.exists():
            files.append(path)
        letter.filename = DELETED_FILE
    return len(rows), files


def _dispose_evidence(case: Case, now: datetime) -> tuple[int, list[Any]]:
    """Mark every evidence row of the case; return how many, and the files to delete."""
    rows = db.session.scalars(select(Evidence).where(Evidence.case_id == case.id)).all()
    files = []
    for item in rows:
        path = path_of(item.stored_name)
        found = os.path.exists(path)
        if found:
            files.append(path)
        item.original_filename = DELETED_FILE
        db.session.add(EvidenceDisposal(evidence_id=item.id, case_id=case.id, disposed_at=now,
                                        file_found=found))
    return len(rows), files


def is_redacted(case_id: int) -> bool:
    return db.session.get(CaseRedaction, case_id) is not None
