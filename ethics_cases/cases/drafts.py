"""The complaint being written, kept server-side between the steps of the wizard.

The session holds a random token and the follow-up key that will be shown on the receipt: the
key is made when the draft starts, so a double submit (whose first response the browser threw
away) can still show the receipt with the key, while the database only ever holds its hash.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from flask import session
from sqlalchemy import select

from ..extensions import db
from ..types import utcnow
from . import evidence
from .models import ComplaintDraft
from .references import generate_followup_key

DRAFT_SESSION_FIELD = "complaint_draft"
KEY_SESSION_FIELD = "complaint_followup_key"
DRAFT_LIFETIME = timedelta(hours=24)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def current_draft(*, for_update: bool = False) -> ComplaintDraft | None:
    token = session.get(DRAFT_SESSION_FIELD)
    if not token:
        return None
    query = select(ComplaintDraft).where(ComplaintDraft.token_hash == _hash(token))
    if for_update:
        query = query.with_for_update()  # PostgreSQL: serialise double submits of one draft
    draft = db.session.scalar(query)
    if draft is None or (draft.filed_case_id is None and draft.expires_at < utcnow()):
        return None
    return draft


def start_draft() -> ComplaintDraft:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    draft = ComplaintDraft(token_hash=_hash(token), data={}, created_at=now, updated_at=now,
                           expires_at=now + DRAFT_LIFETIME)
    db.session.add(draft)
    session[DRAFT_SESSION_FIELD] = token
    session[KEY_SESSION_FIELD] = generate_followup_key()
    return draft


def draft_or_new() -> ComplaintDraft:
    draft = current_draft()
    if draft is None or draft.filed_case_id is not None:
        draft = start_draft()
    return draft


def followup_key_of_session() -> str | None:
    return session.get(KEY_SESSION_FIELD)


def forget_draft() -> None:
    """After the receipt was seen: nothing of the complaint stays in this browser."""
    session.pop(DRAFT_SESSION_FIELD, None)
    session.pop(KEY_SESSION_FIELD, None)


def save_section(draft: ComplaintDraft, section: str, values: dict[str, Any],
                 *, complete: bool) -> None:
    """Keep what was typed, valid or not (nothing is lost on Back or on an error); ``complete``
    records whether the step passed its checks, which filing requires of every step."""
    data = dict(draft.data or {})
    data[section] = values
    done = set(data.get("complete") or [])
    if complete:
        done.add(section)
    else:
        done.discard(section)
    data["complete"] = sorted(done)
    draft.data = data  # a new dict, so SQLAlchemy sees the change
    draft.updated_at = utcnow()
    draft.expires_at = utcnow() + DRAFT_LIFETIME


def section(draft: ComplaintDraft | None, name: str) -> dict[str, Any]:
    if draft is None:
        return {}
    return dict((draft.data or {}).get(name) or {})


def is_complete(draft: ComplaintDraft | None, name: str) -> bool:
    return draft is not None and name in ((draft.data or {}).get("complete") or [])


def files(draft: ComplaintDraft | None) -> list[dict[str, Any]]:
    if draft is None:
        return []
    return list((draft.data or {}).get("files") or [])


def add_files(draft: ComplaintDraft, stored: list[evidence.StoredFile]) -> None:
    data = dict(draft.data or {})
    data["files"] = [*files(draft), *(item.as_dict() for item in stored)]
    draft.data = data


def remove_file(draft: ComplaintDraft, stored_name: str) -> bool:
    kept = [item for item in files(draft) if item["stored_name"] != stored_name]
    if len(kept) == len(files(draft)):
        return False
    data = dict(draft.data or {})
    data["files"] = kept
    draft.data = data
    return True


def sweep_orphan_files(now: datetime | None = None) -> int:
    """Delete evidence files no row refers to (a crash between writing a file and committing
    its row), once they are older than a draft's lifetime. Returns how many."""
    from .models import Evidence

    now = now or utcnow()
    referenced = set(db.session.scalars(select(Evidence.stored_name)))
    for draft in db.session.scalars(select(ComplaintDraft)):
        referenced.update(item["stored_name"] for item in files(draft))
    cutoff = (now - DRAFT_LIFETIME).timestamp()
    removed = 0
    for path in evidence.evidence_folder().iterdir():
        name = path.name.removesuffix(".part")
        if name not in referenced and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def sweep_expired(now: datetime | None = None) -> int:
    """Delete unfiled drafts past their expiry, and their files. Returns how many."""
    now = now or utcnow()
    expired = db.session.scalars(
        select(ComplaintDraft).where(
            ComplaintDraft.expires_at < now, ComplaintDraft.filed_case_id.is_(None)
        )
    ).all()
    names = [item["stored_name"] for draft in expired for item in files(draft)]
    for draft in expired:
        db.session.delete(draft)
    db.session.commit()
    for name in names:
        evidence.delete_stored(name)
    return len(expired)
