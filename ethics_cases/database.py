"""Database engine tuning that every connection needs.

SQLite allows one writer. A deferred transaction that reads and later writes fails with
"database is locked" when another writer got in between, and the busy timeout cannot help it.
So a transaction that may write begins IMMEDIATE (it waits for the write lock up front), in WAL
mode so readers never block. This also serialises audit-chain appends on SQLite.

A page view (GET, HEAD, OPTIONS) would then hold the one write lock while it renders, so two
workers could not show two pages at once. Safe-method requests therefore begin a deferred
(read) transaction, and the first write such a request makes (a download recorded in the audit
trail, say) first ends the read and takes the write lock: the write then runs as in any
IMMEDIATE transaction, having seen the data as of its reads, like PostgreSQL's READ COMMITTED.
Anything outside a request (the CLI, the scheduler) and every POST stays IMMEDIATE throughout.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from flask import Flask, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .extensions import db

SQLITE_BUSY_TIMEOUT_MS = 15_000
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_READING = "ethics_cases.sqlite_reading"  # connection.info key: a deferred transaction is open
# Statements that need the write lock (SAVEPOINT too: the upgrade commits, which would drop it).
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "SAVEPOINT", "CREATE", "DROP", "ALTER")


def _reads_only() -> bool:
    return has_request_context() and request.method in SAFE_METHODS


def _configure_sqlite(engine: Engine) -> None:
    in_memory = engine.url.database in (None, "", ":memory:")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself instead of pysqlite's implicit one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if _reads_only():
            connection.exec_driver_sql("BEGIN")
            connection.info[_READING] = True
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine, "before_cursor_execute")
    def _take_write_lock(connection: Any, cursor: sqlite3.Cursor, statement: str, *_: Any) -> None:
        if connection.info.get(_READING) and statement.lstrip()[:9].upper().startswith(_WRITES):
            connection.info[_READING] = False
            cursor.execute("COMMIT")  # ends the read snapshot, which could not be upgraded
            cursor.execute("BEGIN IMMEDIATE")

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _end(connection: Any) -> None:
        connection.info.pop(_READING, None)


def init_app(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            _configure_sqlite(engine)


def is_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"
