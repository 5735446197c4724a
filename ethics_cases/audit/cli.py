"""``flask --app ethics_cases audit verify|checkpoint|export``."""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import UTC, datetime

import click
from flask.cli import AppGroup

from ..extensions import db
from . import checkpoint as checkpoints
from .export import exported_rows, write_csv, write_jsonl
from .verify import PARALLEL_THRESHOLD, Seal, head_seq, reading_connection, verify_chain

PROGRESS_EVERY = 100_000

audit_cli = AppGroup("audit", help="Verify, seal and export the tamper-evident audit trail.")


@audit_cli.command("verify")
@click.option("--fast", is_flag=True,
              help="Check hashes and links only, not that every column matches its record.")
@click.option("--checkpoint", "checkpoint_files", multiple=True,
              type=click.Path(exists=True, dir_okay=False),
              help="A checkpoint file written by `audit checkpoint` (repeatable).")
@click.option("--workers", type=click.IntRange(min=1), default=lambda: os.cpu_count() or 1,
              show_default="the number of CPUs",
              help="Processes that check seq ranges at once (1: one pass in this process). "
                   f"Chains under {PARALLEL_THRESHOLD:,} events are always checked in one.")
def verify(fast: bool, checkpoint_files: tuple[str, ...], workers: int) -> None:
    """Walk the whole chain; exit 0 if intact, 1 at the first broken event (and why)."""
    with reading_connection() as connection:
        seals: list[Seal] = []
        key = checkpoints.checkpoint_key()
        try:
            if key is not None:
                seals += checkpoints.stored_seals(connection, key)
            elif checkpoint_files:
                raise checkpoints.CheckpointError(
                    "no checkpoint key (AUDIT_CHECKPOINT_KEY or instance/audit_checkpoint.key)")
            seals += [checkpoints.read_checkpoint_file(path, key) for path in checkpoint_files]
        except checkpoints.CheckpointError as error:
            click.echo(f"checkpoint REFUSED: {error}", err=True)
            raise SystemExit(1) from None
        total = head_seq(connection)
        if sys.stderr.isatty():
            with click.progressbar(length=total, label="Verifying", file=sys.stderr) as bar:
                result = verify_chain(connection, full=not fast, seals=seals,
                                      progress=bar.update, progress_every=10_000,
                                      workers=workers)
        else:
            result = verify_chain(connection, full=not fast, seals=seals,
                                  progress=ProgressLines(total), progress_every=PROGRESS_EVERY,
                                  workers=workers)
    if result.ok:
        sealed = f"; {result.checkpoints_checked} checkpoint(s) match" if seals else ""
        click.echo(result.summary() + sealed)
        return
    click.echo(result.summary(), err=True)
    raise SystemExit(1)


class ProgressLines:
    """Progress for logs (stderr is not a terminal): one line per step, with the rate and ETA.

    A terminal gets click's progress bar instead, one line redrawn in place with its ETA.
    """

    def __init__(self, total: int) -> None:
        self.total, self.done, self.started = total, 0, time.monotonic()

    def __call__(self, step: int) -> None:
        self.done += step
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = self.done / elapsed
        remaining = max(self.total - self.done, 0) / rate if rate else 0.0
        click.echo(f"verified {self.done} of {self.total} events "
                   f"({self.done / max(self.total, 1):.0%}, {rate:,.0f}/s, "
                   f"ETA {remaining:.0f} s)", err=True)


@audit_cli.command("checkpoint")
@click.option("--output", type=click.Path(dir_okay=False, writable=True),
              help="Also write the checkpoint to this file (keep it outside the database).")
def checkpoint(output: str | None) -> None:
    """Seal the current head with an HMAC (key: AUDIT_CHECKPOINT_KEY or the instance key file)."""
    with db.engine.begin() as connection:
        record = checkpoints.make_checkpoint(connection)
    text = json.dumps(record, sort_keys=True)
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
        click.echo(f"checkpoint of event {record['seq']} written to {output}", err=True)
    click.echo(text)


def _parse_since(_ctx: object, _param: object, value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("use a date like 2026-01-31 or 2026-01-31T12:00") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@audit_cli.command("export")
@click.option("--case", "case_ref", help="Only events of this case reference.")
@click.option("--since", callback=_parse_since, help="Only events at or after this UTC date/time.")
@click.option("--format", "format_", type=click.Choice(["jsonl", "csv"]), default="jsonl",
              show_default=True)
@click.option("--output", type=click.File("w", encoding="utf-8"), default="-",
              help="File to write (default: standard output).")
def export(case_ref: str | None, since: datetime | None, format_: str, output) -> None:  # type: ignore[no-untyped-def]
    """Write events with prev_hash and hash, re-verifiable without this application."""
    writer = write_jsonl if format_ == "jsonl" else write_csv
    with reading_connection() as connection:
        count = writer(exported_rows(connection, case_ref=case_ref, since=since), output)
    click.echo(f"exported {count} events", err=True)
