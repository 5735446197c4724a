"""``flask audit verify|checkpoint|export`` through the CLI runner, and an export re-verified
by an independent implementation of the documented serialisation (no app hashing code)."""

from __future__ import annotations

import csv
import hashlib
import io
import json

import pytest
from sqlalchemy import func, select, text

from ethics_cases import audit
from ethics_cases.extensions import db

from .factories.audit import AuditEventFactory


def independent_hash(prev_hash: str, event: dict) -> str:
    """The README's recipe, written from the documentation alone."""
    canonical = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + "\n" + canonical).encode("utf-8")).hexdigest()


@pytest.fixture
def chain(app):  # type: ignore[no-untyped-def]
    with app.app_context():
        events = [
            AuditEventFactory(subject=audit.Subject("case", 1), case_ref="EC-2026-0001",
                              details={"state": {"before": "submitted", "after": "screening"}},
                              reason="Accepted: within jurisdiction — «Ünïcode»"),
            AuditEventFactory(subject=audit.Subject("case", 2), case_ref="EC-2026-0002"),
            AuditEventFactory(subject=audit.Subject("case", 1), case_ref="EC-2026-0001"),
            AuditEventFactory(subject=audit.Subject("member", 7)),
        ]
        hashes = [e.hash for e in events]
        db.session.remove()
    return hashes


def test_verify_reports_an_intact_chain(runner, chain):
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert f"4 events, chain intact, head {chain[-1]}" in result.output


def test_verify_reports_the_first_broken_event_and_exits_1(runner, app, chain):
    with app.app_context(), db.engine.begin() as connection:
        if db.engine.dialect.name == "postgresql":
            pytest.skip("covered in test_audit_chain; deleting needs the trigger disabled")
        connection.execute(text("DROP TRIGGER audit_events_no_delete"))
        connection.execute(text("DELETE FROM audit_events WHERE seq = 2"))
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "chain BROKEN at event 2: event 2 missing" in result.output


def test_verify_shows_progress_on_a_long_chain(runner, app, monkeypatch):
    from ethics_cases.audit import cli

    monkeypatch.setattr(cli, "PROGRESS_EVERY", 2)
    with app.app_context():
        AuditEventFactory.create_batch(5)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0
    assert "verified 2 of 5 events" in result.output
    assert "verified 4 of 5 events" in result.output


def test_checkpoint_seals_the_head_and_verify_checks_it(runner, app, chain, tmp_path):
    path = tmp_path / "seal.json"
    result = runner.invoke(args=["audit", "checkpoint", "--output", str(path)])
    assert result.exit_code == 0, result.output
    record = json.loads(path.read_text())
    assert (record["seq"], record["hash"]) == (4, chain[-1])
    assert (tmp_path / "audit_checkpoint.key").exists()  # the instance folder, not the database
    result = runner.invoke(args=["audit", "verify", "--checkpoint", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 checkpoint(s) match" in result.output  # the stored one and the file


def test_a_forged_checkpoint_file_is_refused(runner, chain, tmp_path):
    path = tmp_path / "seal.json"
    runner.invoke(args=["audit", "checkpoint", "--output", str(path)])
    record = json.loads(path.read_text()) | {"seq": 3, "hash": chain[2]}
    path.write_text(json.dumps(record))
    result = runner.invoke(args=["audit", "verify", "--checkpoint", str(path)])
    assert result.exit_code == 1
    assert "MAC does not match" in result.output


def test_truncation_is_detected_by_the_checkpoint(runner, app, chain, tmp_path):
    path = tmp_path / "seal.json"
    runner.invoke(args=["audit", "checkpoint", "--output", str(path)])
    with app.app_context(), db.engine.begin() as connection:
        # TRUNCATE is allowed (the test harness needs it); the checkpoint catches it.
        if db.engine.dialect.name == "postgresql":
            connection.execute(text("TRUNCATE audit_events, audit_checkpoints"))
        else:
            connection.execute(text("DROP TRIGGER audit_events_no_delete"))
            connection.execute(text("DROP TRIGGER audit_checkpoints_no_delete"))
            connection.execute(text("DELETE FROM audit_events"))
            connection.execute(text("DELETE FROM audit_checkpoints"))
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0  # a chain of 0 is intact...
    result = runner.invoke(args=["audit", "verify", "--checkpoint", str(path)])
    assert result.exit_code == 1  # ...but not the chain that was sealed
    assert "sealed event 4, but the chain ends at event 0" in result.output


def test_jsonl_export_is_reverified_independently(runner, chain, tmp_path):
    path = tmp_path / "audit.jsonl"
    result = runner.invoke(args=["audit", "export", "--format", "jsonl", "--output", str(path)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [line["hash"] for line in lines] == chain
    previous = "0" * 64
    for line in lines:
        assert line["prev_hash"] == previous
        assert independent_hash(line["prev_hash"], line["event"]) == line["hash"]
        previous = line["hash"]
    assert lines[0]["event"]["reason"] == "Accepted: within jurisdiction — «Ünïcode»"


def test_case_export_is_a_verifiable_subsequence(runner, chain):
    result = runner.invoke(args=["audit", "export", "--case", "EC-2026-0001"])
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["event"]["seq"] for line in lines] == [1, 3]
    for line in lines:
        assert independent_hash(line["prev_hash"], line["event"]) == line["hash"]
    assert lines[1]["prev_hash"] == chain[1]  # links to the event of another case


def test_csv_export_carries_the_hashed_text(runner, chain):
    result = runner.invoke(args=["audit", "export", "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [row["hash"] for row in rows] == chain
    for row in rows:
        digest = hashlib.sha256((row["prev_hash"] + "\n" + row["canonical"]).encode()).hexdigest()
        assert digest == row["hash"]
        assert json.loads(row["canonical"])["action"] == row["action"]


def test_since_filters_and_a_bad_date_is_explained(runner, chain):
    result = runner.invoke(args=["audit", "export", "--since", "2999-01-01"])
    assert result.stdout == ""
    result = runner.invoke(args=["audit", "export", "--since", "last tuesday"])
    assert result.exit_code == 2
    assert "use a date like 2026-01-31" in result.output


def test_a_rewritten_chain_no_longer_matches_the_checkpoint(runner, app, chain, tmp_path):
    path = tmp_path / "seal.json"
    runner.invoke(args=["audit", "checkpoint", "--output", str(path)])
    with app.app_context():
        with db.engine.begin() as connection:  # someone with database access starts over...
            if db.engine.dialect.name == "postgresql":
                connection.execute(text("TRUNCATE audit_events"))
            else:
                connection.execute(text("DROP TRIGGER audit_events_no_delete"))
                connection.execute(text("DELETE FROM audit_events"))
        for _ in range(5):  # ...and writes a new chain whose hashes are all valid
            AuditEventFactory(reason="rewritten history")
    result = runner.invoke(args=["audit", "verify", "--fast", "--checkpoint", str(path)])
    assert result.exit_code == 1
    assert "chain BROKEN at event 4: event 4 differs from the one sealed by" in result.output
    assert "rewritten after the checkpoint" in result.output


def test_a_long_verification_does_not_block_writers(app):
    from ethics_cases.audit.verify import reading_connection, stream_rows

    with app.app_context():
        AuditEventFactory.create_batch(3)
        with reading_connection() as connection:
            rows = stream_rows(connection, full=False)
            assert next(rows).seq == 1  # a read is under way...
            AuditEventFactory()  # ...and a request can still append and commit
            rows.close()
        assert db.session.scalar(select(func.count()).select_from(audit.AuditEvent)) == 4
