"""The audit chain: recording inside the caller's transaction, append-only storage, and
verification that pinpoints each kind of tampering done directly in SQL."""

from __future__ import annotations

import contextlib
import json

import pytest
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from ethics_cases import audit
from ethics_cases.audit.chain import GENESIS, canonical_json, chain_hash
from ethics_cases.audit.verify import verify_chain
from ethics_cases.extensions import db

from .factories.accounts import UserFactory
from .factories.audit import AuditEventFactory

pytestmark = pytest.mark.usefixtures("app_ctx")


@contextlib.contextmanager
def triggers_disabled():
    """What an attacker with database access does first. Restored after, since PostgreSQL
    tests share one migrated schema."""
    db.session.remove()  # SQLite: end the session's (write-locking) transaction first
    engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        try:
            yield
        finally:
            with engine.begin() as connection:
                connection.execute(text("ALTER TABLE audit_events ENABLE TRIGGER USER"))
    else:  # each SQLite test has its own database file
        with engine.begin() as connection:
            connection.execute(text("DROP TRIGGER IF EXISTS audit_events_no_update"))
            connection.execute(text("DROP TRIGGER IF EXISTS audit_events_no_delete"))
        yield


def tamper(sql: str, **params: object) -> None:
    with triggers_disabled(), db.engine.begin() as connection:
        connection.execute(text(sql), params)


def verify(**kwargs):  # type: ignore[no-untyped-def]
    db.session.remove()
    with db.engine.connect() as connection:
        return verify_chain(connection, **kwargs)


def make_chain(n: int = 5) -> list[audit.AuditEvent]:
    return AuditEventFactory.create_batch(n)


# Recording ----------------------------------------------------------------------------------


def test_events_link_into_one_chain_from_genesis():
    events = make_chain(3)
    assert [e.seq for e in events] == [1, 2, 3]
    assert events[0].prev_hash == GENESIS
    assert events[1].prev_hash == events[0].hash
    assert events[2].hash == chain_hash(events[1].hash, events[2].canonical)


def test_canonical_record_is_sorted_compact_utf8_json_of_the_columns():
    event = AuditEventFactory(action="case.filed", subject=audit.Subject("case", 9),
                              case_ref="EC-2026-0009", details={"zeta": "ü", "alpha": [1, 2]})
    fields = json.loads(event.canonical)
    assert event.canonical == json.dumps(fields, sort_keys=True, separators=(",", ":"),
                                         ensure_ascii=False)
    assert '"zeta":"ü"' in event.canonical
    assert fields["created_at"].endswith("Z") and len(fields["created_at"]) == 27
    assert fields["subject_kind"] == "case" and fields["subject_id"] == "9"
    assert fields["details"] == {"alpha": [1, 2], "zeta": "ü"}


def test_rolled_back_transaction_leaves_no_event():
    AuditEventFactory()
    audit.record("case.filed", audit.Subject("case", 2))
    db.session.rollback()
    assert db.session.scalar(select(db.func.count()).select_from(audit.AuditEvent)) == 1
    assert AuditEventFactory().seq == 2  # the chain continues without a gap
    assert verify().ok


def test_committed_change_always_has_its_event(db_session):
    user = UserFactory()
    changed = db.session.get(type(user), user.id)
    changed.full_name = "Renamed Person"
    audit.record("user.renamed", changed.__class__ and audit.Subject("user", user.id),
                 details={"field": "full_name"})
    db.session.commit()
    db_session.expire_all()
    assert db_session.get(type(user), user.id).full_name == "Renamed Person"
    [event] = audit.history_for(audit.Subject("user", user.id))
    assert event.action == "user.renamed"


def test_a_failing_event_fails_the_callers_transaction_before_commit():
    with pytest.raises(TypeError, match="floats are not allowed"):
        audit.record("case.scored", audit.Subject("case", 1), details={"score": 0.5})
    db.session.rollback()
    assert verify().events == 0


@pytest.mark.parametrize("action", ["Case Filed", "casefiled", "case.", ".filed", ""])
def test_bad_action_names_are_refused(action):
    with pytest.raises(ValueError, match="bad audit action"):
        audit.record(action, audit.Subject("case", 1))


