"""The SQL statements a piece of work issues: how tests pin "no N+1, no growth with the data".

    with recorded_statements(app) as seen:
        client.get("/workspace/")
    assert len(seen) == 9
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import event

from ethics_cases.extensions import db


@contextmanager
def recorded_statements(app: Flask | None = None) -> Iterator[list[str]]:
    """Every statement sent on the app's engine inside the block, in order. Without ``app``,
    the current app context's engine."""
    if app is None:
        engine = db.engine
    else:
        with app.app_context():
            engine = db.engine
    seen: list[str] = []

    def record(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
