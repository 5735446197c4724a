"""Walk the chain and report the first event that does not hold.

Rows are streamed with SQLAlchemy Core (server-side cursor, batches), never as ORM objects.
Two modes:

* full (default): each row's stored canonical text re-hashes to its hash, links to the previous
  hash, AND every column still equals what was hashed (an edited column is tampering too);
* fast: hashes and links only; misses a column edited without touching ``canonical``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Row, create_engine, func, select
from sqlalchemy.pool import NullPool

from .chain import FORMAT_VERSION, GENESIS, chain_hash, format_timestamp
from .models import AuditEvent

BATCH_SIZE = 5_000
_TABLE = AuditEvent.__table__
_COLUMNS = ("seq", "created_at", "actor_kind", "actor_id", "actor_label", "action",
            "subject_kind", "subject_id", "case_ref", "reason", "details", "ip", "user_agent")


@dataclass(frozen=True)
class Problem:
    seq: int
    kind: str  # changed | missing | inserted | reordered | forged | truncated | checkpoint
    message: str


@dataclass
class Verification:
    events: int = 0
    head: str = GENESIS
    head_seq: int = 0
    problem: Problem | None = None
    checkpoints_checked: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problem is None

    def summary(self) -> str:
        if self.problem is None:
            return f"{self.events} events, chain intact, head {self.head}"
        return f"chain BROKEN at event {self.problem.seq}: {self.problem.message}"


@dataclass(frozen=True)
class Seal:
    """A trusted (MAC-checked) statement that event ``seq`` had hash ``hash``."""

    seq: int
    hash: str
    source: str


def _row_fields(row: Row[Any]) -> dict[str, Any]:
    values = row._mapping
    fields = {name: values[name] for name in _COLUMNS}
    fields["created_at"] = format_timestamp(fields["created_at"])
    fields["v"] = FORMAT_VERSION
    return fields


def _describe_change(row: Row[Any], hashed: dict[str, Any]) -> str:
    current = _row_fields(row)
    changed = [name for name in sorted(hashed.keys() | current.keys())
               if hashed.get(name) != current.get(name)]
    name = changed[0]
    return (f"column {name!r} was changed: the row says {current.get(name)!r}, "
            f"the hashed record says {hashed.get(name)!r}")


def stream_rows(connection: Connection, *, full: bool) -> Iterator[Row[Any]]:
    """Rows in sequence order, in batches through a server-side cursor (closed on exit)."""
    columns = [_TABLE.c.prev_hash, _TABLE.c.hash, _TABLE.c.canonical]
    columns += [_TABLE.c[name] for name in _COLUMNS] if full else [_TABLE.c.seq]
    with connection.execution_options(yield_per=BATCH_SIZE).execute(
        select(*columns).order_by(_TABLE.c.seq)
    ) as result:
        yield from result


def head_seq(connection: Connection) -> int:
    return connection.scalar(select(func.coalesce(func.max(_TABLE.c.seq), 0))) or 0


def verify_chain(
    connection: Connection,
    *,
    full: bool = True,
    seals: Iterable[Seal] = (),
    progress: Callable[[int], None] | None = None,
    progress_every: int = 10_000,
) -> Verification:
    """Check every event in sequence order; report the first problem.

    A quick pass over raw driver rows decides whether the chain holds (most of the time is
    then spent hashing, not in row objects); only if it does not, a second, detailed pass
    names the first broken event and why.
    """
    seals = list(seals)
    quick = _quick_pass(connection, full, seals, progress, progress_every)
    if quick is not None:
        return quick
    return _detailed_pass(connection, full, seals)


def _raw_rows(connection: Connection, columns: list[str]) -> Iterator[tuple[Any, ...]]:
    """Driver tuples in sequence order, through a server-side cursor on PostgreSQL."""
    driver = connection.connection.driver_connection
    query = select(*(_TABLE.c[name] for name in columns)).order_by(_TABLE.c.seq)
    sql = str(query.compile(dialect=connection.dialect))
    if connection.dialect.name == "postgresql":
        cursor = driver.cursor(name="audit_verify")  # type: ignore[union-attr]
        cursor.itersize = BATCH_SIZE
    else:
        cursor = driver.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql)
        while batch := cursor.fetchmany(BATCH_SIZE):
            yield from batch
    finally:
        cursor.close()


def _raw_fields(row: tuple[Any, ...]) -> dict[str, Any]:
    """A raw driver row (columns in ``_COLUMNS`` order) as the canonical object."""
    fields = dict(zip(_COLUMNS, row, strict=False))
    moment = fields["created_at"]
    fields["created_at"] = (moment.replace(" ", "T") + "Z" if isinstance(moment, str)
                            else format_timestamp(moment))
    if isinstance(fields["details"], str):  # SQLite keeps JSON as text
        fields["details"] = json.loads(fields["details"])
    fields["v"] = FORMAT_VERSION
    return fields


def _quick_pass(
    connection: Connection, full: bool, seals: list[Seal],
    progress: Callable[[int], None] | None, progress_every: int,
) -> Verification | None:
    """The whole chain at near hashing speed; None as soon as anything is off."""
    sealed: dict[int, set[str]] = {}
    for seal in seals:
        sealed.setdefault(seal.seq, set()).add(seal.hash)
    sha256, loads = hashlib.sha256, json.loads
    previous, count, checked = GENESIS, 0, 0
    columns = ["hash", "canonical", *(_COLUMNS if full else ())]
    with contextlib.closing(_raw_rows(connection, columns)) as rows:
        for row in rows:
            digest, canonical = row[0], row[1]
            # The hash covers the previous event's hash, so a deleted, inserted or reordered
            # row breaks it; the stored prev_hash column is checked in the full mode.
            if sha256(f"{previous}\n{canonical}".encode()).hexdigest() != digest:
                return None
            count += 1
            if full and loads(canonical) != _raw_fields(row[2:]):
                return None
            if count in sealed:
                if sealed[count] != {digest}:
                    return None
                checked += len([s for s in seals if s.seq == count])
            previous = digest
            if progress is not None and count % progress_every == 0:
                progress(progress_every)
    if any(seq > count for seq in sealed):
        return None
    if full and not _prev_hash_column_intact(connection):
        return None
    return Verification(events=count, head=previous, head_seq=count, checkpoints_checked=checked)


def _prev_hash_column_intact(connection: Connection) -> bool:
    """Each row's prev_hash column equals its predecessor's hash (one set-based query)."""
    previous = _TABLE.alias("previous")
    broken = connection.scalar(
        select(func.count()).select_from(_TABLE.outerjoin(
            previous, previous.c.seq == _TABLE.c.seq - 1))
        .where(func.coalesce(previous.c.hash, GENESIS) != _TABLE.c.prev_hash))
    return not broken


def _detailed_pass(connection: Connection, full: bool, seals: list[Seal]) -> Verification:
    """Walk again with every check spelled out, to say exactly where and why it broke."""
    result = Verification()
    pending: dict[int, list[Seal]] = {}
    for seal in seals:
        pending.setdefault(seal.seq, []).append(seal)
    expected_seq = 1
    previous = GENESIS
    loads = json.loads
    with contextlib.closing(stream_rows(connection, full=full)) as rows:
        for row in rows:

            seq = row.seq
            problem = None
            if seq != expected_seq:
                if seq > expected_seq:
                    missing = (f"event {expected_seq}" if seq == expected_seq + 1
                               else f"events {expected_seq}..{seq - 1}")
                    problem = Problem(expected_seq, "missing", f"{missing} missing (rows deleted)")
                else:  # cannot happen with a primary key, kept for robustness
                    problem = Problem(seq, "reordered", "sequence number repeats")
            elif full and (hashed := loads(row.canonical)).get("seq") != seq:
                problem = Problem(seq, "reordered",
                                  f"the row stored as event {seq} was hashed as event "
                                  f"{hashed.get('seq')}: sequence numbers were changed (reordered)")
            elif row.prev_hash != previous:
                problem = Problem(seq, "inserted",
                                  f"prev_hash does not match the hash of event {seq - 1}: "
                                  "a row was inserted, replaced or reordered here")
            elif chain_hash(previous, row.canonical) != row.hash:
                problem = Problem(seq, "forged",
                                  "the stored hash does not match SHA-256 of its record: "
                                  "the record or its hash was altered or forged")
            elif full and hashed != _row_fields(row):
                problem = Problem(seq, "changed", _describe_change(row, hashed))
            elif (bad := [s for s in pending.get(seq, ()) if s.hash != row.hash]):
                problem = Problem(seq, "checkpoint",
                                  f"event {seq} differs from the one sealed by {bad[0].source}: "
                                  "the chain was rewritten after the checkpoint")
            if problem is not None:
                result.problem = problem
                return result
            if seq in pending:
                result.checkpoints_checked += len(pending.pop(seq))
            previous = row.hash
            expected_seq = seq + 1
            result.events += 1
    result.head, result.head_seq = previous, expected_seq - 1
    if pending:
        seal = pending[min(pending)][0]
        result.problem = Problem(
            seal.seq, "truncated",
            f"{seal.source} sealed event {seal.seq}, but the chain ends at event "
            f"{result.head_seq}: events were deleted or the table truncated")
    return result


@contextlib.contextmanager
def reading_connection() -> Iterator[Connection]:
    """A connection for long reads (verify, export) that never blocks writers.

    The app's SQLite engine begins every transaction IMMEDIATE, i.e. with the write lock: a
    verification of millions of events on it would stall every request for its duration. On
    SQLite this uses a separate plain engine instead, whose reads take no lock in WAL mode;
    PostgreSQL readers never block writers anyway.
    """
    from ..extensions import db

    if db.engine.dialect.name != "sqlite":
        with db.engine.connect() as connection:
            yield connection
        return
    engine = create_engine(db.engine.url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()