def test_subject_can_be_any_object_with_an_audit_subject():
    class Pledge:
        audit_subject = audit.Subject("pledge", 12)

    event = audit.record("pledge.signed", Pledge())
    assert (event.subject_kind, event.subject_id) == ("pledge", "12")
    with pytest.raises(TypeError, match="not an audit subject"):
        audit.record("pledge.signed", object())


def test_actor_defaults_to_system_outside_a_request_and_user_names_are_not_stored():
    assert AuditEventFactory().actor_kind == "system"
    event = audit.record("user.role_granted", audit.Subject("user", 3),
                         actor=audit.Actor("user", "3", "Ada Lovelace"))
    assert (event.actor_id, event.actor_label) == ("3", None)
    assert "Ada" not in event.canonical


def test_changes_helper_keeps_only_changed_fields():
    assert audit.changes({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4}) == {
        "b": {"before": 2, "after": 3}, "c": {"before": None, "after": 4}}


def test_case_history_and_history_for_are_newest_first():
    for _ in range(3):
        AuditEventFactory(subject=audit.Subject("case", 5), case_ref="EC-1")
    AuditEventFactory(subject=audit.Subject("case", 6), case_ref="EC-2")
    assert [e.seq for e in audit.case_history("EC-1")] == [3, 2, 1]
    assert [e.seq for e in audit.history_for(audit.Subject("case", 5), limit=2)] == [3, 2]


# Append-only --------------------------------------------------------------------------------


def test_orm_refuses_to_change_or_delete_an_event():
    event = AuditEventFactory()
    event.reason = "rewritten"
    with pytest.raises(audit.AppendOnlyError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(audit.AuditEvent, 1))
    with pytest.raises(audit.AppendOnlyError):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(audit.AppendOnlyError):
        db.session.execute(update(audit.AuditEvent).values(reason="x"))
    with pytest.raises(audit.AppendOnlyError):
        db.session.execute(delete(audit.AuditEvent))


@pytest.mark.parametrize("statement", [
    "UPDATE audit_events SET reason = 'rewritten' WHERE seq = 1",
    "DELETE FROM audit_events WHERE seq = 1",
])
def test_database_refuses_update_and_delete(statement):
    AuditEventFactory()
    db.session.remove()
    refused = pytest.raises((IntegrityError, DBAPIError), match="append-only")
    with refused, db.engine.begin() as connection:
        connection.execute(text(statement))
    assert verify().events == 1


def test_unique_prev_hash_refuses_a_fork():
    first = AuditEventFactory()
    forged = {**{c: getattr(first, c) for c in ("created_at", "actor_kind", "actor_id",
              "actor_label", "action", "subject_kind", "subject_id", "details")},
              "seq": 2, "prev_hash": GENESIS, "hash": "f" * 64, "canonical": "{}"}
    db.session.remove()
    with pytest.raises(IntegrityError), db.engine.begin() as connection:
        connection.execute(insert(audit.AuditEvent.__table__).values(**forged))


# Verification -------------------------------------------------------------------------------


def test_clean_chain_verifies_in_both_modes():
    head = make_chain(6)[-1].hash
    for full in (True, False):
        result = verify(full=full)
        assert result.ok, result.problem
        assert (result.events, result.head) == (6, head)
        assert result.summary() == f"6 events, chain intact, head {head}"


def test_empty_chain_verifies():
    assert verify().summary() == f"0 events, chain intact, head {GENESIS}"


def test_verify_pinpoints_an_updated_field():
    make_chain(5)
    tamper("UPDATE audit_events SET action = 'case.dismissed' WHERE seq = 3")
    problem = verify().problem
    assert (problem.seq, problem.kind) == (3, "changed")
    assert "'action'" in problem.message and "case.dismissed" in problem.message
    assert verify(full=False).ok  # why the full mode is the default


def test_verify_pinpoints_an_edited_record_and_hash_mismatch():
    make_chain(5)
    tamper("UPDATE audit_events SET canonical = replace(canonical, '\"n\":', '\"m\":') "
           "WHERE seq = 2")
    for full in (True, False):
        problem = verify(full=full).problem
        assert (problem.seq, problem.kind) == (2, "forged")


