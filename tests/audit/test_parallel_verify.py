"""Verification split over worker processes finds exactly what the serial walk finds.

The chain is cut into seq ranges of 5 events (1-5, 6-10, ...), so each tampering below sits
either inside a range or on a boundary between two. Two properties are checked every time:

* the parallel pass itself notices the tampering (it does not say "intact"), so the
  boundary joins are really checked and not merely rescued by the serial fallback;
* ``verify_chain`` with 3 workers returns the same verdict as with 1: same first broken
  event, same kind, same message (or the same intact head and count).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import Row, insert, select, text

from ethics_cases import audit
from ethics_cases.audit import verify as verification
from ethics_cases.audit.chain import canonical_json, chain_hash
from ethics_cases.audit.verify import Seal, Verification, verify_chain
from ethics_cases.extensions import db

from ..factories.audit import AuditEventFactory
from ..test_audit_chain import tamper, triggers_disabled

pytestmark = pytest.mark.usefixtures("app_ctx")

RANGE = 5
EVENTS = 17  # ranges 1-5, 6-10, 11-15, 16-17


def verify(*, workers: int, full: bool, seals: tuple[Seal, ...] = ()) -> Verification:
    db.session.remove()
    with db.engine.connect() as connection:
        return verify_chain(connection, full=full, seals=seals, workers=workers,
                            parallel_threshold=0, range_events=RANGE)


def parallel_pass(*, full: bool, seals: tuple[Seal, ...] = ()) -> Verification | str:
    db.session.remove()
    with db.engine.connect() as connection:
        return verification._parallel_quick_pass(connection, full, list(seals), None, 10_000,
                                                 3, 0, RANGE)


def assert_same_verdict(*, full: bool, seals: tuple[Seal, ...] = ()) -> Verification:
    serial = verify(workers=1, full=full, seals=seals)
    parallel = verify(workers=3, full=full, seals=seals)
    assert parallel == serial
    return serial


@pytest.fixture
def chain() -> list[Row[Any]]:
    """The events as recorded (plain rows: they outlive the session)."""
    AuditEventFactory.create_batch(EVENTS)
    db.session.remove()
    with db.engine.connect() as connection:
        return list(connection.execute(
            select(audit.AuditEvent.__table__).order_by(audit.AuditEvent.seq)))


def replace_with_own_valid_hash(event: Row[Any], previous_hash: str) -> None:
    """Rewrite one record and recompute its hash onto the true predecessor, as an attacker
    who knows the format would; only the next event's link can then give it away."""
    canonical = canonical_json(json.loads(event.canonical) | {"action": "case.dismissed"})
    tamper("UPDATE audit_events SET action = 'case.dismissed', canonical = :canonical, "
           "hash = :hash WHERE seq = :seq", canonical=canonical,
           hash=chain_hash(previous_hash, canonical), seq=event.seq)


@pytest.mark.parametrize("full", [False, True])
def test_an_intact_chain_is_intact_with_the_same_head_whatever_the_workers(chain, full):
    found = parallel_pass(full=full)
    assert isinstance(found, Verification)
    result = assert_same_verdict(full=full)
    assert found == result
    assert (result.ok, result.events, result.head_seq, result.head) == (
        True, EVENTS, EVENTS, chain[-1].hash)


@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("seq", [8, 6, 5, EVENTS], ids=["mid-range", "first-of-range",
                                                         "last-of-range", "head"])
def test_an_edited_record_is_found_in_a_range_and_on_its_boundaries(chain, full, seq):
    tamper("UPDATE audit_events SET canonical = replace(canonical, '\"n\":', '\"m\":') "
           "WHERE seq = :seq", seq=seq)
    assert parallel_pass(full=full) == verification._FAILED
    problem = assert_same_verdict(full=full).problem
    assert (problem.seq, problem.kind) == (seq, "forged")


@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("seq", [8, 5, 10], ids=["mid-range", "last-of-range",
                                                 "last-of-range-2"])
def test_a_replaced_record_with_a_valid_own_hash_breaks_the_next_link(chain, full, seq):
    replace_with_own_valid_hash(chain[seq - 1], chain[seq - 2].hash)
    assert parallel_pass(full=full) == verification._FAILED
    problem = assert_same_verdict(full=full).problem
    assert (problem.seq, problem.kind) == (seq + 1, "inserted")


@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("seq", [8, 6, 5], ids=["mid-range", "first-of-range", "last-of-range"])
def test_a_deleted_row_is_found(chain, full, seq):
    tamper("DELETE FROM audit_events WHERE seq = :seq", seq=seq)
    assert parallel_pass(full=full) == verification._FAILED
    problem = assert_same_verdict(full=full).problem
    assert (problem.seq, problem.kind) == (seq, "missing")


@pytest.mark.parametrize("seq", [8, 6], ids=["mid-range", "first-of-range"])
def test_an_edited_column_is_found_by_the_full_mode_only(chain, seq):
    tamper("UPDATE audit_events SET actor_id = 'someone-else' WHERE seq = :seq", seq=seq)
    assert parallel_pass(full=True) == verification._FAILED
    problem = assert_same_verdict(full=True).problem
    assert (problem.seq, problem.kind) == (seq, "changed")
    assert "'actor_id'" in problem.message
    assert assert_same_verdict(full=False).ok  # as documented for --fast


