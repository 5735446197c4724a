"""Concurrent writers keep the chain a single line: no two events claim one predecessor, no
gaps, and the result verifies (threads on SQLite and PostgreSQL; processes on PostgreSQL)."""

from __future__ import annotations

import multiprocessing
import threading

import pytest
from sqlalchemy import select

from ethics_cases import audit, create_app
from ethics_cases.audit.verify import verify_chain
from ethics_cases.extensions import db

from .conftest import base_config

WRITERS = 6
EVENTS_EACH = 15


def _write_events(app, writer: int, errors: list[BaseException]) -> None:  # type: ignore[no-untyped-def]
    try:
        with app.app_context():
            for n in range(EVENTS_EACH):
                audit.record("case.note_added", audit.Subject("case", writer),
                             details={"writer": writer, "n": n})
                db.session.commit()
            db.session.remove()
    except BaseException as error:  # reported to the test thread
        errors.append(error)


def _process_writer(database_url: str, instance_path: str, writer: int) -> None:
    from pathlib import Path

    app = create_app(base_config(database_url, Path(instance_path)))
    errors: list[BaseException] = []
    _write_events(app, writer, errors)
    if errors:
        raise errors[0]


def _assert_single_line(app) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        rows = db.session.execute(
            select(audit.AuditEvent.seq, audit.AuditEvent.prev_hash, audit.AuditEvent.hash)
            .order_by(audit.AuditEvent.seq)).all()
        assert [row.seq for row in rows] == list(range(1, WRITERS * EVENTS_EACH + 1))
        assert len({row.prev_hash for row in rows}) == len(rows)  # no fork
        details = db.session.scalars(select(audit.AuditEvent.details)).all()
        assert sorted((d["writer"], d["n"]) for d in details) == sorted(
            (w, n) for w in range(WRITERS) for n in range(EVENTS_EACH))
        db.session.remove()
        with db.engine.connect() as connection:
            result = verify_chain(connection)
        assert result.ok, result.problem
        assert result.events == WRITERS * EVENTS_EACH


def test_threads_append_one_line(app):
    errors: list[BaseException] = []
    threads = [threading.Thread(target=_write_events, args=(app, w, errors))
               for w in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    _assert_single_line(app)


@pytest.mark.postgres_only
def test_processes_append_one_line(app, database_url, tmp_path):
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_process_writer, args=(database_url, str(tmp_path), w))
                 for w in range(WRITERS)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=180)
    assert [process.exitcode for process in processes] == [0] * WRITERS
    _assert_single_line(app)
