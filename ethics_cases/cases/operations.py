"""The only code that creates or changes cases on the complainant's side.

Each function is one action: it changes rows, adds one audit event and queues any email, all in
the caller's transaction; the caller commits (and on failure rolls back and deletes the files it
wrote, see ``evidence.delete_stored``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from ..code import current_code
from ..extensions import db
from ..mail import queue_email
from ..types import utcnow
from ..urls import external_url
from . import auditing, drafts
from .evidence import StoredFile
from .models import Allegation, Audience, Case, CaseMessage, ComplaintDraft, Evidence, PartyKind
from .references import allocate_reference, hash_followup_key, normalise_reference
from .stages import can_withdraw

WIZARD_SECTIONS = ("about", "respondent", "events", "clauses", "outcome", "consent")
LOGIN_LINK_SALT = "case-login-link"
LOGIN_LINK_MAX_AGE = 3600


class IncompleteComplaint(ValueError):
    """The draft lacks a step; ``section`` names it, so the wizard can send the person there."""

    def __init__(self, section: str) -> None:
        super().__init__(f"section {section} is not complete")
        self.section = section


class NotAllowedNow(ValueError):
    """The action is not possible in the case's current state (message for the person)."""


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def file_complaint(draft: ComplaintDraft, followup_key: str, *, user: Any = None,
                   now: datetime | None = None) -> Case:
    """Turn a completed draft into a case in state ``submitted``.

    The draft is marked filed in the same transaction, so submitting it again finds the case
    (``draft.filed_case_id``) instead of filing twice.
    """
    if draft.filed_case_id is not None:
        return db.session.get(Case, draft.filed_case_id)  # type: ignore[return-value]
    for name in WIZARD_SECTIONS:
        if not drafts.is_complete(draft, name):
            raise IncompleteComplaint(name)
    about = drafts.section(draft, "about")
    respondent = drafts.section(draft, "respondent")
    events = drafts.section(draft, "events")
    clauses = drafts.section(draft, "clauses").get("clause_ids") or []
    outcome = drafts.section(draft, "outcome")
    consent = drafts.section(draft, "consent")
    now = now or utcnow()
    code = current_code()

    case = Case(
        reference=allocate_reference(now),
        state="submitted",
        respondent_member_id=int(respondent["member_id"]) if respondent.get("member_id")
        else None,
        respondent_description=respondent.get("description", "").strip(),
        complainant_name=about["name"],
        complainant_email=about.get("email") or None,
        complainant_phone=about.get("phone", ""),
        complainant_relationship=about["relationship"],
        complainant_user_id=getattr(user, "id", None) if getattr(
            user, "is_authenticated", False) else None,
        narrative=events["narrative"],
        conduct_start=_date(events.get("conduct_start")),
        conduct_end=_date(events.get("conduct_end")),
        location=events.get("location", ""),
        outcome_sought=outcome.get("outcome_sought", ""),
        withhold_identity=bool(consent.get("withhold_identity")),
        confidentiality_consented_at=datetime.fromisoformat(consent["consented_at"]),
        followup_key_hash=hash_followup_key(followup_key),
        submitted_at=now, updated_at=now, state_changed_at=now,
        code_fingerprint=code.fingerprint,
    )
    case.allegations = [
        Allegation(clause_id=clause_id, position=position)
        for position, clause_id in enumerate(c for c in clauses if code.has_clause(c))
    ]
    case.evidence = [
        _evidence_row(StoredFile(**item), PartyKind.COMPLAINANT, None, now)
        for item in drafts.files(draft)
    ]
    db.session.add(case)
    db.session.flush()
    draft.filed_case_id = case.id
    draft.data = {}  # the case holds it now; the draft row only remembers where it went

    auditing.act_as_complainant(case.reference)
    auditing.record(
        "complaint.filed", case, case_ref=case.reference,
        details={
            "clause_ids": [a.clause_id for a in case.allegations],
            "evidence_ids": [e.id for e in case.evidence],
            "respondent_member_id": case.respondent_member_id,
            "code_fingerprint": case.code_fingerprint,
        },
    )
    if case.complainant_email:
        queue_email(
            case.complainant_email, f"Your complaint {case.reference} has been received",
            "complaint_received", case=case,
            check_url=external_url("intake.check"),
        )
    return case


def _evidence_row(stored: StoredFile, kind: str, user_id: int | None, now: datetime) -> Evidence:
    return Evidence(
        original_filename=stored.original_filename, stored_name=stored.stored_name,
        sha256=stored.sha256, size=stored.size, content_type=stored.content_type,
        uploaded_by_kind=str(kind), uploaded_by_user_id=user_id, uploaded_at=now,
    )


