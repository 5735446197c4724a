"""The only code that writes Code versions and pledges. Callers commit."""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer

from .. import audit
from ..accounts.models import User
from ..accounts.standing import standing_of
from ..code import Code
from ..extensions import db
from ..types import utcnow
from .models import CodeVersion, Pledge

_CACHE_KEY = "pledges.code_version_ids"


class PledgeRefused(ValueError):
    """Signing was refused; ``field`` names the form input, ``code_changed`` asks to re-show."""

    def __init__(self, message: str, field: str | None = None, *,
                 code_changed: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code_changed = code_changed


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def ensure_code_version_registered(code: Code) -> CodeVersion:
    """The ``CodeVersion`` row of ``code``, registering it (with one audit event) the first time
    its fingerprint is seen. Idempotent; cached per app process by fingerprint, so after the
    first call it costs one primary-key look-up. Adds to the current transaction; the caller
    commits (a concurrent registration of the same Code is absorbed by the UNIQUE fingerprint)."""
    cache: dict[str, int] = current_app.extensions.setdefault(_CACHE_KEY, {})
    known = cache.get(code.fingerprint)
    if known is not None:  # the Code's JSON (large) loads only if a caller reads it
        row = db.session.get(CodeVersion, known, options=[defer(CodeVersion.canonical_json)])
        if row is not None:
            return row
    row = db.session.scalar(select(CodeVersion).where(CodeVersion.fingerprint == code.fingerprint))
    if row is None:
        try:
            with db.session.begin_nested():
                row = CodeVersion(version=code.version, fingerprint=code.fingerprint,
                                  title=code.title, effective_date=code.effective_date,
                                  canonical_json=code.to_canonical_json(), registered_at=utcnow())
                db.session.add(row)
                db.session.flush()
                audit.record("code_version.registered", row,
                             details={"version": code.version, "fingerprint": code.fingerprint})
        except IntegrityError:  # another process registered it first
            row = db.session.scalar(
                select(CodeVersion).where(CodeVersion.fingerprint == code.fingerprint))
            assert row is not None
    cache[code.fingerprint] = row.id
    return row


def normalise_name(name: str) -> str:
    """Names are compared after Unicode NFC, collapsing white space and ignoring case: typing
    the name is an act of assent, not a password, so "jane  DOE" is Jane Doe; but a different
    spelling (or a missing accent) is a different name and is refused."""
    return " ".join(unicodedata.normalize("NFC", name).split()).casefold()


def sign_pledge(user: User, *, typed_name: str, consent: bool, shown_fingerprint: str,
                code: Code, ip: str | None = None, user_agent: str | None = None,
                now: datetime | None = None) -> Pledge:
    member = user.member
    if member is None:
        raise PledgeRefused("Only members of the association sign the pledge, and this account "
                            "is not linked to a membership.")
    standing = standing_of(member, (now or utcnow()).date())
    if not standing.may_sign_pledge:
        raise PledgeRefused(standing.why_no_pledge)
    if shown_fingerprint != code.fingerprint:
        raise PledgeRefused(
            "The Code of Ethics changed while you were reading it. Please read the current "
            "version below and sign again.", code_changed=True)
    if not consent:
        raise PledgeRefused("Tick the box to confirm that you agree to the pledge.", "consent")
    if normalise_name(typed_name) != normalise_name(member.full_name):
        raise PledgeRefused(
            "Type your full name exactly as it is on your membership: "
            f"{member.full_name}.", "typed_name")
    version = ensure_code_version_registered(code)
    pledge = Pledge(
        member_id=member.id, user_id=user.id, code_version_id=version.id,
        code_fingerprint=code.fingerprint, pledge_text_sha256=sha256_text(code.pledge.text),
        typed_name=" ".join(typed_name.split()), signed_at=now or utcnow(), ip=ip,
        user_agent=(user_agent or None) and user_agent[:300],
        verification_code=secrets.token_urlsafe(18),
    )
    db.session.add(pledge)
    db.session.flush()
    audit.record("pledge.signed", pledge, details={
        "member_id": member.id, "code_version_id": version.id, "code_version": code.version,
        "code_fingerprint": code.fingerprint, "pledge_text_sha256": pledge.pledge_text_sha256})
    return pledge
