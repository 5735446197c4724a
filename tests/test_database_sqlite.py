"""SQLite transactions: page views read without the write lock, and a write in one still works.

Each test holds a second, independent connection to the same file to play "another worker".
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import func, select

from ethics_cases.audit.models import AuditEvent
from ethics_cases.extensions import db
from ethics_cases.pledges.models import CodeVersion

from .conftest import is_postgresql

pytestmark = pytest.mark.skipif(is_postgresql(), reason="SQLite's locking only")


@pytest.fixture
def other_worker(app: Flask) -> Iterator[sqlite3.Connection]:
    with app.app_context():
        path = db.engine.url.database
    connection = sqlite3.connect(path, timeout=0.2, isolation_level=None)
    yield connection
    connection.close()


def _writes(connection: sqlite3.Connection) -> bool:
    """Can this connection take the write lock right now (within its 0.2 s timeout)?"""
    try:
        connection.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        assert "locked" in str(error)
        return False
    connection.execute("ROLLBACK")
    return True


def test_a_page_view_reads_without_holding_the_write_lock(
        app: Flask, other_worker: sqlite3.Connection) -> None:
    with app.test_request_context("/code", method="GET"):
        db.session.scalar(select(func.count(CodeVersion.id)))
        assert db.session().in_transaction()
        assert _writes(other_worker)
        db.session.rollback()


def test_a_form_post_takes_the_write_lock_from_its_first_read(
        app: Flask, other_worker: sqlite3.Connection) -> None:
    with app.test_request_context("/cases/1/transition", method="POST"):
        db.session.scalar(select(func.count(CodeVersion.id)))
        assert not _writes(other_worker)
        db.session.rollback()
    assert _writes(other_worker)


def test_a_page_view_that_writes_after_another_worker_committed_still_commits(
        app: Flask, other_worker: sqlite3.Connection) -> None:
    """A plain deferred read transaction cannot be upgraded once another writer has committed
    after its snapshot ("database is locked" at once, whatever the busy timeout): the first
    write ends the read and takes the lock instead."""
    from ethics_cases import audit

    with app.test_request_context("/evidence/1", method="GET"):
        before = db.session.scalar(select(func.count(AuditEvent.seq)))
        other_worker.execute("BEGIN IMMEDIATE")
        other_worker.execute("CREATE TABLE another_worker_was_here (id INTEGER)")
        other_worker.execute("COMMIT")
        audit.record("test.page_view_wrote", audit.Subject("test", 1))
        db.session.commit()
        assert db.session.scalar(select(func.count(AuditEvent.seq))) == before + 1
    assert _writes(other_worker)


def test_the_write_lock_is_held_until_the_page_views_transaction_ends(
        app: Flask, other_worker: sqlite3.Connection) -> None:
    from ethics_cases import audit

    with app.test_request_context("/evidence/1", method="GET"):
        db.session.scalar(select(func.count(AuditEvent.seq)))
        audit.record("test.page_view_wrote", audit.Subject("test", 1))
        assert not _writes(other_worker)
        db.session.rollback()
        assert _writes(other_worker)
