"""Audit chain benchmark: verification rate vs bare hashing, and the cost of an append.

    .venv/bin/python bench/audit_verify.py [--events 1000000] [--appends 2000] [--workers N]
        [--sqlite-file PATH | --wipe-postgresql URL]

Builds a chain in a migrated database (a temporary SQLite file by default; bulk Core inserts
of events serialised exactly as ``audit.record`` does), then prints, measured in this run:

* bare ``hashlib.sha256`` over the same bytes (prev_hash + "\\n" + canonical) in ONE process,
  events/s: the floor every ratio is taken against (the issue's "bare hashing");
* the same bare hashing split over N processes, for context only (not a floor: the ratio stays
  against one process, so parallel verification is not flattered);
* what reading the rows allows: a bare driver fetch + sha256 with no checks, in one process and
  split in the same seq ranges over N processes (the fetch floors);
* ``verify_chain`` fast mode (hashes + links, what ``audit verify --fast`` runs) and full mode,
  each with 1 worker and with N, events/s and as a ratio of the floor;
* an action's transaction with ``audit.record`` vs with one extra bare INSERT instead.

``--sqlite-file PATH`` keeps the SQLite database: a second run with the same PATH and
``--events`` skips building the chain.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.pool import NullPool

from ethics_cases import audit, create_app
from ethics_cases.audit.chain import GENESIS, canonical_json, chain_hash
from ethics_cases.audit.verify import RANGES_PER_WORKER, verify_chain
from ethics_cases.extensions import db

ACTIONS = ("case.filed", "case.transition.accept", "evidence.downloaded", "message.sent",
           "case.transition.decide")
BATCH = 20_000


def build_chain(events: int) -> None:
    """Insert ``events`` chained events, serialised and hashed as ``audit.record`` does."""
    table = audit.AuditEvent.__table__
    start = datetime(2020, 1, 1, tzinfo=UTC)
    previous, batch = GENESIS, []
    began = time.perf_counter()
    with db.engine.begin() as connection:
        for seq in range(1, events + 1):
            case = seq % 5000 + 1
            row = {
                "seq": seq, "created_at": start + timedelta(seconds=seq),
                "actor_kind": "user", "actor_id": str(seq % 40 + 1), "actor_label": None,
                "action": ACTIONS[seq % len(ACTIONS)], "subject_kind": "case",
                "subject_id": str(case), "case_ref": f"EC-2026-{case:04d}",
                "reason": "Within jurisdiction; respondent notified" if seq % 3 == 0 else None,
                "details": {"state": {"before": "screening", "after": "awaiting_response"}},
                "ip": "192.0.2.10", "user_agent": "Mozilla/5.0 (X11; Linux x86_64)",
            }
            fields = {k: v for k, v in row.items()}
            fields["created_at"] = row["created_at"].strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            fields["v"] = 1
            canonical = canonical_json(fields)
            digest = chain_hash(previous, canonical)
            batch.append(row | {"prev_hash": previous, "hash": digest, "canonical": canonical})
            previous = digest
            if len(batch) == BATCH:
                connection.execute(table.insert(), batch)
                batch.clear()
        if batch:
            connection.execute(table.insert(), batch)
    print(f"built {events:,} events in {time.perf_counter() - began:.1f} s", file=sys.stderr)


def stored_bytes(url: str) -> list[bytes]:
    """The hashed bytes of the chain (for the floor), read before any clock starts."""
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT prev_hash, canonical FROM audit_events "
                                       "ORDER BY seq"))
        hashed = [f"{prev}\n{canonical}".encode() for prev, canonical in rows]
    engine.dispose()
    return hashed


def rate(events: int, seconds: float) -> str:
    return f"{events / seconds:>12,.0f} events/s"


_HASHED: list[bytes] = []  # set before forking, so workers hash their slice without a copy


def _hash_slice(start: int, stop: int) -> int:
    sha256 = hashlib.sha256
    for item in _HASHED[start:stop]:
        sha256(item).hexdigest()
    return stop - start


def _fetch_and_hash(url: str, first: int, last: int) -> int:
    """A worker of the parallel fetch floor: its own connection, one seq range, no checks."""
    engine = create_engine(url, poolclass=NullPool)
    driver = engine.raw_connection()
    cursor = (driver.cursor(name=f"bench_{first}") if engine.dialect.name == "postgresql"
              else driver.cursor())
    sha256, count = hashlib.sha256, 0
    cursor.execute(f"SELECT hash, canonical FROM audit_events WHERE seq >= {first} "
                   f"AND seq <= {last} ORDER BY seq")
    while batch := cursor.fetchmany(5_000):
        for _digest, canonical in batch:
            sha256(canonical.encode()).hexdigest()
        count += len(batch)
    cursor.close()
    driver.close()
    engine.dispose()
    return count


def _pool(workers: int) -> ProcessPoolExecutor:
    """Forked workers, as ``verify_chain`` uses (spawned ones would re-import the app)."""
    return ProcessPoolExecutor(max_workers=workers,
                               mp_context=multiprocessing.get_context("fork"))


CPU_SECONDS: list[float] = []  # CPU time of the best run of the last ``best`` call


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (pool workers, once joined)."""
    own, children = (resource.getrusage(who)
                     for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def best(repeat: int, run: Callable[[], object]) -> float:
    """The shortest of ``repeat`` runs: other load on a shared machine only ever adds time.

    Also keeps that run's CPU time (this process plus the workers it joined) in
    ``CPU_SECONDS``: unlike wall time, it does not depend on what else the cores are doing.
    """
    runs = []
    for _ in range(repeat):
        cpu, began = _cpu_seconds(), time.perf_counter()
        run()
        runs.append((time.perf_counter() - began, _cpu_seconds() - cpu))
    wall, cpu = min(runs)
    CPU_SECONDS[:] = [cpu]
    return wall


def cpu_per_event(events: int) -> str:
    return f"{CPU_SECONDS[0] / events * 1e6:5.2f} CPU µs/event"


def _hashing_floors(url: str, events: int, workers: int, repeat: int, out: Any) -> None:
    """In a process of its own: the chain's bytes in memory, hashed in this process, then split
    over ``workers`` forked processes. The benchmark's main process never holds those bytes,
    so the pools it forks later (the parallel fetch floor, ``verify_chain``) stay small."""
    _HASHED[:] = stored_bytes(url)
    assert len(_HASHED) == events, f"the database holds {len(_HASHED)} events, not {events}"
    floor = best(repeat, lambda: _hash_slice(0, events))
    floor_cpu = CPU_SECONDS[0]
    with _pool(workers) as pool:
        list(pool.map(_hash_slice, [0] * workers, [0] * workers))  # fork before the clock
        hashing_n = best(repeat, lambda: sum(pool.map(
            _hash_slice, *zip(*[(first - 1, last) for first, last in _bounds(events, workers)],
                              strict=True))))
    out.put((floor, floor_cpu, hashing_n))


def _bounds(events: int, workers: int) -> list[tuple[int, int]]:
    """The seq ranges ``verify_chain`` uses by default."""
    size = math.ceil(events / (workers * RANGES_PER_WORKER))
    return [(first, min(first + size - 1, events)) for first in range(1, events + 1, size)]


def bench_verification(url: str, events: int, workers: int, repeat: int) -> None:
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    process = context.Process(target=_hashing_floors, args=(url, events, workers, repeat, out))
    process.start()
    floor, floor_cpu, hashing_n = out.get()
    process.join()
    CPU_SECONDS[:] = [floor_cpu]
    print(f"bare hashlib.sha256 (same bytes), 1 process   {rate(events, floor)}   "
          f"1.00x (floor)   {cpu_per_event(events)}")
    print(f"bare hashlib.sha256, {workers} processes (context)  {rate(events, hashing_n)}   "
          f"{floor / hashing_n:.2f}x")
    bounds = _bounds(events, workers)
    db.session.remove()

    def fetch_and_hash() -> None:
        with db.engine.connect() as connection:
            driver = connection.connection.driver_connection
            cursor = (driver.cursor(name="bench") if db.engine.dialect.name == "postgresql"
                      else driver.cursor())
            sha256 = hashlib.sha256
            cursor.execute("SELECT hash, canonical FROM audit_events ORDER BY seq")
            while batch := cursor.fetchmany(5_000):
                for _digest, canonical in batch:
                    sha256(canonical.encode()).hexdigest()
            cursor.close()

    fetched = best(repeat, fetch_and_hash)
    print(f"fetch floor: driver fetch + sha256, 1 process {rate(events, fetched)}   "
          f"{floor / fetched:.2f}x (no checks)   {cpu_per_event(events)}")

    def fetch_and_hash_in_parallel() -> None:
        with _pool(workers) as pool:  # started inside the clock, as verify_chain's pool is
            assert sum(pool.map(_fetch_and_hash, *zip(*[(url, a, b) for a, b in bounds],
                                                      strict=True))) == events

    fetched_n = best(repeat, fetch_and_hash_in_parallel)
    print(f"fetch floor, {workers} processes (same ranges)   {rate(events, fetched_n)}   "
          f"{floor / fetched_n:.2f}x (no checks)   {cpu_per_event(events)}")
    for label, full in (("verify --fast", False), ("verify (full)", True)):
        for count in (1, workers):
            def run(full: bool = full, count: int = count) -> None:
                db.session.remove()
                with db.engine.connect() as connection:
                    # parallel_threshold=0: N workers even on a short benchmark chain.
                    result = verify_chain(connection, full=full, workers=count,
                                          parallel_threshold=0)
                assert result.ok and result.events == events, result.summary()

            seconds = best(1 if full else repeat, run)
            name = f"{label}, {count} worker{'s' if count > 1 else ''}"
            print(f"{name:<46}{rate(events, seconds)}   {floor / seconds:.2f}x of bare hashing"
                  f"   {cpu_per_event(events)}")


def bench_append(appends: int) -> None:
    """One action = one transaction. Compare the extra cost of ``audit.record`` with the extra
    cost of one more bare INSERT of a similar row."""
    with db.engine.begin() as connection:
        key = "SERIAL PRIMARY KEY" if db.engine.dialect.name == "postgresql" else (
            "INTEGER PRIMARY KEY")
        connection.execute(text(f"CREATE TABLE bench_actions (id {key}, note TEXT)"))
        connection.execute(text(f"CREATE TABLE bench_extra (id {key}, a TEXT, b TEXT, c TEXT, "
                                "d TEXT)"))
    insert_action = text("INSERT INTO bench_actions (note) VALUES (:note)")
    insert_extra = text("INSERT INTO bench_extra (a, b, c, d) VALUES (:a, :b, :c, :d)")
    subject = audit.Subject("case", 17)

    def action_only() -> None:
        db.session.execute(insert_action, {"note": "state changed"})

    def action_and_insert() -> None:
        action_only()
        db.session.execute(insert_extra, {"a": "case.transition.accept", "b": "case",
                                          "c": "17", "d": "x" * 200})

    def action_and_audit() -> None:
        action_only()
        audit.record("case.transition.accept", subject, case_ref="EC-2026-0017",
                     details={"state": {"before": "screening", "after": "accepted"}})

    # Interleaved rounds, the best round of each: on a shared machine the load changes within
    # seconds, and one block per variant once gave the extra INSERT a negative cost.
    rounds = 10
    per_round = max(appends // rounds, 1)
    timings: dict[str, float] = {}
    for _ in range(rounds):
        for name, work in (("action alone", action_only),
                           ("action + 1 bare INSERT", action_and_insert),
                           ("action + audit.record", action_and_audit)):
            began = time.perf_counter()
            for _ in range(per_round):
                work()
                db.session.commit()
            micros = (time.perf_counter() - began) / per_round * 1e6
            timings[name] = min(timings.get(name, micros), micros)
    base = timings["action alone"]
    for name, micros in timings.items():
        print(f"{name:<26} {micros:8.1f} µs/transaction   (+{micros - base:6.1f} µs)")
    extra_insert = timings["action + 1 bare INSERT"] - base
    extra_audit = timings["action + audit.record"] - base
    print(f"audit append cost = {extra_audit / extra_insert:.2f}x one extra bare INSERT")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--appends", type=int, default=2_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="processes for the parallel runs (default: CPU count, as the CLI)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each verification measurement; the best counts "
                             "(full mode: one run)")
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--wipe-postgresql", metavar="URL",
                        help="run on this SCRATCH PostgreSQL database: its public schema is "
                             "dropped and rebuilt (default: a temporary SQLite file)")
    target.add_argument("--sqlite-file", metavar="PATH",
                        help="keep the SQLite database here; reused if it holds --events "
                             "(then no append runs, they would lengthen the chain)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.wipe_postgresql or f"sqlite:///{args.sqlite_file or folder + '/bench.sqlite'}"
        if args.wipe_postgresql:
            engine = create_engine(url, isolation_level="AUTOCOMMIT")
            with engine.connect() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
            engine.dispose()
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-" * 8})
        app.instance_path = folder
        with app.app_context():
            upgrade()
            print(f"{db.engine.dialect.name}, Python {sys.version.split()[0]}, "
                  f"{args.events:,} events, {os.cpu_count()} CPUs, "
                  f"load average {os.getloadavg()[0]:.1f}")
            with db.engine.connect() as connection:
                existing = connection.scalar(select(func.count()).select_from(
                    audit.AuditEvent.__table__))
            if not existing:
                build_chain(args.events)
            if db.engine.dialect.name == "sqlite":
                # Measure reads from the database file, as in production, not through a
                # WAL the size of the whole chain left by the bulk build.
                # (The app's engine begins every transaction IMMEDIATE: use a plain one.)
                db.engine.dispose()
                plain = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
                with plain.connect() as connection:
                    connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                plain.dispose()
            bench_verification(url, args.events, args.workers, args.repeat)
            if args.appends and args.sqlite_file:
                print("appends skipped: they would change the kept chain (run without "
                      "--sqlite-file)")
            elif args.appends:
                bench_append(args.appends)
            print(f"load average at the end {os.getloadavg()[0]:.1f}")
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
