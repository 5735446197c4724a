"""The canonical serialisation and hashing of audit events (format version 1).

This module is the specification an outside party re-implements to verify an export, so it
uses nothing but the standard library and is documented in the README ("Audit trail"):

* the event is a flat JSON object with the keys of ``CANONICAL_KEYS``;
* serialised as ``json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``
  and encoded as UTF-8; timestamps are UTC strings ``YYYY-MM-DDTHH:MM:SS.ffffffZ``; no floats
  anywhere (they do not round-trip between languages);
* ``hash = SHA-256(prev_hash_hex + "\\n" + canonical)`` as lowercase hex; the first event's
  ``prev_hash`` is 64 zeros (``GENESIS``).
"""

from __future__ import annotations

import enum
import hashlib
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

FORMAT_VERSION = 1
GENESIS = "0" * 64
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
CANONICAL_KEYS = (
    "v", "seq", "created_at", "actor_kind", "actor_id", "actor_label", "action",
    "subject_kind", "subject_id", "case_ref", "reason", "details", "ip", "user_agent",
)


def format_timestamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("audit timestamps must be timezone-aware")
    return moment.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


def parse_timestamp(text: str) -> datetime:
    return datetime.strptime(text, TIMESTAMP_FORMAT).replace(tzinfo=UTC)


def normalise(value: Any, path: str = "details") -> Any:
    """Turn ``value`` into plain JSON data that serialises the same way in every language.

    Floats are refused (binary rounding differs between serialisers); use int, str or Decimal
    (stored as its string). Dates and datetimes become ISO strings, enums their value.
    """
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        raise TypeError(f"{path}: floats are not allowed in audit details; use int, str or Decimal")
    if isinstance(value, enum.Enum):
        return normalise(value.value, path)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        result = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{path}: keys must be strings, got {key!r}")
            result[key] = normalise(item, f"{path}.{key}")
        return result
    if isinstance(value, (list, tuple)):
        return [normalise(item, f"{path}[{index}]") for index, item in enumerate(value)]
    raise TypeError(f"{path}: cannot store {type(value).__name__} in audit details")


def canonical_json(fields: dict[str, Any]) -> str:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(prev_hash: str, canonical: str) -> str:
    return hashlib.sha256(f"{prev_hash}\n{canonical}".encode()).hexdigest()
