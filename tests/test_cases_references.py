"""Case references and follow-up keys."""

from __future__ import annotations

import math
import threading
import time
from datetime import UTC, datetime

from sqlalchemy import select

from ethics_cases import audit
from ethics_cases.cases import references
from ethics_cases.cases.models import Case, CaseReferenceCounter
from ethics_cases.extensions import db

from .factories.accounts import MemberFactory
from .intake_helpers import fill_wizard


def test_references_are_unique_under_concurrent_filing(app, db_session):
    """Threads allocate at once, each holding its transaction open a moment before committing:
    every number is handed out exactly once (no max()+1 race)."""
    moment = datetime(2026, 5, 1, tzinfo=UTC)
    got: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def worker() -> None:
        try:
            with app.app_context():
                start.wait()
                for _ in range(5):
                    reference = references.allocate_reference(moment)
                    time.sleep(0.002)  # widen the window a racing max()+1 would fall into
                    db.session.commit()
                    with lock:
                        got.append(reference)
                db.session.remove()
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(got) == [f"EC-2026-{n:04d}" for n in range(1, 41)]
    counter = db_session.get(CaseReferenceCounter, 2026)
    assert counter.last_number == 40


def test_each_year_has_its_own_counter(app, app_ctx):
    first = references.allocate_reference(datetime(2026, 12, 31, 23, 59, tzinfo=UTC))
    second = references.allocate_reference(datetime(2027, 1, 1, tzinfo=UTC))
    third = references.allocate_reference(datetime(2027, 1, 2, tzinfo=UTC))
    db.session.commit()
    assert (first, second, third) == ("EC-2026-0001", "EC-2027-0001", "EC-2027-0002")


def test_a_rolled_back_filing_leaves_no_gap_and_no_row(app, app_ctx):
    references.allocate_reference(datetime(2026, 1, 1, tzinfo=UTC))
    db.session.rollback()
    assert references.allocate_reference(datetime(2026, 1, 1, tzinfo=UTC)) == "EC-2026-0001"


def test_followup_keys_are_long_unambiguous_and_random():
    keys = {references.generate_followup_key() for _ in range(200)}
    assert len(keys) == 200
    for key in keys:
        groups = key.split("-")
        assert len(groups) == references.KEY_GROUPS
        assert set("".join(groups)) <= set(references.KEY_ALPHABET)
    assert not set("01OIL") & set(references.KEY_ALPHABET)
    bits = references.KEY_GROUPS * references.KEY_GROUP_LENGTH * math.log2(
        len(references.KEY_ALPHABET))
    assert bits >= 100


def test_key_hash_forgives_case_and_separators_but_not_a_wrong_character(app_ctx):
    key = "ABCDEF-GHJKMN-PQRSTU-VWXYZ2"
    stored = references.hash_followup_key(key)
    assert references.followup_key_matches("abcdef ghjkmn pqrstu vwxyz2", stored)
    assert not references.followup_key_matches("ABCDEF-GHJKMN-PQRSTU-VWXYZ3", stored)
    assert not references.followup_key_matches(key, None)  # no such case: same work, refused


def test_filing_is_one_audit_event_without_personal_data(client, db_session):
    member = MemberFactory()
    fill_wizard(client, member.membership_number)
    client.post("/complaint/submit")
    case = db_session.scalars(select(Case)).one()
    [event] = db_session.scalars(select(audit.AuditEvent)).all()
    assert (event.action, event.subject_kind, event.subject_id, event.case_ref) == (
        "complaint.filed", "case", str(case.id), case.reference)
    assert (event.actor_kind, event.actor_id) == ("complainant", case.reference)
    assert event.details["clause_ids"] == ["MPP-B.1", "MPP-B.2"]
    for personal in (case.complainant_name, case.complainant_email, "employer"):
        assert personal not in event.canonical
