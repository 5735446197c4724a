"""Workflow benchmark: one transition through ``operations.fire`` vs the bare SQL it needs.

    .venv/bin/python bench/workflow_transition.py [--cases 2000] [--database-url URL]

Fills a temporary, migrated database (SQLite by default; PostgreSQL with --database-url, whose
tables are emptied first) with a chair and N submitted cases, then measures per transition,
commit included:

* floor: the writes a transition needs, as bare SQLAlchemy Core statements on one connection
  (read the case, UPDATE cases ... WHERE id AND version, INSERT the workflow row, read the
  audit head, INSERT one chained audit event, COMMIT);
* app: ``operations.fire(case, "start_screening", chair, ...)``: the shared machine, guards,
  the version check, the row lock on PostgreSQL, ``audit.record`` and the commit.

Prints µs per transition and the ratio (aim ≤ 2×). Also checks that the machine was built once
and holds no models afterwards.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade
from sqlalchemy import create_engine, insert, select, text, update

from ethics_cases import create_app
from ethics_cases.accounts.models import Member, User, UserRole
from ethics_cases.audit.chain import GENESIS, canonical_json, chain_hash
from ethics_cases.audit.models import AuditEvent
from ethics_cases.cases.models import Case
from ethics_cases.extensions import db
from ethics_cases.security import Role
from ethics_cases.workflow import machine, operations
from ethics_cases.workflow.models import CaseWorkflow


def seed(cases: int) -> int:
    """A chair, a member, and ``cases`` submitted cases; returns the chair's id."""
    now = datetime.now(UTC)
    with db.engine.begin() as connection:
        chair_id = connection.execute(insert(User.__table__).values(
            email="chair@example.org", full_name="Chris Chair",
            password_hash="!unusable", active=True,  # noqa: S106
            created_at=now, failed_login_count=0).returning(User.__table__.c.id)).scalar_one()
        connection.execute(insert(UserRole.__table__).values(user_id=chair_id, role="chair",
                                                             granted_at=now))
        member_id = connection.execute(insert(Member.__table__).values(
            membership_number="IMC-1", full_name="Robin Mentor", membership_type="mentor",
            credentials="", joined_on=date(2020, 1, 1), created_at=now)
            .returning(Member.__table__.c.id)).scalar_one()
        connection.execute(insert(Case.__table__), [{
            "reference": f"EC-2026-{n:05d}", "state": "submitted", "version": 1,
            "respondent_member_id": member_id, "respondent_description": "",
            "complainant_name": "Alex", "complainant_email": None, "complainant_phone": "",
            "complainant_relationship": "client", "narrative": "…", "location": "",
            "outcome_sought": "", "withhold_identity": False,
            "confidentiality_consented_at": now, "followup_key_hash": "h" * 64,
            "submitted_at": now, "updated_at": now, "state_changed_at": now,
            "code_fingerprint": "0" * 64} for n in range(1, cases + 1)])
    return chair_id


def bare_transition(connection, case_id: int, actor_id: int) -> None:  # type: ignore[no-untyped-def]
    """What a transition must write, with nothing else: the floor."""
    cases, events = Case.__table__, AuditEvent.__table__
    now = datetime.now(UTC)
    with connection.begin():
        row = connection.execute(select(cases.c.reference, cases.c.state, cases.c.version)
                                 .where(cases.c.id == case_id)).one()
        connection.execute(update(cases).where(cases.c.id == case_id,
                                               cases.c.version == row.version)
                           .values(state="screening", state_changed_at=now, updated_at=now,
                                   version=row.version + 1))
        connection.execute(insert(CaseWorkflow.__table__).values(
            case_id=case_id, findings_report="", minimum_level=1, hearing_round=1,
            decision_reasons="", dismissal_reasons=""))
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(1)"))
        head = connection.execute(select(events.c.seq, events.c.hash)
                                  .order_by(events.c.seq.desc()).limit(1)).first()
        seq, previous = (head.seq + 1, head.hash) if head else (1, GENESIS)
        fields = {"seq": seq, "created_at": now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                  "actor_kind": "user", "actor_id": str(actor_id), "actor_label": None,
                  "action": "case.transition.start_screening", "subject_kind": "case",
                  "subject_id": str(case_id), "case_ref": row.reference, "reason": None,
                  "details": {"from": "submitted", "to": "screening"}, "ip": None,
                  "user_agent": None, "v": 1}
        canonical = canonical_json(fields)
        connection.execute(insert(events).values(
            seq=seq, created_at=now, actor_kind="user", actor_id=str(actor_id),
            actor_label=None, action=fields["action"], subject_kind="case",
            subject_id=str(case_id), case_ref=row.reference, reason=None,
            details=fields["details"], ip=None, user_agent=None, prev_hash=previous,
            canonical=canonical, hash=chain_hash(previous, canonical)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    half = args.cases // 2
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/bench.sqlite"
        if url.startswith("postgresql"):
            engine = create_engine(url, isolation_level="AUTOCOMMIT")
            with engine.connect() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            engine.dispose()
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-" * 8,
                          "UPLOAD_FOLDER": folder})
        with app.app_context():
            upgrade()
            chair_id = seed(args.cases)
            case_ids = list(db.session.scalars(select(Case.id).order_by(Case.id)))
            db.session.commit()
            floor_ids, app_ids = case_ids[:half], case_ids[half:]

            with db.engine.connect() as connection:
                began = time.perf_counter()
                for case_id in floor_ids:
                    bare_transition(connection, case_id, chair_id)
                floor = (time.perf_counter() - began) / len(floor_ids)

            built = machine.get_machine()
            spent = 0.0
            for case_id in app_ids:
                # as in a request: Flask-Login has loaded the user (with roles) and the view
                # the case (404 check) before the operation runs; those loads are the request's,
                # not the transition's, so the clock runs around ``fire`` only.
                db.session.expunge_all()
                chair = db.session.get(User, chair_id)
                chair.has_role(Role.CHAIR)
                case = db.session.get(Case, case_id)
                began = time.perf_counter()
                operations.fire(case, "start_screening", chair, {},
                                expected_version=case.version)
                spent += time.perf_counter() - began
            fired = spent / len(app_ids)
            assert machine.get_machine() is built and built.models == []
            states = dict(db.session.execute(
                select(Case.state, db.func.count()).group_by(Case.state)).all())
            assert states == {"screening": args.cases}, states

        print(f"database: {url.split(':')[0]}, {half} transitions each")
        print(f"bare SQL writes (floor):         {floor * 1e6:8.0f} µs per transition")
        print(f"operations.fire (start_screening): {fired * 1e6:6.0f} µs per transition")
        print(f"ratio: {fired / floor:.2f}x (aim ≤ 2x); machine built once, "
              f"{len(built.models)} models bound after the run")


if __name__ == "__main__":
    main()
