"""External checkpoints: the chain's head sealed with an HMAC key kept outside the database.

Whoever can write the database can rebuild a whole chain with valid hashes, or truncate it;
they cannot produce a valid MAC without the key. Keep checkpoint files (and the key) somewhere
the database's administrators cannot write, e.g. mail them or commit them elsewhere.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import Connection, select

from ..types import utcnow
from .chain import canonical_json, format_timestamp
from .models import AuditCheckpoint, AuditEvent
from .verify import Seal

KEY_FILE_NAME = "audit_checkpoint.key"


class CheckpointError(ValueError):
    """A checkpoint file that cannot be trusted (unreadable, or its MAC is wrong)."""


def checkpoint_key(*, create: bool = False) -> bytes | None:
    """AUDIT_CHECKPOINT_KEY from the config, else a key file in the instance folder."""
    configured = current_app.config.get("AUDIT_CHECKPOINT_KEY")
    if configured:
        return str(configured).encode()
    path = Path(current_app.instance_path) / KEY_FILE_NAME
    if not path.exists():
        if not create:
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(os.urandom(32).hex())
    return path.read_text().strip().encode()


def _mac(key: bytes, body: dict[str, Any]) -> str:
    return hmac.new(key, canonical_json(body).encode(), hashlib.sha256).hexdigest()


def make_checkpoint(connection: Connection) -> dict[str, Any]:
    """Seal the current head; also stores it in ``audit_checkpoints`` (the caller commits)."""
    key = checkpoint_key(create=True)
    assert key is not None
    head = connection.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    now = utcnow()
    body = {"v": 1, "created_at": format_timestamp(now), "seq": head.seq if head else 0,
            "hash": head.hash if head else "0" * 64}
    body["mac"] = _mac(key, body)
    connection.execute(AuditCheckpoint.__table__.insert().values(
        created_at=now, seq=body["seq"], head_hash=body["hash"], mac=body["mac"]))
    return body


def seal_from_record(record: dict[str, Any], key: bytes, source: str) -> Seal:
    body = {name: record.get(name) for name in ("v", "created_at", "seq", "hash")}
    if not hmac.compare_digest(_mac(key, body), str(record.get("mac", ""))):
        raise CheckpointError(f"{source}: the MAC does not match (forged, edited or another key)")
    return Seal(int(body["seq"]), str(body["hash"]), source)


def read_checkpoint_file(path: str | Path, key: bytes) -> Seal:
    try:
        record = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise CheckpointError(f"{path}: cannot read checkpoint: {error}") from None
    return seal_from_record(record, key, f"checkpoint file {path}")


def stored_seals(connection: Connection, key: bytes) -> list[Seal]:
    """Checkpoints kept in the database; one with a bad MAC is itself evidence of tampering."""
    seals = []
    for row in connection.execute(select(AuditCheckpoint.__table__).order_by("id")):
        record = {"v": 1, "created_at": format_timestamp(row.created_at), "seq": row.seq,
                  "hash": row.head_hash, "mac": row.mac}
        seals.append(seal_from_record(record, key, f"stored checkpoint #{row.id} of "
                                                   f"{record['created_at']}"))
    return seals
