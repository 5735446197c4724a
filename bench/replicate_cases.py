"""Scale a demo database up for read benchmarks: copy its cases N more times with SQL.

    .venv/bin/python bench/replicate_cases.py --database-url URL --times 9

``flask demo generate`` goes through every real operation, which costs ~10 ms per step on this
machine; 100,000 cases would take hours. For the *read* benchmarks (the queue at 100k) this
copies the generated cases, their allegations and workflow rows ``--times`` more times with
``INSERT … SELECT`` (new ids and references ``EC-<year>-9<copy><number>``), so the page's
tables have the size and distribution of a real caseload. The copies have no audit events of
their own (the case page benchmark uses an original case); ``audit verify`` still passes,
since the chain is untouched. Never run this on a real database.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text


def columns(connection, table: str) -> list[str]:  # type: ignore[no-untyped-def]
    from sqlalchemy import inspect

    return [c["name"] for c in inspect(connection).get_columns(table)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--times", type=int, default=9)
    args = parser.parse_args()
    engine = create_engine(args.database_url)
    began = time.perf_counter()
    with engine.begin() as connection:
        original = connection.execute(text("SELECT max(id) FROM cases")).scalar() or 0
        count = connection.execute(text("SELECT count(*) FROM cases")).scalar()
        case_columns = [c for c in columns(connection, "cases") if c not in ("id", "reference")]
        allegation_columns = [c for c in columns(connection, "allegations")
                              if c not in ("id", "case_id")]
        flow_columns = [c for c in columns(connection, "case_workflows") if c != "case_id"] \
            if "case_workflows" in text_tables(connection) else []
        concat = "||" if engine.dialect.name in ("postgresql", "sqlite") else "+"
        for copy in range(1, args.times + 1):
            offset = copy * (original + 1000)
            listed = ", ".join(case_columns)
            connection.execute(text(
                f"INSERT INTO cases (id, reference, {listed}) SELECT id + {offset}, "
                f"substr(reference, 1, 8) {concat} '9{copy}' {concat} substr(reference, 9), "
                f"{listed} FROM cases WHERE id <= {original}"))
            listed = ", ".join(allegation_columns)
            connection.execute(text(
                f"INSERT INTO allegations (case_id, {listed}) SELECT case_id + {offset}, "
                f"{listed} FROM allegations WHERE case_id <= {original}"))
            if flow_columns:
                listed = ", ".join(flow_columns)
                connection.execute(text(
                    f"INSERT INTO case_workflows (case_id, {listed}) SELECT case_id + "
                    f"{offset}, {listed} FROM case_workflows WHERE case_id <= {original}"))
        if engine.dialect.name == "postgresql":
            connection.execute(text(
                "SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT max(id) FROM "
                "cases))"))
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    total = count * (args.times + 1)
    print(f"{count} cases copied {args.times} times: {total} cases "
          f"({time.perf_counter() - began:.1f} s)")


def text_tables(connection) -> set[str]:  # type: ignore[no-untyped-def]
    from sqlalchemy import inspect

    return set(inspect(connection).get_table_names())


if __name__ == "__main__":
    main()
