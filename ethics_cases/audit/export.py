"""Export events with their hashes, so an outside party can re-verify them (README: "Audit
trail"). Each event is exported as the record that was hashed, plus ``prev_hash`` and ``hash``:
even a subsequence (one case) lets each event's own hash be checked."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import datetime
from typing import IO, Any

from sqlalchemy import Connection, select

from .chain import CANONICAL_KEYS, canonical_json
from .models import AuditEvent

_TABLE = AuditEvent.__table__
CSV_COLUMNS = (*CANONICAL_KEYS, "prev_hash", "hash", "canonical")


def exported_rows(connection: Connection, *, case_ref: str | None = None,
                  since: datetime | None = None) -> Iterator[Any]:
    query = select(_TABLE.c.prev_hash, _TABLE.c.hash, _TABLE.c.canonical).order_by(_TABLE.c.seq)
    if case_ref:
        query = query.where(_TABLE.c.case_ref == case_ref)
    if since is not None:
        query = query.where(_TABLE.c.created_at >= since)
    yield from connection.execution_options(yield_per=5_000).execute(query)


def write_jsonl(rows: Iterator[Any], out: IO[str]) -> int:
    count = 0
    for row in rows:
        line = {"event": json.loads(row.canonical), "prev_hash": row.prev_hash, "hash": row.hash}
        out.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
        count += 1
    return count


def write_csv(rows: Iterator[Any], out: IO[str]) -> int:
    """One column per field (details as canonical JSON), and the exact hashed text."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    count = 0
    for row in rows:
        event = json.loads(row.canonical)
        values = [canonical_json(event[k]) if k == "details" else event.get(k)
                  for k in CANONICAL_KEYS]
        writer.writerow(["" if v is None else v for v in values]
                        + [row.prev_hash, row.hash, row.canonical])
        count += 1
    return count
