"""The accounts and pledges models match what the migrations built (``flask db check`` style)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from ethics_cases.extensions import db

MY_TABLES = {"users", "user_roles", "members", "code_versions", "pledges"}


def _table_of(diff: tuple) -> str | None:
    for item in diff if isinstance(diff, tuple) else ():
        table = getattr(item, "table", None)
        if table is not None:
            return table.name
        if hasattr(item, "name") and getattr(item, "name", None) in MY_TABLES:
            return item.name
        if isinstance(item, str) and item in MY_TABLES:
            return item
    return None


def test_models_match_the_migrations(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = compare_metadata(context, db.metadata)
    flat = []
    for diff in diffs:
        flat.extend(diff if isinstance(diff, list) else [diff])
    mine = [d for d in flat if _table_of(d) in MY_TABLES]
    assert mine == []