def add_complainant_evidence(case: Case, stored: list[StoredFile]) -> list[Evidence]:
    now = utcnow()
    rows = [_evidence_row(item, PartyKind.COMPLAINANT, None, now) for item in stored]
    case.evidence.extend(rows)
    case.updated_at = now
    db.session.flush()
    auditing.record("evidence.added", case, case_ref=case.reference,
                    details={"evidence_ids": [row.id for row in rows],
                             "sha256": [row.sha256 for row in rows]})
    return rows


def add_party_reply(case: Case, author: PartyKind, body: str, in_reply_to: CaseMessage | None,
                    *, now: datetime, user_id: int | None = None) -> CaseMessage:
    """A party's message to the committee (flushed, not committed). A reply to an open request
    for information answers it: the one place that rule lives, for complainant and respondent."""
    message = CaseMessage(
        author_kind=author.value, author_user_id=user_id, audience=Audience.COMMITTEE.value,
        body=body, created_at=now, is_request=False,
        in_reply_to_id=in_reply_to.id if in_reply_to else None,
    )
    case.messages.append(message)
    if in_reply_to is not None and in_reply_to.is_request and in_reply_to.answered_at is None:
        in_reply_to.answered_at = now
    case.updated_at = now
    db.session.flush()
    return message


def reply_as_complainant(case: Case, body: str, in_reply_to: CaseMessage | None) -> CaseMessage:
    now = utcnow()
    if in_reply_to is not None and (
        in_reply_to.case_id != case.id
        or in_reply_to.audience not in (Audience.COMPLAINANT, Audience.PARTIES)
    ):
        raise NotAllowedNow("That message is not addressed to you.")
    message = add_party_reply(case, PartyKind.COMPLAINANT, body.strip(), in_reply_to, now=now)
    auditing.record("case.message.sent", message, case_ref=case.reference,
                    details={"message_id": message.id,
                             "in_reply_to_id": message.in_reply_to_id, "author": "complainant"})
    return message


def withdraw_complaint(case: Case, reason: str, user: Any = None, *,
                       expected_version: int | None = None) -> Case:
    """Withdraw through the workflow's own ``withdraw`` step: one transition, one audit event,
    committed by ``fire`` (unlike this module's other actions). ``user`` is the signed-in
    complainant when they have an account; otherwise the case grant acts as the complainant.
    ``expected_version`` is the version the complainant's page showed (default: as loaded).
    Raises ``NotAllowedNow`` when the procedure refuses, ``CaseChanged`` when someone else
    changed the case first."""
    from ..workflow import operations as workflow
    from ..workflow.context import Refused

    by_account = user is not None and getattr(user, "is_authenticated", False) and (
        user.id == case.complainant_user_id)
    if not can_withdraw(case.state):
        raise NotAllowedNow(
            "This complaint can no longer be withdrawn here, because a decision has been made "
            "or the case is finished. Please write to the committee instead."
        )
    try:
        return workflow.fire(case, "withdraw", user if by_account else None, {},
                             expected_version=(case.version if expected_version is None
                                               else expected_version), reason=reason,
                             complainant_grant=not by_account)
    except Refused as refusal:
        raise NotAllowedNow(refusal.message) from None


def find_case_by_reference(reference: str) -> Case | None:
    return db.session.scalar(
        select(Case).where(Case.reference == normalise_reference(reference))
    )


def _login_link_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=LOGIN_LINK_SALT)


def login_link_token(case: Case) -> str:
    # The key hash is part of the token, so a new key (if one is ever reissued) voids old links.
    return _login_link_serializer().dumps({"c": case.id, "k": case.followup_key_hash[:16]})


def case_from_login_link(token: str) -> Case | None:
    try:
        data = _login_link_serializer().loads(token, max_age=LOGIN_LINK_MAX_AGE)
    except (SignatureExpired, BadSignature):
        return None
    case = db.session.get(Case, data.get("c"))
    if case is None or case.followup_key_hash[:16] != data.get("k"):
        return None
    return case


def send_login_link(reference: str, email: str) -> None:
    """Email a sign-in link if ``reference`` exists and ``email`` is its complainant's address.

    Says nothing either way: the caller shows the same answer, so the form cannot be used to
    learn whether a reference exists or who filed it.
    """
    case = find_case_by_reference(reference)
    if case is None or not case.complainant_email:
        return
    if case.complainant_email.strip().casefold() != email.strip().casefold():
        return
    queue_email(
        case.complainant_email, f"Your link to complaint {case.reference}", "case_login_link",
        case=case, link=external_url("intake.login_link", token=login_link_token(case)),
        minutes=LOGIN_LINK_MAX_AGE // 60,
    )
    auditing.record("complaint.login_link_sent", case, case_ref=case.reference,
                    details={"case_id": case.id})