def test_verify_pinpoints_a_deleted_row():
    make_chain(5)
    tamper("DELETE FROM audit_events WHERE seq = 3")
    problem = verify().problem
    assert (problem.seq, problem.kind) == (3, "missing")
    assert "event 3 missing" in problem.message


def _row_values(event: audit.AuditEvent) -> dict[str, object]:
    return {column.key: getattr(event, column.key)
            for column in audit.AuditEvent.__table__.columns}


def test_verify_pinpoints_a_replaced_row_with_a_valid_own_hash():
    events = make_chain(5)
    canonical = canonical_json(json.loads(events[2].canonical) | {"action": "case.dismissed"})
    replacement = _row_values(events[2]) | {
        "action": "case.dismissed", "canonical": canonical,
        "hash": chain_hash(events[1].hash, canonical)}
    tamper("DELETE FROM audit_events WHERE seq = 3")
    with triggers_disabled(), db.engine.begin() as connection:
        connection.execute(insert(audit.AuditEvent.__table__).values(**replacement))
    problem = verify().problem
    assert (problem.seq, problem.kind) == (4, "inserted")


def test_verify_pinpoints_a_forged_row_appended_with_a_wrong_hash():
    events = make_chain(3)
    canonical = canonical_json(json.loads(events[2].canonical) | {"seq": 4})
    forged = _row_values(events[2]) | {"seq": 4, "prev_hash": events[2].hash, "hash": "a" * 64,
                                       "canonical": canonical}
    db.session.remove()
    with db.engine.begin() as connection:
        connection.execute(insert(audit.AuditEvent.__table__).values(**forged))
    problem = verify().problem
    assert (problem.seq, problem.kind) == (4, "forged")


def test_verify_pinpoints_two_swapped_sequence_numbers():
    make_chain(5)
    with triggers_disabled(), db.engine.begin() as connection:
        connection.execute(text("UPDATE audit_events SET seq = -1 WHERE seq = 2"))
        connection.execute(text("UPDATE audit_events SET seq = 2 WHERE seq = 4"))
        connection.execute(text("UPDATE audit_events SET seq = 4 WHERE seq = -1"))
    problem = verify().problem
    assert (problem.seq, problem.kind) == (2, "reordered")
    assert "hashed as event 4" in problem.message
    fast = verify(full=False).problem
    assert (fast.seq, fast.kind) == (2, "inserted")


def test_full_verify_catches_an_edited_prev_hash_column():
    make_chain(4)
    tamper("UPDATE audit_events SET prev_hash = :fake WHERE seq = 3", fake="e" * 64)
    problem = verify().problem
    assert (problem.seq, problem.kind) == (3, "inserted")
    assert verify(full=False).ok


def test_progress_is_reported_while_walking():
    make_chain(7)
    steps: list[int] = []
    db.session.remove()
    with db.engine.connect() as connection:
        assert verify_chain(connection, progress=steps.append, progress_every=3).ok
    assert steps == [3, 3]


def test_in_a_request_the_complainant_grant_ip_and_user_agent_are_recorded(app):
    from flask import g

    with app.test_request_context("/intake/check", environ_base={"REMOTE_ADDR": "203.0.113.9"},
                                  headers={"User-Agent": "TestBrowser/1.0"}):
        g.audit_actor = audit.Actor("complainant", "EC-2026-0042", "Complainant")
        event = audit.record("message.sent", audit.Subject("case", 42), case_ref="EC-2026-0042")
    assert (event.actor_kind, event.actor_id, event.actor_label) == (
        "complainant", "EC-2026-0042", "Complainant")
    assert (event.ip, event.user_agent) == ("203.0.113.9", "TestBrowser/1.0")


def test_in_a_request_the_signed_in_user_is_the_actor(app, db_session):
    from flask_login import login_user

    user = UserFactory()
    with app.test_request_context("/"):
        login_user(db.session.get(type(user), user.id))
        event = audit.record("user.signed_in", audit.Subject("user", user.id))
    assert (event.actor_kind, event.actor_id, event.actor_label) == ("user", str(user.id), None)
