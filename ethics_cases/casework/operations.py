"""Casework state changes. Each public function is one action: it checks, writes its rows and
exactly one audit event in one transaction, and commits (rolling back on any failure), like
``workflow.operations``. Views only parse forms and call these.

Who may do casework on a case (``may_work_on``): committee members, the chair and
administrators who are not a party to it, have not recused themselves from its panel, and, if
seated on it, have declared no conflict. Everyone else is refused (the views answer 404, so a
case's existence is not revealed to parties).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import lazyload

from .. import audit
from ..accounts.models import User, UserRole
from ..cases import evidence as evidence_store
from ..cases.models import Audience, Case, CaseMessage, Evidence, PartyKind
from ..extensions import db
from ..security import Role
from ..types import utcnow
from ..workflow.context import Refused
from ..workflow.models import CaseWorkflow, PanelSeat
from .models import (
    CaseTag,
    EndReason,
    HearingBundle,
    IdentityDisclosure,
    OfficerAssignment,
    Tag,
)

MAX_NOTE = 20_000
MAX_TAGS_PER_CASE = 12


class CaseworkRefused(Refused):
    """A casework action may not be taken; the same shape as a refused workflow step
    (``message`` in plain words, ``field`` to fix), so views show both alike."""


class VersionConflict(CaseworkRefused):
    """The case changed after the person loaded the form (optimistic lock)."""


# -- who may -----------------------------------------------------------------------------


def is_party(user: Any, case: Case) -> bool:
    respondent = case.respondent
    return bool((respondent is not None and respondent.user_id == user.id)
                or (case.complainant_user_id is not None and case.complainant_user_id == user.id))


def seats_of(user: Any, case: Case) -> list[PanelSeat]:
    return list(db.session.scalars(select(PanelSeat).where(
        PanelSeat.case_id == case.id, PanelSeat.user_id == user.id)))


def may_work_on(user: Any, case: Case) -> bool:
    """Committee (not a party), not recused from this case, and declared if seated."""
    if not (getattr(user, "is_authenticated", False) and getattr(user, "is_committee", False)):
        return False
    if is_party(user, case):
        return False
    seats = seats_of(user, case)
    if any(seat.recused_at is not None for seat in seats):
        return False
    return all(seat.conflict_declared_at is not None for seat in seats)


def is_chair(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.has_role(Role.CHAIR))


def _actor(user: User) -> audit.Actor:
    return audit.Actor("user", str(user.id), "User")


def _commit_or_rollback(work: Any) -> Any:
    try:
        result = work()
        db.session.commit()
        return result
    except BaseException:
        db.session.rollback()
        raise


# -- identity protection -------------------------------------------------------------------


def disclose_identity(case: Case, chair: User, reasons: str, expected_version: int) -> None:
    """The chair's recorded decision to disclose a withheld complainant identity to the
    respondent, with reasons. The complainant is told (a message on their case page)."""
    reasons = (reasons or "").strip()
    if not is_chair(chair) or is_party(chair, case):
        raise CaseworkRefused("Only the committee chair may decide to disclose an identity.")
    if not case.withhold_identity:
        raise CaseworkRefused("The complainant did not ask for their identity to be withheld.")
    if case.identity_disclosed_at is not None:
        raise CaseworkRefused("The identity was already disclosed.")
    if len(reasons) < 10:
        raise CaseworkRefused("Give the reasons for disclosing (they are recorded).", "reasons")
    if expected_version != case.version:
        raise VersionConflict("This case was changed after you opened it; reload it and "
                              "decide again.")

    def work() -> None:
        now = utcnow()
        decision = IdentityDisclosure(case_id=case.id, decided_by_user_id=chair.id,
                                      reasons=reasons, decided_at=now)
        db.session.add(decision)
        case.identity_disclosed_at = now
        case.updated_at = now
        case.messages.append(CaseMessage(
            author_kind=PartyKind.COMMITTEE.value, author_user_id=chair.id,
            audience=Audience.COMPLAINANT.value, created_at=now,
            body="The committee chair decided that your identity will be disclosed to the "
                 "member complained about. Reasons: " + reasons))
        db.session.flush()
        audit.record("case.identity_disclosed", case, case_ref=case.reference, reason=reasons,
                     actor=_actor(chair), details={"disclosure_id": decision.id})

    _commit_or_rollback(work)


# -- internal notes and party-only messages -------------------------------------------------

#: Who a committee message may be addressed to, and how the form labels it.
MESSAGE_AUDIENCES = {
    Audience.COMPLAINANT.value: "The complainant only",
    Audience.RESPONDENT.value: "The member complained about only",
    Audience.PARTIES.value: "Both parties",
}


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise CaseworkRefused("Write something first.", "body")
    if len(body) > MAX_NOTE:
        raise CaseworkRefused(f"Keep it under {MAX_NOTE:,} characters.", "body")
    return body


def add_note(case: Case, user: User, body: str) -> CaseMessage:
    """An internal note: a ``CaseMessage`` with audience ``internal``, which neither party's
    pages select. Audited without the text (the note is kept on the case)."""
    body = _clean_body(body)
    if not may_work_on(user, case):
        raise CaseworkRefused("You may not add notes to this case.")

    def work() -> CaseMessage:
        note = CaseMessage(author_kind=PartyKind.COMMITTEE.value, author_user_id=user.id,
                           audience=Audience.INTERNAL.value, body=body, created_at=utcnow())
        case.messages.append(note)
        db.session.flush()
        audit.record("case.note.added", case, case_ref=case.reference, actor=_actor(user),
                     details={"message_id": note.id})
        return note

    return _commit_or_rollback(work)


def send_message(case: Case, user: User, audience: str, body: str) -> CaseMessage:
    """A committee message to one party (the other never sees it) or to both."""
    if audience not in MESSAGE_AUDIENCES:
        raise CaseworkRefused("Choose who receives the message.", "audience")
    body = _clean_body(body)
    if not may_work_on(user, case):
        raise CaseworkRefused("You may not write to the parties on this case.")
    if audience != Audience.COMPLAINANT.value:
        flow = db.session.get(CaseWorkflow, case.id)
        if flow is None or flow.respondent_notified_at is None:
            raise CaseworkRefused("The member has not been told of this case yet; only the "
                                  "complainant can be written to.", "audience")

    def work() -> CaseMessage:
        message = CaseMessage(author_kind=PartyKind.COMMITTEE.value, author_user_id=user.id,
                              audience=audience, body=body, created_at=utcnow())
        case.messages.append(message)
        db.session.flush()
        audit.record("case.message.sent", case, case_ref=case.reference, actor=_actor(user),
                     details={"message_id": message.id, "audience": audience,
                              "author": "committee"})
        return message

    return _commit_or_rollback(work)


# -- case officer ----------------------------------------------------------------------------


def current_assignment(case_id: int) -> OfficerAssignment | None:
    return db.session.scalar(select(OfficerAssignment).where(
        OfficerAssignment.case_id == case_id, OfficerAssignment.ended_at.is_(None)))


def officer_problem(assignment: OfficerAssignment | None, case: Case) -> str | None:
    """Why the current officer can no longer act (``left`` / ``recused``), else None."""
    if assignment is None:
        return None
    officer = assignment.officer
    if not officer.active or not officer.is_committee:
        return EndReason.LEFT
    if any(seat.recused_at is not None for seat in seats_of(officer, case)):
        return EndReason.RECUSED
    return None


def eligible_officers(case: Case) -> list[User]:
    """Active committee members and chairs who are not parties and not recused here."""
    recused = set(db.session.scalars(select(PanelSeat.user_id).where(
        PanelSeat.case_id == case.id, PanelSeat.recused_at.is_not(None))))
    users = db.session.scalars(
        select(User).join(UserRole).where(
            UserRole.role.in_([Role.COMMITTEE.value, Role.CHAIR.value]), User.active.is_(True))
        .distinct().order_by(User.full_name)
        # A choice list: ids and names; roles and roll entries load only if something asks.
        .options(lazyload(User.role_grants), lazyload(User.member)))
    return [u for u in users if u.id not in recused and not is_party(u, case)]


def assign_officer(case: Case, by: User, officer_id: int | None, reason: str = "") -> None:
    """Make ``officer_id`` the case officer. Reassigning ends the current assignment, recording
    why: the officer left (deactivated), recused, or an ordinary reassignment."""
    if not (is_chair(by) and may_work_on(by, case)):
        raise CaseworkRefused("Only the committee chair assigns case officers.")
    officer = next((u for u in eligible_officers(case) if u.id == officer_id), None)
    if officer is None:
        raise CaseworkRefused("Choose an active committee member who is not a party to the "
                              "case and has not recused themselves from it.", "officer_id")
    current = current_assignment(case.id)
    if current is not None and current.officer_user_id == officer.id:
        raise CaseworkRefused(f"{officer.full_name} is already the case officer.", "officer_id")
    reason = (reason or "").strip()[:2000]

    def work() -> None:
        now = utcnow()
        previous = None
        end_reason = None
        if current is not None:
            previous = current.officer_user_id
            end_reason = officer_problem(current, case) or EndReason.REASSIGNED
            current.ended_at = now
            current.end_reason = end_reason
            db.session.flush()  # the partial unique index: the old row ends first
        db.session.add(OfficerAssignment(case_id=case.id, officer_user_id=officer.id,
                                         assigned_by_user_id=by.id, assigned_at=now,
                                         reason=reason))
        db.session.flush()
        audit.record("case.officer.reassigned" if previous else "case.officer.assigned", case,
                     case_ref=case.reference, reason=reason or None, actor=_actor(by),
                     details={"officer_user_id": officer.id, "previous_user_id": previous,
                              "previous_end_reason": end_reason})

    _commit_or_rollback(work)


def cases_needing_reassignment() -> list[tuple[Case, OfficerAssignment, str]]:
    """Open cases whose current officer left the committee or recused (two queries)."""
    rows = db.session.execute(
        select(Case, OfficerAssignment).join(OfficerAssignment,
                                             OfficerAssignment.case_id == Case.id)
        .where(OfficerAssignment.ended_at.is_(None),
               Case.state.not_in(("closed", "withdrawn", "dismissed")))
        .order_by(Case.submitted_at)).all()
    recused = {(row[0], row[1]) for row in db.session.execute(
        select(PanelSeat.case_id, PanelSeat.user_id).where(
            PanelSeat.recused_at.is_not(None),
            PanelSeat.case_id.in_([case.id for case, _ in rows] or [0])))}
    found = []
    for case, assignment in rows:
        officer = assignment.officer
        if not officer.active or not officer.is_committee:
            found.append((case, assignment, EndReason.LEFT))
        elif (case.id, officer.id) in recused:
            found.append((case, assignment, EndReason.RECUSED))
    return found


# -- tags --------------------------------------------------------------------------------------


def slugify(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


def create_tag(user: User, name: str, description: str = "") -> Tag:
    name = " ".join((name or "").split())[:80]
    if not (getattr(user, "is_committee", False)):
        raise CaseworkRefused("Only the committee manages tags.")
    slug = slugify(name)
    if not slug:
        raise CaseworkRefused("Give the tag a name (letters or digits).", "name")
    if db.session.scalar(select(Tag).where(Tag.slug == slug)) is not None:
        raise CaseworkRefused(f"A tag called “{name}” already exists.", "name")

    def work() -> Tag:
        tag = Tag(slug=slug, name=name, description=(description or "").strip()[:2000],
                  created_by_user_id=user.id, created_at=utcnow())
        db.session.add(tag)
        db.session.flush()
        audit.record("case_tag.created", tag, actor=_actor(user),
                     details={"slug": slug})
        return tag

    return _commit_or_rollback(work)


def tag_case(case: Case, user: User, tag_id: int | None) -> None:
    if not may_work_on(user, case):
        raise CaseworkRefused("You may not tag this case.")
    tag = db.session.get(Tag, tag_id) if tag_id else None
    if tag is None:
        raise CaseworkRefused("Choose a tag.", "tag_id")
    existing = set(db.session.scalars(select(CaseTag.tag_id).where(CaseTag.case_id == case.id)))
    if tag.id in existing:
        raise CaseworkRefused(f"The case is already tagged “{tag.name}”.", "tag_id")
    if len(existing) >= MAX_TAGS_PER_CASE:
        raise CaseworkRefused(f"A case takes at most {MAX_TAGS_PER_CASE} tags.", "tag_id")

    def work() -> None:
        db.session.add(CaseTag(case_id=case.id, tag_id=tag.id, added_by_user_id=user.id,
                               added_at=utcnow()))
        db.session.flush()
        audit.record("case.tag.added", case, case_ref=case.reference, actor=_actor(user),
                     details={"tag": tag.slug})

    _commit_or_rollback(work)


def untag_case(case: Case, user: User, tag_id: int | None) -> None:
    if not may_work_on(user, case):
        raise CaseworkRefused("You may not change this case's tags.")
    link = db.session.get(CaseTag, (case.id, tag_id)) if tag_id else None
    if link is None:
        raise CaseworkRefused("The case does not carry that tag.")

    def work() -> None:
        slug = link.tag.slug
        db.session.delete(link)
        db.session.flush()
        audit.record("case.tag.removed", case, case_ref=case.reference, actor=_actor(user),
                     details={"tag": slug})

    _commit_or_rollback(work)


# -- hearing bundle -----------------------------------------------------------------------------


class BundleIntegrityError(CaseworkRefused):
    """A stored document no longer matches the SHA-256 recorded when it was uploaded."""


@dataclass
class Bundle:
    filename: str
    data: bytes
    record: HearingBundle


def _safe_name(position: int, name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._ -]+", "_", name).strip(" .") or "document"
    return f"documents/{position:03d}-{cleaned[:120]}"


def _index_text(case: Case, manifest: list[dict[str, Any]], generated_at: datetime,
                by: User, extra: dict[str, str]) -> str:
    lines = [
        f"HEARING BUNDLE - case {case.reference}",
        f"Generated {generated_at:%Y-%m-%d %H:%M} UTC by {by.full_name}",
        "Confidential: for the panel hearing this case only.",
        "",
        f"Member complained about: {case.respondent_name}",
        f"Complainant: {case.complainant_name}"
        + (" (identity withheld from the member)" if case.withhold_identity
           and case.identity_disclosed_at is None else ""),
        f"State: {case.state}",
        f"Allegations: {', '.join(a.clause_id for a in case.allegations) or 'none cited'}",
        "",
        "CONTENTS",
        "  complaint.txt - the complaint as filed",
    ]
    for name in extra:
        if name != "complaint.txt":
            lines.append(f"  {name}")
    lines += ["", "DOCUMENTS (SHA-256 verified against the stored hash at generation time)"]
    for entry in manifest:
        lines.append(f"  {entry['path']}")
        lines.append(f"    original name: {entry['original_filename']}; uploaded by "
                     f"{entry['uploaded_by']} on {entry['uploaded_at'][:10]}; "
                     f"{entry['size']} bytes")
        lines.append(f"    sha256 {entry['sha256']}")
    if not manifest:
        lines.append("  (no documents)")
    lines += ["", "manifest.json lists the same documents; verify a file with: "
              "sha256sum documents/<file>"]
    return "\n".join(lines) + "\n"


def _complaint_text(case: Case) -> str:
    return "\n".join([
        f"Case {case.reference}, filed {case.submitted_at:%Y-%m-%d %H:%M} UTC",
        f"Complainant: {case.complainant_name} ({case.relationship_label})",
        f"Member complained about: {case.respondent_name}",
        f"Conduct: {case.conduct_start or 'date not given'}"
        + (f" to {case.conduct_end}" if case.conduct_end else "")
        + (f", {case.location}" if case.location else ""),
        "", "WHAT HAPPENED", case.narrative, "", "OUTCOME SOUGHT", case.outcome_sought or "-",
        "",
    ])


def generate_bundle(case: Case, user: User) -> Bundle:
    """Build the hearing bundle ZIP (index.txt, manifest.json, complaint.txt, findings.txt if
    any, messages.txt, documents/...). Each document's bytes are hashed as they are read and
    compared with ``Evidence.sha256``: a mismatch (or a missing file) refuses the bundle rather
    than hand the panel a file that is not what was filed. Recorded as a ``HearingBundle`` row
    and one audit event."""
    if not may_work_on(user, case):
        raise CaseworkRefused("The hearing bundle is for the committee and the case's panel.")
    items = list(db.session.scalars(select(Evidence).where(Evidence.case_id == case.id)
                                    .order_by(Evidence.uploaded_at, Evidence.id)))
    generated_at = utcnow()
    manifest: list[dict[str, Any]] = []
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for position, item in enumerate(items, start=1):
            try:
                data = evidence_store.path_of(item.stored_name).read_bytes()
            except OSError:
                raise BundleIntegrityError(
                    f"Document “{item.original_filename}” is missing from storage; the bundle "
                    "was not generated. Tell the administrator.") from None
            digest = hashlib.sha256(data).hexdigest()
            if digest != item.sha256:
                raise BundleIntegrityError(
                    f"Document “{item.original_filename}” no longer matches the hash recorded "
                    "at upload; the bundle was not generated. Tell the administrator.")
            path = _safe_name(position, item.original_filename)
            archive.writestr(path, data)
            manifest.append({
                "path": path, "evidence_id": item.id,
                "original_filename": item.original_filename, "size": len(data),
                "sha256": digest, "uploaded_by": item.uploaded_by_kind,
                "uploaded_at": item.uploaded_at.isoformat(), "verified": True,
            })
        extra: dict[str, str] = {"complaint.txt": _complaint_text(case)}
        flow = db.session.get(CaseWorkflow, case.id)
        if flow is not None and flow.findings_report:
            extra["findings.txt"] = flow.findings_report + "\n"
        messages = [m for m in case.messages]
        if messages:
            extra["messages.txt"] = "\n\n".join(
                f"[{m.created_at:%Y-%m-%d %H:%M}] {m.author_kind} -> {m.audience}"
                f"{' (internal note)' if m.audience == Audience.INTERNAL.value else ''}\n"
                f"{m.body}" for m in messages) + "\n"
        archive.writestr("index.txt", _index_text(case, manifest, generated_at, user, extra))
        archive.writestr("manifest.json", json.dumps({
            "case": case.reference, "generated_at": generated_at.isoformat(),
            "generated_by_user_id": user.id, "documents": manifest,
        }, indent=2, sort_keys=True))
        for name, text in extra.items():
            archive.writestr(name, text)
    data = buffer.getvalue()
    zip_digest = hashlib.sha256(data).hexdigest()

    def work() -> HearingBundle:
        record = HearingBundle(case_id=case.id, generated_by_user_id=user.id,
                               generated_at=generated_at, document_count=len(manifest),
                               zip_sha256=zip_digest, manifest=manifest)
        db.session.add(record)
        db.session.flush()
        audit.record("case.bundle.generated", case, case_ref=case.reference, actor=_actor(user),
                     details={"bundle_id": record.id, "documents": len(manifest),
                              "zip_sha256": zip_digest,
                              "sha256": [entry["sha256"] for entry in manifest]})
        return record

    record = _commit_or_rollback(work)
    return Bundle(f"{case.reference}-hearing-bundle-{generated_at:%Y%m%d-%H%M}.zip", data,
                  record)
