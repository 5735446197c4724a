"""Walk the chain and report the first event that does not hold.

Rows are streamed with SQLAlchemy Core (server-side cursor, batches), never as ORM objects.
Two modes:

* full (default): each row's stored canonical text re-hashes to its hash, links to the previous
  hash, AND every column still equals what was hashed (an edited column is tampering too);
* fast: hashes and links only; misses a column edited without touching ``canonical``.

Either mode can split the chain into seq ranges checked by worker processes (``workers``):
hashing is CPU-bound and a single process is capped at the rate it can fetch and hash rows.
Whatever the pass, a chain that does not hold is re-walked by the same serial code as before,
so the report (first broken event, and why) does not depend on the number of workers.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import Connection, Row, create_engine, func, select
from sqlalchemy.pool import NullPool

from .chain import FORMAT_VERSION, GENESIS, chain_hash, format_timestamp
from .models import AuditEvent

BATCH_SIZE = 5_000
# Below this many events a process pool costs more than it saves (forking, one connection per
# range): ``verify_chain`` then stays serial whatever ``workers`` says.
PARALLEL_THRESHOLD = 50_000
# Ranges per worker: more than one, so a worker slowed by other load does not hold up the rest.
RANGES_PER_WORKER = 4
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
    workers: int = 1,
    parallel_threshold: int | None = None,
    range_events: int | None = None,
) -> Verification:
    """Check every event in sequence order; report the first problem.

    A quick pass over raw driver rows decides whether the chain holds (most of the time is
    then spent hashing, not in row objects); only if it does not, a second, detailed pass
    names the first broken event and why.

    With ``workers`` > 1 and at least ``parallel_threshold`` events (default
    ``PARALLEL_THRESHOLD``), the quick pass runs in that many processes, each over seq ranges
    of ``range_events`` (default: the chain split in ``RANGES_PER_WORKER`` ranges per worker),
    through their own connections. They see only committed rows: keep the default of 1
    inside a transaction that has appended events. If the parallel pass finds anything off,
    the serial passes decide, exactly as with 1 worker.
    """
    seals = list(seals)
    if workers > 1:
        verdict = _parallel_quick_pass(connection, full, seals, progress, progress_every,
                                       workers, parallel_threshold, range_events)
        if isinstance(verdict, Verification):
            return verdict
        if verdict is _FAILED:
            progress = None  # already reported once; the serial re-walk stops at the break
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


class _Range(NamedTuple):
    """What a worker found in seq range ``first``..``last``, for the parent to join up.

    The first row's hash is not checked in the worker (its predecessor is in another range):
    the parent checks ``SHA-256(previous range's last hash + "\\n" + first_canonical)``.
    """

    first: int
    last: int
    count: int
    first_canonical: str
    first_hash: str
    first_prev_hash: str | None  # the column, full mode only
    last_hash: str


_worker_state: dict[str, Any] = {}
_SERIAL_ONLY = "serial only"  # too short for a process pool, or rows another process cannot see
_FAILED = "failed"  # something is off: the serial passes name it


def _init_worker(url: str, counter: Any, stop: Any) -> None:
    """In each worker process: its own engine (never the parent's pooled connections), the
    shared count of rows read (for progress) and the flag that says another range failed."""
    _worker_state.update(engine=create_engine(url, poolclass=NullPool), counter=counter,
                         stop=stop)


def _range_rows(first: int, last: int, columns: list[str]) -> Iterator[tuple[Any, ...]]:
    """Driver tuples of one seq range, in order, through the worker's own connection."""
    engine = _worker_state["engine"]
    seq = _TABLE.c.seq
    query = (select(*(_TABLE.c[name] for name in columns))
             .where(seq >= first, seq <= last).order_by(seq))
    sql = str(query.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
    driver = engine.raw_connection()
    try:
        if engine.dialect.name == "postgresql":
            cursor = driver.cursor(name=f"audit_verify_{first}")
            cursor.itersize = BATCH_SIZE
        else:
            cursor = driver.cursor()
        try:
            cursor.execute(sql)
            counter, stop = _worker_state["counter"], _worker_state["stop"]
            while not stop.value and (batch := cursor.fetchmany(BATCH_SIZE)):
                yield from batch
                with counter.get_lock():
                    counter.value += len(batch)
        finally:
            cursor.close()
    finally:
        driver.rollback()
        driver.close()


def _verify_range(first: int, last: int, full: bool) -> _Range | None:
    """One range's own hashes and internal links (and in full mode its columns and prev_hash
    column); None as soon as anything is off. Runs in a worker process."""
    sha256, loads = hashlib.sha256, json.loads
    columns = ["hash", "canonical", *(("prev_hash", *_COLUMNS) if full else ())]
    with contextlib.closing(_range_rows(first, last, columns)) as rows:
        head = next(rows, None)
        if head is None or (full and loads(head[1]) != _raw_fields(head[3:])):
            return None
        previous, count = head[0], 1
        for row in rows:
            digest, canonical = row[0], row[1]
            if sha256(f"{previous}\n{canonical}".encode()).hexdigest() != digest:
                return None
            if full and (row[2] != previous or loads(canonical) != _raw_fields(row[3:])):
                return None
            count += 1
            previous = digest
    if _worker_state["stop"].value:
        return None  # cut short: another range failed
    return _Range(first, last, count, head[1], head[0], head[2] if full else None, previous)


def _start_method() -> str:
    """fork where the platform has it: a spawned worker would re-import the whole app (~1 s)."""
    return "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"


def _parallel_quick_pass(
    connection: Connection, full: bool, seals: list[Seal],
    progress: Callable[[int], None] | None, progress_every: int,
    workers: int, threshold: int | None, range_events: int | None,
) -> Verification | str:
    """The quick pass split in seq ranges over worker processes, or why it cannot say "intact".

    Gives "intact" only when the serial quick pass would, with the same head and count: the
    ranges cover seq 1..max(seq), each holds exactly last - first + 1 rows (seq is the primary
    key, so no gap and no duplicate: the n-th row in order is event n), every range's first
    row hashes onto the previous range's last hash (GENESIS for the first), and every sealed
    event is present with its sealed hash.
    """
    url = connection.engine.url
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return _SERIAL_ONLY  # another process cannot open this database
    lowest, total = connection.execute(select(func.min(_TABLE.c.seq), func.max(_TABLE.c.seq))).one()
    if (total or 0) < max(PARALLEL_THRESHOLD if threshold is None else threshold, 2):
        return _SERIAL_ONLY
    if lowest != 1 or any(seal.seq > total for seal in seals):
        return _FAILED  # rows before event 1, or a sealed event past the end
    size = range_events or math.ceil(total / (workers * RANGES_PER_WORKER))
    bounds = [(first, min(first + size - 1, total)) for first in range(1, total + 1, size)]
    context = multiprocessing.get_context(_start_method())
    counter, stop = context.Value("q", 0), context.Value("b", False)
    reported = 0
    results: dict[int, _Range] = {}
    with ProcessPoolExecutor(max_workers=min(workers, len(bounds)), mp_context=context,
                             initializer=_init_worker,
                             initargs=(url.render_as_string(hide_password=False), counter, stop)
                             ) as pool:
        pending: set[Future[_Range | None]] = {
            pool.submit(_verify_range, first, last, full) for first, last in bounds}
        while pending:
            done, pending = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
            if progress is not None:
                while counter.value - reported >= progress_every:
                    progress(progress_every)
                    reported += progress_every
            for future in done:
                found = future.result()
                if found is None or found.count != found.last - found.first + 1:
                    stop.value = True
                    pool.shutdown(wait=True, cancel_futures=True)
                    return _FAILED
                results[found.first] = found
    previous = GENESIS
    for first, _last in bounds:
        found = results[first]
        if chain_hash(previous, found.first_canonical) != found.first_hash:
            return _FAILED
        if full and found.first_prev_hash != previous:
            return _FAILED
        previous = found.last_hash
    # As in the serial pass, a seal of the empty chain (event 0) is neither checked nor counted.
    sealing = [seal for seal in seals if seal.seq >= 1]
    if sealing:
        sealed = dict(connection.execute(
            select(_TABLE.c.seq, _TABLE.c.hash)
            .where(_TABLE.c.seq.in_({seal.seq for seal in sealing}))).all())
        if any(sealed.get(seal.seq) != seal.hash for seal in sealing):
            return _FAILED
    checked = len(sealing)
    return Verification(events=total, head=previous, head_seq=total, checkpoints_checked=checked)


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
