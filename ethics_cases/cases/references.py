"""Case references (``EC-2026-0042``) and the complainant's secret follow-up key.

References come from a per-year counter row bumped by one atomic upsert in the filing
transaction: concurrent filings queue on that row (PostgreSQL row lock; SQLite's single
writer), so no two cases ever get the same number and no max()+1 race exists.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime

from flask import current_app
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..extensions import db
from .models import CaseReferenceCounter

REFERENCE_PATTERN = re.compile(r"^EC-(\d{4})-(\d{4,})$")

# No 0/O, 1/I/L: a key read aloud or copied from paper must not be ambiguous.
KEY_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
KEY_GROUPS = 4
KEY_GROUP_LENGTH = 6  # 24 characters of a 31-letter alphabet: 24 * log2(31) ≈ 119 bits


def allocate_reference(filed_at: datetime) -> str:
    """The next reference of ``filed_at``'s year, in the current transaction."""
    table = CaseReferenceCounter.__table__
    insert = postgresql_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(table)
        .values(year=filed_at.year, last_number=1)
        .on_conflict_do_update(
            index_elements=[table.c.year], set_={"last_number": table.c.last_number + 1}
        )
        .returning(table.c.last_number)
    )
    number = db.session.execute(statement).scalar_one()
    return f"EC-{filed_at.year}-{number:04d}"


def normalise_reference(text: str) -> str:
    return re.sub(r"\s+", "", text or "").upper()


def generate_followup_key() -> str:
    """A random key like ``K7QX2M-PD4RTA-...``, shown to the complainant once."""
    groups = (
        "".join(secrets.choice(KEY_ALPHABET) for _ in range(KEY_GROUP_LENGTH))
        for _ in range(KEY_GROUPS)
    )
    return "-".join(groups)


def normalise_key(text: str) -> str:
    """Forgive case, spaces and dashes: people copy keys from paper and emails."""
    return re.sub(r"[^0-9A-Za-z]", "", text or "").upper()


def hash_followup_key(key: str) -> str:
    """HMAC-SHA256 of the normalised key with a server secret.

    A deliberately slow hash (scrypt) protects *guessable* passwords; this key has ~119 random
    bits, so nobody can search it offline however fast the hash, and a slow hash would only make
    every check cost CPU an attacker can make us spend. The HMAC key (FOLLOWUP_KEY_SECRET,
    else SECRET_KEY) also means a copy of the database alone cannot even test a guess.
    """
    secret = current_app.config.get("FOLLOWUP_KEY_SECRET") or current_app.config["SECRET_KEY"]
    return hash_key_with(str(secret), key)


def hash_key_with(secret: str, key: str) -> str:
    digest = hmac.new(secret.encode(), b"followup-key:" + normalise_key(key).encode(),
                      hashlib.sha256)
    return digest.hexdigest()


def followup_key_matches(key: str, stored_hash: str | None) -> bool:
    """Constant-time comparison; with ``stored_hash=None`` (no such case) the same work is done
    against a dummy, so timing does not reveal whether a reference exists."""
    candidate = hash_followup_key(key)
    return hmac.compare_digest(candidate, stored_hash or "0" * len(candidate)) and bool(
        stored_hash
    )