@pytest.mark.parametrize("seq", [8, 6, 11], ids=["mid-range", "first-of-range", "range-3"])
def test_an_edited_prev_hash_column_is_found_by_the_full_mode_only(chain, seq):
    tamper("UPDATE audit_events SET prev_hash = :fake WHERE seq = :seq", fake="e" * 64, seq=seq)
    assert parallel_pass(full=True) == verification._FAILED
    problem = assert_same_verdict(full=True).problem
    assert (problem.seq, problem.kind) == (seq, "inserted")
    assert assert_same_verdict(full=False).ok


def test_swapped_sequence_numbers_across_ranges(chain):
    with triggers_disabled(), db.engine.begin() as connection:
        connection.execute(text("UPDATE audit_events SET seq = -1 WHERE seq = 4"))
        connection.execute(text("UPDATE audit_events SET seq = 4 WHERE seq = 7"))
        connection.execute(text("UPDATE audit_events SET seq = 7 WHERE seq = -1"))
    for full, kind in ((True, "reordered"), (False, "inserted")):
        assert parallel_pass(full=full) == verification._FAILED
        problem = assert_same_verdict(full=full).problem
        assert (problem.seq, problem.kind) == (4, kind)


def test_a_row_before_event_one_is_not_skipped(chain):
    extra = dict(chain[0]._mapping) | {"seq": 0, "prev_hash": "f" * 64, "hash": "d" * 64}
    with db.engine.begin() as connection:
        connection.execute(insert(audit.AuditEvent.__table__).values(**extra))
    assert parallel_pass(full=False) == verification._FAILED
    assert not assert_same_verdict(full=False).ok


@pytest.mark.parametrize("full", [False, True])
def test_checkpoints_are_checked_the_same_way(chain, full):
    good = (Seal(7, chain[6].hash, "file a"), Seal(EVENTS, chain[-1].hash, "file b"))
    found = parallel_pass(full=full, seals=good)
    assert isinstance(found, Verification) and found.checkpoints_checked == 2
    assert assert_same_verdict(full=full, seals=good).checkpoints_checked == 2

    rewritten = (Seal(7, "c" * 64, "file c"),)
    assert parallel_pass(full=full, seals=rewritten) == verification._FAILED
    problem = assert_same_verdict(full=full, seals=rewritten).problem
    assert (problem.seq, problem.kind) == (7, "checkpoint")
    assert "file c" in problem.message

    beyond = (Seal(EVENTS + 3, "c" * 64, "file d"),)
    problem = assert_same_verdict(full=full, seals=beyond).problem
    assert (problem.seq, problem.kind) == (EVENTS + 3, "truncated")


def test_progress_adds_up_to_the_chain_length_in_parallel(chain):
    steps: list[int] = []
    db.session.remove()
    with db.engine.connect() as connection:
        assert verify_chain(connection, full=False, workers=3, parallel_threshold=0,
                            range_events=RANGE, progress=steps.append, progress_every=4).ok
    assert steps == [4, 4, 4, 4]  # as the serial walk reports 17 events in steps of 4


def test_short_chains_stay_in_one_process_by_default(chain):
    db.session.remove()
    with db.engine.connect() as connection:
        assert verification._parallel_quick_pass(
            connection, False, [], None, 10_000, 3, None, None) == verification._SERIAL_ONLY


def test_the_cli_verifies_in_parallel_and_names_the_break(runner, app):
    with app.app_context():
        AuditEventFactory.create_batch(12)
    from ethics_cases.audit import cli

    ok = runner.invoke(args=["audit", "verify", "--fast", "--workers", "2"])
    assert ok.exit_code == 0, ok.output
    assert "12 events, chain intact" in ok.output
    with app.app_context():
        tamper("UPDATE audit_events SET canonical = canonical || ' ' WHERE seq = 9")
    for workers in ("1", "2"):
        broken = runner.invoke(args=["audit", "verify", "--fast", "--workers", workers])
        assert broken.exit_code == 1
        assert "chain BROKEN at event 9: the stored hash does not match" in broken.output
    assert "--workers" in runner.invoke(args=["audit", "verify", "--help"]).output
    assert cli.PARALLEL_THRESHOLD > 12  # so the CLI runs above were short-chain, one process


def test_progress_lines_carry_the_rate_and_an_eta(runner, app, monkeypatch):
    from ethics_cases.audit import cli

    monkeypatch.setattr(cli, "PROGRESS_EVERY", 4)
    with app.app_context():
        AuditEventFactory.create_batch(9)
    result = runner.invoke(args=["audit", "verify", "--fast"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("verified")]
    assert len(lines) == 2
    assert lines[0].startswith("verified 4 of 9 events (44%, ")
    assert lines[1].startswith("verified 8 of 9 events (89%, ")
    assert all("/s, ETA " in line and line.endswith(" s)") for line in lines)
