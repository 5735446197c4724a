"""Audit chain benchmark: verification rate vs bare hashing, and the cost of an append.

    .venv/bin/python bench/audit_verify.py [--events 1000000] [--appends 2000]

Builds a chain in a temporary, migrated SQLite database (bulk Core inserts of events serialised
exactly as ``audit.record`` does), then prints, measured in this run:

* bare ``hashlib.sha256`` over the same bytes (prev_hash + "\\n" + canonical), events/s: the floor;
* ``verify_chain`` fast mode (hashes + links) and full mode (also every column against its
  record), streaming rows from the database, events/s and as a ratio of the floor;
* an action's transaction with ``audit.record`` vs with one extra bare INSERT instead.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from ethics_cases import audit, create_app
from ethics_cases.audit.chain import GENESIS, canonical_json, chain_hash
from ethics_cases.audit.verify import verify_chain
from ethics_cases.extensions import db

ACTIONS = ("case.filed", "case.transition.accept", "evidence.downloaded", "message.sent",
           "case.transition.decide")
BATCH = 20_000


def build_chain(events: int) -> list[bytes]:
    """Insert ``events`` chained events; return the hashed byte strings (for the floor)."""
    table = audit.AuditEvent.__table__
    start = datetime(2020, 1, 1, tzinfo=UTC)
    previous, hashed, batch = GENESIS, [], []
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
            hashed.append(f"{previous}\n{canonical}".encode())
            batch.append(row | {"prev_hash": previous, "hash": digest, "canonical": canonical})
            previous = digest
            if len(batch) == BATCH:
                connection.execute(table.insert(), batch)
                batch.clear()
        if batch:
            connection.execute(table.insert(), batch)
    print(f"built {events:,} events in {time.perf_counter() - began:.1f} s", file=sys.stderr)
    return hashed


def rate(events: int, seconds: float) -> str:
    return f"{events / seconds:>12,.0f} events/s"


def bench_verification(events: int, hashed: list[bytes]) -> None:
    sha256 = hashlib.sha256
    began = time.perf_counter()
    for data in hashed:
        sha256(data).hexdigest()
    floor = time.perf_counter() - began
    print(f"bare hashlib.sha256 (same bytes)   {rate(events, floor)}   1.00x (floor)")
    db.session.remove()
    with db.engine.connect() as connection:
        driver = connection.connection.driver_connection
        cursor = (driver.cursor(name="bench") if db.engine.dialect.name == "postgresql"
                  else driver.cursor())
        began = time.perf_counter()
        cursor.execute("SELECT hash, canonical FROM audit_events ORDER BY seq")
        while batch := cursor.fetchmany(5_000):
            for _digest, canonical in batch:
                sha256(canonical.encode()).hexdigest()
        fetched = time.perf_counter() - began
        cursor.close()
    print(f"bare driver fetch + sha256, no checks {rate(events, fetched)}   "
          f"{floor / fetched:.2f}x (what reading the rows allows)")
    for label, full in (("verify --fast (hash + links)     ", False),
                        ("verify (full: + every column)    ", True)):
        db.session.remove()
        with db.engine.connect() as connection:
            began = time.perf_counter()
            result = verify_chain(connection, full=full)
            seconds = time.perf_counter() - began
        assert result.ok and result.events == events, result.summary()
        print(f"{label}  {rate(events, seconds)}   {floor / seconds:.2f}x of bare hashing")


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

    timings = {}
    for name, work in (("action alone", action_only), ("action + 1 bare INSERT", action_and_insert),
                       ("action + audit.record", action_and_audit)):
        began = time.perf_counter()
        for _ in range(appends):
            work()
            db.session.commit()
        timings[name] = (time.perf_counter() - began) / appends * 1e6
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
    parser.add_argument("--wipe-postgresql", metavar="URL",
                        help="run on this SCRATCH PostgreSQL database: its public schema is "
                             "dropped and rebuilt (default: a temporary SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.wipe_postgresql or f"sqlite:///{folder}/bench.sqlite"
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
                  f"{args.events:,} events")
            hashed = build_chain(args.events)
            bench_verification(args.events, hashed)
            del hashed
            bench_append(args.appends)
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
