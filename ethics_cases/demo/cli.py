"""``flask demo generate`` (a large realistic data set, for benchmarks and load tests) and
``flask demo load-small`` (a small living system for a newcomer; what ``scripts/run`` loads
into a fresh database)."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from ..accounts.models import User
from ..cases.models import Case
from ..extensions import db

demo_cli = AppGroup("demo", help="Demo and benchmark data (never in production).")

SMALL = {"members": 120, "cases": 60, "seed": 2026}


def _refuse_in_production() -> None:
    if current_app.config.get("ENV_NAME") == "production":
        raise click.ClickException("Demo data is never generated in production.")


def _generate(members: int, cases: int, seed: int, batch: int, evidence_every: int,
              skip_letters: bool = False, real_cases: int | None = None,
              now: datetime | None = None) -> None:
    from .generator import DEMO_PASSWORD, Generator, state_counts

    with current_app.test_request_context(
            "/", base_url=current_app.config.get("DEMO_BASE_URL", "http://localhost:5000"),
            headers={"User-Agent": "ethics_cases demo generator"}):
        real = cases if real_cases is None else max(1, min(real_cases, cases))
        label = (f"Filing and deciding {cases} cases" if real == cases else
                 f"{real} cases through the real operations, {cases - real} cloned")
        # One bar on stderr: the cases (real, then cloned), then the clones' audit events
        # (which are chained after all their rows are written).
        with click.progressbar(length=cases * 2 if real < cases else cases, label=label,
                               show_pos=False, show_eta=True, file=sys.stderr) as bar:
            done_events = [0]

            def events_done(count: int, total: int) -> None:
                before = done_events[0] * cases // max(total, 1)
                done_events[0] += count
                bar.update(done_events[0] * cases // max(total, 1) - before)

            generator = Generator(members=members, cases=cases, seed=seed, batch=batch,
                                  evidence_every=evidence_every, skip_letters=skip_letters,
                                  real_cases=real, now=now, progress=bar.update,
                                  event_progress=events_done)
            stats = generator.run()
        db.session.remove()
    real_seconds = stats.seconds - stats.clone_seconds
    operations = stats.real_cases + stats.steps + stats.messages + stats.notes
    click.echo(f"Real operations: {stats.real_cases} cases, {stats.steps} workflow steps, "
               f"{stats.messages} messages, {stats.notes} notes, {stats.refused} steps refused "
               f"by the guards, in {real_seconds:.1f} s "
               f"({stats.real_cases / max(real_seconds, 1e-9):.1f} cases/s, "
               f"{operations / max(real_seconds, 1e-9):.0f} operations/s).")
    if stats.cloned_cases:
        click.echo(f"Cloned: {stats.cloned_cases} cases with {stats.cloned_events} audit events "
                   f"in {stats.clone_seconds:.1f} s "
                   f"({stats.cloned_cases / max(stats.clone_seconds, 1e-9):.0f} cases/s).")
    click.echo(f"Total: {stats.cases} cases in {stats.seconds:.1f} s "
               f"({stats.cases / max(stats.seconds, 1e-9):.1f} cases/s).")
    for reason, count in stats.refusals.most_common(5):
        click.echo(f"  refused {count}x: {reason}")
    if generator.respondents:
        member_id, _user = sorted(generator.respondents.items())[0]
        from ..accounts.models import Member

        member = db.session.get(Member, member_id)
        click.echo(f"Sign in as committee chair: chair@demo.example.org; as a member complained "
                   f"about: {member.email if member else '?'} (password {DEMO_PASSWORD}).")
    counts = state_counts()
    click.echo("Cases by state: " + ", ".join(f"{state} {count}"
                                               for state, count in sorted(counts.items())))


@demo_cli.command("generate")
@click.option("--members", default=2000, show_default=True, help="Members on the roll.")
@click.option("--cases", default=1000, show_default=True, help="Complaints to file.")
@click.option("--seed", default=1, show_default=True, help="Random seed (same seed, same data).")
@click.option("--batch", default=500, show_default=True,
              help="Operations per database transaction (each is still its own SAVEPOINT).")
@click.option("--evidence-every", default=0, show_default=True,
              help="Attach a small document to every Nth complaint (0: none).")
@click.option("--skip-letters", is_flag=True,
              help="Issue no PDF letters (each costs ~0.2-0.5 s; for large data sets).")
@click.option("--now", "end", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="End of the generated three years (default: today, now). The same --seed "
                   "and --now give the same data.")
@click.option("--real-cases", default=1000, show_default=True,
              help="How many cases go through the real operations; the rest are clones of "
                   "their histories (0 or >= --cases: all real).")
def generate(members: int, cases: int, seed: int, batch: int, evidence_every: int,
             skip_letters: bool, end: datetime | None, real_cases: int) -> None:
    """Fill the database with a realistic association: committee, roll, complaints in every
    stage and sanction, with histories, messages, notes and the audit chain.

    \b
    Real operations: the committee and roll (create_user, roster import), then the first
    --real-cases complaints, each filed, moved through every step (workflow.operations.fire:
    guards, effects, sanctions ladder), with the complainant's and committee's messages and
    notes (casework operations), each operation audited, on a simulated clock.
    Cloned: the remaining cases copy those histories in bulk (Core INSERTs): every row of the
    case with new ids and reference, another member as respondent, dates shifted; their audit
    events re-serialised and chained after the head with the audit package's own functions,
    so `flask audit verify` checks them."""
    _refuse_in_production()
    _generate(members, cases, seed, batch, evidence_every, skip_letters,
              None if real_cases <= 0 else real_cases,
              end.replace(hour=12, tzinfo=UTC) if end else None)


@demo_cli.command("load-small")
def load_small() -> None:
    """Load the small demo data set into a FRESH database (no accounts, no cases), so a
    newcomer sees a living system; does nothing otherwise, so ``scripts/run`` may call it on
    every start. Logins: see the README."""
    if current_app.config.get("ENV_NAME") == "production":
        click.echo("Production: demo data is never loaded.")
        return
    users = db.session.scalar(select(func.count()).select_from(User)) or 0
    cases = db.session.scalar(select(func.count()).select_from(Case)) or 0
    db.session.commit()
    if users or cases:
        click.echo("The database is in use: demo data not loaded.")
        return
    _generate(SMALL["members"], SMALL["cases"], SMALL["seed"], 200, 4)


@demo_cli.command("clone")
@click.option("--cases", "total", required=True, type=int,
              help="How many cases the database should hold afterwards.")
@click.option("--seed", default=1, show_default=True, help="Random seed (same seed, same data).")
def clone(total: int, seed: int) -> None:
    """Scale up a database filled by `demo generate`: its cases are the sample, and their
    histories are cloned (as `generate` does past --real-cases) until it holds --cases cases.
    For resuming a large generation or growing a benchmark database; demo data only."""
    _refuse_in_production()
    from ..accounts.models import Member
    from ..audit.models import AuditEvent
    from .cloner import Cloner
    from .generator import SPAN_DAYS

    # the sample: cases with their history in the audit trail (not rows a stopped clone left)
    case_ids = list(db.session.scalars(select(Case.id).where(Case.reference.in_(
        select(AuditEvent.case_ref).where(AuditEvent.action == "complaint.filed")))
        .order_by(Case.id)))
    existing = db.session.scalar(select(func.count()).select_from(Case)) or 0
    member_ids = list(db.session.scalars(select(Member.id).order_by(Member.id)))
    first = db.session.scalar(select(func.min(Case.submitted_at)))
    db.session.commit()
    if existing >= total:
        click.echo(f"The database already holds {existing} cases: nothing to clone.")
        return
    if not case_ids:
        raise click.ClickException("No case with an audit history to clone.")
    end = datetime.now(UTC)
    start = min(first or end, end - timedelta(days=SPAN_DAYS))
    began = time.perf_counter()
    count = total - existing
    with click.progressbar(length=count * 2, label=f"Cloning {count} cases from "
                           f"{len(case_ids)}", show_eta=True, file=sys.stderr) as bar:
        done_events = [0]

        def events_done(batch: int, events: int) -> None:
            before = done_events[0] * count // max(events, 1)
            done_events[0] += batch
            bar.update(done_events[0] * count // max(events, 1) - before)

        stats = Cloner(sample_case_ids=case_ids, count=count, seed=seed, start=start, end=end,
                       member_ids=member_ids, progress=bar.update,
                       event_progress=events_done).run()
    seconds = time.perf_counter() - began
    click.echo(f"Cloned: {stats.cases} cases with {stats.events} audit events and "
               f"{stats.rows} other rows ({stats.accounts} respondent accounts) in "
               f"{seconds:.1f} s ({stats.cases / max(seconds, 1e-9):.0f} cases/s).")
