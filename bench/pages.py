"""Page benchmarks: the committee's case list (queue) and a case page, vs a bare Flask floor.

    .venv/bin/python bench/pages.py --database-url URL [--requests 60] [--history 200]

Runs against an existing database filled by ``flask demo generate`` (e.g. 10k or 100k cases).
Server time per request is measured in-process with Flask's test client (no network), so it is
what the app does for one request: routing, sign-in, every query, the template.

* queue: the committee's case list (``workspace.queue``) with a stage filter (or each
  ``--queue-query``), its counts per stage and tab counts; floor: a bare Flask app running the
  queue's own SQL (built by ``workspace.queries`` for the same person: maintained counts per
  stage, the capped tab counts, the page of 50 rows, their allegations, sanctions, officers,
  the assignee list) on a plain Core connection, and rendering the same rows with Jinja.
* case page: ``cases.show`` for a case with ``--history`` recorded steps (added here through
  ``operations.fire("request_information")``, then reused); floor: the same rows read with
  Core (case, allegations, evidence, messages, the case's audit events) rendered by Jinja.

Prints median and p95 in ms and the ratios. Aims (issue 8): queue ≤ 2× its floor, and no more
than 1.3× slower at 100k than at 10k (compare two runs); case page ≤ 2×.

``--statements`` also prints every SQL statement of one case-page request with its time;
``--profile`` prints the top functions (cProfile, cumulative) of ten case-page requests.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask
from sqlalchemy import create_engine, text

from ethics_cases import create_app
from ethics_cases.extensions import db

FLOOR_LIST = """<!doctype html><html><head><title>Cases</title></head><body><main>
<h1>Cases</h1><nav>{% for name in tabs %}<a href="?view={{ name }}">{{ name }}
<span>{{ tabs[name] }}</span></a>{% endfor %}</nav>
<nav>{% for name, count in counts %}<a href="?stage={{ name }}">{{ name }} <b>{{ count }}</b>
</a>{% endfor %}</nav><form><select name="assignee">{% for id, name in assignees %}
<option value="{{ id }}">{{ name }}</option>{% endfor %}</select></form><p>{{ total }} cases</p>
<table><thead><tr><th>Case</th><th>Member</th><th>Stage</th><th>Clauses · sanction</th>
<th>Assigned</th><th>Due</th><th>Filed</th></tr></thead><tbody>{% for row in rows %}<tr>
<td><a href="/cases/{{ row.reference }}">{{ row.reference }}</a>{% if row.action %} Your move
{% endif %}</td><td>{{ row.full_name or row.respondent_description }}
<span>{{ row.membership_number }}</span></td><td>{{ row.state }}</td><td>
{% for clause in clauses.get(row.id, ()) %}<span>{{ clause }}</span>{% endfor %}
{% if row.id in sanctions %}{{ sanctions[row.id].key }} · {{ sanctions[row.id].status }}{% endif %}
</td><td>{{ officers.get(row.id, '') }} {{ row.investigator or '' }}</td>
<td>{{ row.due_at.strftime('%-d %b %Y') if row.due_at else '—' }}</td>
<td>{{ row.submitted_at.strftime('%-d %b %Y') }}</td></tr>{% endfor %}</tbody></table>
<nav>Page 1 of {{ (total + 49) // 50 }}</nav></main></body></html>"""

FLOOR_CASE = """<!doctype html><html><head><title>{{ case.reference }}</title></head><body><main>
<h1>{{ case.reference }}</h1><p>{{ case.state }} — {{ case.full_name }}</p>
<p>{{ case.narrative }}</p><ul>{% for a in allegations %}<li>{{ a.clause_id }}</li>{% endfor %}
</ul><ul>{% for e in evidence %}<li>{{ e.original_filename }} {{ e.size }}</li>{% endfor %}</ul>
<ol>{% for m in messages %}<li>{{ m.created_at }} {{ m.author_kind }}: {{ m.body }}</li>
{% endfor %}</ol><table>{% for e in history %}<tr><td>{{ e.created_at }}</td><td>{{ e.action }}
</td><td>{{ e.actor_kind }} {{ e.actor_id }}</td><td>{{ e.reason or '' }}</td></tr>{% endfor %}
</table></main></body></html>"""


def floor_app(url: str, user: Any = None) -> Flask:
    """A bare Flask app: Core statements on a pooled engine, Jinja templates, nothing else.

    Its queue (``/cases/?stage=...``) runs the app's own SQL for ``user`` (a signed-in
    committee member: ``id``, ``member``, ``role_grants``), built once per query string from
    ``workspace.queries`` (counts per stage, the tab counts, the page of rows, their
    allegations, sanctions and officers, the assignee list), on a plain connection: no ORM
    objects, no sign-in, no forms, a minimal template. That is the floor of the queue's
    work; the app's extra is its own overhead."""
    from datetime import UTC, datetime

    from sqlalchemy import case as case_when
    from sqlalchemy import literal, select
    from sqlalchemy.orm import aliased

    from ethics_cases.accounts.models import Member, User
    from ethics_cases.cases.models import Case
    from ethics_cases.workflow.models import CaseWorkflow
    from ethics_cases.workspace import queries

    app = Flask("floor")
    engine = create_engine(url)
    # Compiled once, as Flask does for template files (render_template_string compiles the
    # source again on every call, which would inflate the floor).
    queue_template = app.jinja_env.from_string(FLOOR_LIST)
    case_template = app.jinja_env.from_string(FLOOR_CASE)
    built: dict[str, dict[str, Any]] = {}

    hidden_statement = select(Case.id, Case.state).where(Case.id.in_(
        queries.hidden_from(user))).order_by(Case.id) if user is not None else None

    def statements(args: Any, hidden: tuple[tuple[int, str], ...]) -> dict[str, Any]:
        key = "&".join(f"{k}={v}" for k, v in sorted(args.items())) + repr(hidden)
        if key not in built:
            viewer = queries.Viewer(user.id, frozenset(g.role for g in user.role_grants),
                                    hidden)
            filters = queries.Filters.from_args(args)
            narrowed = filters.narrowed or filters.view != "all"
            investigator = aliased(User)
            built[key] = {
                "filters": filters, "narrowed": narrowed,
                "narrowed_counts": queries.narrowed_stage_counts_statement(
                    viewer, filters, queries.COUNT_CAP),
                "tabs": queries.tab_counts_statement(viewer, queries.COUNT_CAP),
                "total": queries.total_statement(viewer, filters, queries.COUNT_CAP),
                "rows": select(
                    Case.id, Case.reference, Case.state, Case.due_at, Case.submitted_at,
                    Case.respondent_description, Member.full_name, Member.membership_number,
                    investigator.full_name.label("investigator"),
                    case_when((queries.needs_action(viewer), literal(True)),
                              else_=False).label("action"))
                .select_from(Case).outerjoin(CaseWorkflow, CaseWorkflow.case_id == Case.id)
                .outerjoin(Member, Member.id == Case.respondent_member_id)
                .outerjoin(investigator, investigator.id == CaseWorkflow.investigator_user_id)
                .where(*queries.conditions(viewer, filters))
                .order_by(*queries.ordering(filters)).limit(50),
            }
        return built[key]

    @app.get("/cases/")
    def cases():  # type: ignore[no-untyped-def]
        from collections import Counter

        from flask import request

        with engine.connect() as connection:
            hidden = tuple(connection.execute(hidden_statement).all())
            sql = statements(request.args, hidden)
            filters = sql["filters"]
            moment = queries.at(datetime.now(UTC))
            less = Counter(state for _, state in hidden)
            per_state = {state: n - less[state] for state, n in connection.execute(
                queries.stage_counts_statement())}
            counts = connection.execute(sql["narrowed_counts"], moment).all() \
                if sql["narrowed"] \
                else list(per_state.items())
            if sql["narrowed"] and sum(n for _, n in counts) > queries.COUNT_CAP:
                total = connection.execute(sql["total"], moment).scalar()
            else:
                names = {"open": queries.OPEN_STATES, "closed": queries.FINAL_STATES,
                         "all": dict(counts)}.get(filters.stage, (filters.stage,))
                total = sum(dict(counts).get(name, 0) for name in names)
            tabs = dict(connection.execute(sql["tabs"], moment).one()._mapping)
            tabs["all"] = sum(per_state.get(name, 0) for name in queries.OPEN_STATES)
            rows = connection.execute(sql["rows"], moment).all()
            ids = [row.id for row in rows]
            clauses: dict[int, list[str]] = {}
            for case_id, clause in connection.execute(queries.clauses_statement(ids)):
                clauses.setdefault(case_id, []).append(clause)
            sanctions = {s.case_id: s for s in connection.execute(
                queries.sanctions_statement(ids))}
            officers = dict(connection.execute(queries.officers_statement(ids)).all())
            assignees = connection.execute(queries.assignees_statement()).all()
        return queue_template.render(rows=rows, counts=counts, tabs=tabs, total=total,
                                     clauses=clauses, sanctions=sanctions, officers=officers,
                                     assignees=assignees)

    @app.get("/cases/<reference>")
    def case(reference: str):  # type: ignore[no-untyped-def]
        with engine.connect() as connection:
            row = connection.execute(text(
                "SELECT c.*, m.full_name FROM cases c LEFT JOIN members m "
                "ON m.id = c.respondent_member_id WHERE c.reference = :r"),
                {"r": reference}).one()
            allegations = connection.execute(text(
                "SELECT clause_id FROM allegations WHERE case_id = :i ORDER BY position"),
                {"i": row.id}).all()
            evidence = connection.execute(text(
                "SELECT original_filename, size FROM evidence WHERE case_id = :i"),
                {"i": row.id}).all()
            messages = connection.execute(text(
                "SELECT created_at, author_kind, body FROM case_messages WHERE case_id = :i "
                "ORDER BY created_at"), {"i": row.id}).all()
            history = connection.execute(text(
                "SELECT created_at, action, actor_kind, actor_id, reason FROM audit_events "
                "WHERE case_ref = :r ORDER BY seq"), {"r": reference}).all()
        return case_template.render(case=row, allegations=allegations, evidence=evidence,
                                    messages=messages, history=history)

    return app


def timed_pair(get: Callable[[], object], floor: Callable[[], object],
               requests: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """``timed`` for the app and its floor, one request of each in turn: on a shared machine
    whose load changes by the second, both then see the same conditions (the ratio is what
    counts)."""
    for _ in range(3):
        get(), floor()
    samples: tuple[list[float], list[float]] = ([], [])
    for _ in range(requests):
        for which, call in enumerate((get, floor)):
            began = time.perf_counter()
            call()
            samples[which].append((time.perf_counter() - began) * 1000)
    app_s, floor_s = (sorted(s) for s in samples)
    return ((statistics.median(app_s), app_s[int(len(app_s) * 0.95) - 1]),
            (statistics.median(floor_s), floor_s[int(len(floor_s) * 0.95) - 1]))


def timed(get: Callable[[], object], requests: int) -> tuple[float, float]:
    for _ in range(3):  # warm caches, pools, compiled templates
        get()
    samples = []
    for _ in range(requests):
        began = time.perf_counter()
        get()
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def case_with_history(app: Flask, steps: int) -> str:
    """A case in investigation with ``steps`` information requests on it (each a real step:
    a message and an audit event), made once and reused on later runs."""
    from sqlalchemy import func, select

    from ethics_cases.accounts.models import User
    from ethics_cases.audit.models import AuditEvent
    from ethics_cases.cases.models import Case
    from ethics_cases.workflow import operations
    from ethics_cases.workflow.models import CaseWorkflow

    with app.test_request_context("/"):
        events = (select(AuditEvent.case_ref, func.count().label("n"))
                  .where(AuditEvent.case_ref.is_not(None)).group_by(AuditEvent.case_ref)
                  .order_by(func.count().desc()).limit(1))
        top = db.session.execute(events).first()
        if top is not None and top.n >= steps:
            return str(top.case_ref)
        row = db.session.execute(
            select(Case, CaseWorkflow.investigator_user_id)
            .join(CaseWorkflow, CaseWorkflow.case_id == Case.id)
            .where(Case.state == "investigation",
                   CaseWorkflow.investigator_user_id.is_not(None)).limit(1)).first()
        if row is None:
            raise SystemExit("no case in investigation: run flask demo generate first")
        case, investigator_id = row
        investigator = db.session.get(User, investigator_id)
        have = db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.case_ref == case.reference)) or 0
        for n in range(max(steps - have, 0)):
            case = db.session.get(Case, case.id)
            operations.fire(case, "request_information", investigator,
                            {"audience": "complainant" if n % 2 else "respondent"},
                            expected_version=case.version,
                            reason=f"Question {n + 1}: please send the documents about it.")
        return case.reference


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--history", type=int, default=200)
    parser.add_argument("--state", default="awaiting_response")
    parser.add_argument("--queue-query", action="append",
                        help="query string of a queue page to time (repeatable; default: "
                        "state=--state)")
    parser.add_argument("--queue-statements", action="store_true",
                        help="list the SQL statements of one request of each queue page")
    parser.add_argument("--queue-only", action="store_true", help="skip the case page")
    parser.add_argument("--statements", action="store_true",
                        help="list the SQL statements of one case-page request")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile ten case-page requests (top 40, cumulative)")
    args = parser.parse_args()

    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url,
                      "SECRET_KEY": "bench-secret-key-0123456789-0123456789",
                      "RATELIMIT_ENABLED": False})
    client = app.test_client()
    with app.app_context():
        from sqlalchemy import func, select

        from ethics_cases.accounts.models import User, UserRole
        from ethics_cases.cases.models import Case

        chair = db.session.scalar(select(User).join(UserRole).where(UserRole.role == "chair")
                                  .limit(1))
        total = db.session.scalar(select(func.count()).select_from(Case))
        user_id = chair.get_id()
        # What the queue's SQL needs of the signed-in person, for the floor.
        signed_in = SimpleNamespace(
            id=chair.id, member=SimpleNamespace(id=chair.member.id) if chair.member else None,
            role_grants=[SimpleNamespace(role=grant.role) for grant in chair.role_grants])
    with client.session_transaction() as session:
        session["_user_id"] = user_id
        session["_fresh"] = True
    floor = floor_app(args.database_url, signed_in).test_client()
    endpoint = "workspace.queue" if "workspace.queue" in app.view_functions else "cases.index"
    with app.test_request_context():
        from flask import url_for

        queue_url = url_for(endpoint)

    print(f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]} — {total} cases; "
          f"{args.requests} requests each after 3 warm-up")
    for query in args.queue_query or [f"state={args.state}"]:
        status = client.get(f"{queue_url}?{query}").status_code
        assert status == 200, status
        assert floor.get(f"/cases/?{query}").status_code == 200
        app_q, floor_q = timed_pair(lambda q=query: client.get(f"{queue_url}?{q}"),
                                    lambda q=query: floor.get(f"/cases/?{q}"), args.requests)
        print(f"queue ({endpoint}, {query or 'no filter'}): app {app_q[0]:.1f} ms "
              f"(p95 {app_q[1]:.1f}) | floor {floor_q[0]:.1f} ms (p95 {floor_q[1]:.1f}) | "
              f"ratio {app_q[0] / floor_q[0]:.2f}x")
        if args.queue_statements:
            print_statements(app, lambda q=query: client.get(f"{queue_url}?{q}"))
    if args.queue_only:
        return

    reference = case_with_history(app, args.history)
    assert client.get(f"/cases/{reference}").status_code == 200
    app_c, floor_c = timed_pair(lambda: client.get(f"/cases/{reference}"),
                                lambda: floor.get(f"/cases/{reference}"), args.requests)
    with app.app_context():
        from ethics_cases.audit.models import AuditEvent

        events = db.session.scalar(select(func.count()).select_from(AuditEvent)
                                   .where(AuditEvent.case_ref == reference))
    print(f"case page ({reference}, {events} history events): app {app_c[0]:.1f} ms "
          f"(p95 {app_c[1]:.1f}) | floor {floor_c[0]:.1f} ms (p95 {floor_c[1]:.1f}) | ratio "
          f"{app_c[0] / floor_c[0]:.2f}x")
    if args.statements:
        print_statements(app, lambda: client.get(f"/cases/{reference}"))
    if args.profile:
        profile(lambda: client.get(f"/cases/{reference}"), 10)


def print_statements(app: Flask, get: Callable[[], object]) -> None:
    """Every statement one request issues, with its duration (first 100 characters)."""
    from sqlalchemy import event

    seen: list[tuple[str, float]] = []

    def before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        conn.info["bench_began"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        seen.append((" ".join(statement.split())[:100],
                     (time.perf_counter() - conn.info["bench_began"]) * 1000))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        get()
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    print(f"{len(seen)} statements, {sum(t for _, t in seen):.1f} ms in the driver:")
    for statement, took in seen:
        print(f"  {took:6.2f} ms  {statement}")


def profile(get: Callable[[], object], requests: int) -> None:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        get()
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
