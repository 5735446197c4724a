"""The committee case page reads what it needs once: a fixed number of SQL statements whatever
the case holds (history, messages, panel, officers), and the Code versions it quotes come from
a per-process cache that still sees a version registered later."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import markupsafe
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from ethics_cases import audit
from ethics_cases.audit import display
from ethics_cases.cases.models import Case
from ethics_cases.casework import queries as casework_queries
from ethics_cases.casework.models import CaseTag, Tag
from ethics_cases.code import load_code
from ethics_cases.extensions import db
from ethics_cases.pledges.operations import ensure_code_version_registered
from ethics_cases.workflow import code_versions

from .factories.accounts import UserFactory
from .factories.audit import AuditEventFactory
from .factories.cases import CaseMessageFactory
from .factories.workflow import Journey
from .factories.workspace import OfficerAssignmentFactory
from .sql_statements import recorded_statements

#: Statements of one committee case page for a case at its hearing, seen by the chair (the
#: widest view: every box, every form). Lower it when you remove one; never raise it to fit a
#: new per-row query.
CASE_PAGE_STATEMENTS = 29
LATER_CODE = Path(__file__).parent / "data" / "code_of_ethics_2026.yaml"  # 2026.1


def statements_of(app: Flask, get: Callable[[], object]) -> list[str]:
    with recorded_statements(app) as seen:
        get()
    return seen


def page(client: FlaskClient, reference: str) -> str:
    response = client.get(f"/cases/{reference}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def add_history(journey: Journey, events: int, session: Session) -> None:
    """``events`` more history rows by several people, and as many messages."""
    people = UserFactory.create_batch(3)
    case = session.get(Case, journey.case_id)  # the factories' session
    for n in range(events):
        AuditEventFactory(action="case.note_added", subject=audit.Subject("case", journey.case_id),
                          case_ref=journey.ref, reason=f"Entry {n}",
                          actor=audit.Actor("user", str(people[n % 3].id), ""),
                          details={"field": {"before": n, "after": n + 1}})
        CaseMessageFactory(case=case, body=f"Message {n}")
    CaseMessageFactory(case=case, body="Internal only", audience="internal")


def test_case_page_statements_are_fixed_whatever_the_history(app, client, db_session,
                                                             login_as):
    with app.app_context():
        journey = Journey().to_hearing()
        OfficerAssignmentFactory(case_id=journey.case_id, officer_user_id=journey.committee[3].id)
        chair, reference = journey.chair, journey.ref
    login_as(client, chair)
    page(client, reference)  # warm: the Code's clauses are parsed once per process
    few = statements_of(app, lambda: page(client, reference))
    with app.app_context():
        add_history(journey, 40, db_session)
    html = ""

    def get() -> None:
        nonlocal html
        html = page(client, reference)

    cold = statements_of(app, get)  # the history changed: its lines are read and built again
    assert "Entry 39" in html and "Message 39" in html  # the new rows are on the page
    messages_section = html[html.index("<h2>Messages</h2>"):html.index('id="notes"')]
    notes_section = html[html.index('id="notes"'):]
    assert "Internal only" not in messages_section and "Internal only" in notes_section
    many = statements_of(app, get)  # as warm as ``few`` was
    assert len(many) == len(few), "a statement per history row or message"
    assert len(cold) == len(few) + 1  # the history's rows; the newest event's hash is read always
    assert len(many) <= CASE_PAGE_STATEMENTS, "\n".join(many)
    # The Code versions are one short read, without the Code's JSON (parsed once per process).
    versions = [s for s in many if "FROM code_versions" in s]
    assert len(versions) == 1 and "canonical_json" not in versions[0]


def test_a_code_version_registered_later_is_seen_by_the_next_page(app, client, db_session,
                                                                 login_as):
    with app.app_context():
        code_versions.register_running_code()
        db.session.commit()
        journey = Journey(case=None)
        journey.fire("start_screening", journey.chair, reason="")
        chair, reference = journey.chair, journey.ref
    login_as(client, chair)
    before = page(client, reference)
    assert "Code that applies" in before and "The Code has changed since" not in before
    with app.app_context():
        ensure_code_version_registered(load_code(LATER_CODE))
        db.session.commit()
    after = page(client, reference)  # same process, caches warm
    assert "The Code has changed since (version 2026.1" in after
    assert "including after the engagement ends" in after  # the later wording, parsed now


def test_clauses_are_parsed_once_per_fingerprint_and_read_per_version(app, app_ctx,
                                                                     db_session):
    code_versions.register_running_code()
    later_id = ensure_code_version_registered(load_code(LATER_CODE)).id
    db.session.commit()
    db.session.expunge_all()
    versions = code_versions.kept_versions()
    assert [v.version for v in versions] == ["2024.1", "2026.1"]
    running, newer = versions
    # Each fingerprint has its own wording (a cache keyed wrongly would return the other's).
    assert "MPP-A.7" in code_versions.clauses_of(running)
    assert "MPP-A.7" not in code_versions.clauses_of(newer)
    assert "MPP-B.4" in code_versions.clauses_of(newer)
    assert newer.id == later_id
    # Once parsed, another read of the same versions does not load the Code's JSON again.
    db.session.expunge_all()
    again = statements_of(app, lambda: [code_versions.clauses_of(v)
                                                 for v in code_versions.kept_versions()])
    assert len(again) == 1 and "canonical_json" not in again[0]
    assert code_versions.version_in_force(date(2025, 6, 1)).version == "2024.1"
    assert code_versions.version_in_force(date(2026, 6, 1)).version == "2026.1"
    assert code_versions.version_in_force(date(1990, 1, 1)).version == "2024.1"  # the earliest


def test_history_rows_print_what_the_audit_page_prints(app, db_session):
    """The ready-made rows say the same as the per-event helpers the /audit page uses."""
    user = UserFactory(full_name="Rita Recorder")
    with app.app_context():
        AuditEventFactory(action="case.transition.request_information",
                          subject=audit.Subject("case", 5), case_ref="EC-2026-0005",
                          actor=audit.Actor("user", str(user.id), ""), reason="Why",
                          details={"outbox_ids": [12, 7], "flags": [True], "to": "screening",
                                   "state": {"before": "a", "after": "b"}})
        AuditEventFactory(action="complaint.filed", subject=audit.Subject("case", 5),
                          case_ref="EC-2026-0005",
                          actor=audit.Actor("complainant", "EC-2026-0005", "Complainant"),
                          details={})
        events = audit.case_history("EC-2026-0005")
        with app.test_request_context():
            rows = display.history_rows(events)
    filed, asked = rows
    assert (asked.who, asked.what, asked.reason) == (
        "Rita Recorder", display.action_label("case.transition.request_information"), "Why")
    assert asked.lines == display.detail_lines(events[1].details) == [
        ("flags", "[true]", None), ("outbox ids", "[12, 7]", None), ("state", "a", "b"),
        ("to", "screening", None)]
    assert asked.when == events[1].created_at.strftime("%Y-%m-%d %H:%M")
    assert asked.iso == events[1].created_at.isoformat()
    assert (filed.who, filed.what, filed.lines) == ("Complainant", "Complaint filed", [])
    assert filed.details == ""
    assert str(asked.details) == (
        '<ul class="audit-details small"><li><span class="muted">flags:</span> [true]</li>'
        '<li><span class="muted">outbox ids:</span> [12, 7]</li>'
        '<li><span class="muted">state:</span> a <span aria-label="changed to">→</span> b</li>'
        '<li><span class="muted">to:</span> screening</li></ul>')


def test_history_details_are_escaped(app, db_session):
    with app.app_context():
        AuditEventFactory(action="case.updated", subject=audit.Subject("case", 6),
                          case_ref="EC-2026-0006", reason="<b>bold</b>",
                          details={"note<script>": {"before": "<i>", "after": "a & b"}})
        with app.test_request_context():
            html = render_template_string(
                '{% from "audit/_history.html" import render_history %}'
                "{{ render_history(events) }}", events=audit.case_history("EC-2026-0006"))
    assert "<script>" not in html and "<i>" not in html and "<b>" not in html
    assert "note&lt;script&gt;:" in html and "&lt;b&gt;bold&lt;/b&gt;" in html
    assert '&lt;i&gt; <span aria-label="changed to">→</span> a &amp; b' in html
    hostile = "<a href=\"x\" onclick='y'>&amp;</a>"
    assert display._escape(hostile) == str(markupsafe.escape(hostile))  # the same entities


def test_the_tag_section_lists_the_case_tags_and_offers_every_tag(app, client, db_session,
                                                                 login_as):
    with app.app_context():
        journey = Journey()
        chair, reference = journey.chair, journey.ref
    carried, other = Tag(slug="urgent", name="Urgent"), Tag(slug="boundaries", name="Boundaries")
    db_session.add_all([carried, other])
    db_session.flush()
    db_session.add(CaseTag(case_id=journey.case_id, tag_id=carried.id))
    db_session.commit()
    with app.app_context():
        marked = casework_queries.tags_marking_case(journey.case_id)
        assert [(tag.name, on) for tag, on in marked] == [("Boundaries", False), ("Urgent", True)]
    login_as(client, chair)
    html = page(client, reference)
    listed = html[html.index('<ul class="tag-list">'):]
    listed = listed[:listed.index("</ul>")]
    assert "Urgent" in listed and "Boundaries" not in listed
    assert f'<option value="{other.id}">Boundaries</option>' in html  # offered in the menu


def test_cached_history_lines_follow_new_events_and_renamed_people(app, db_session):
    """The history lines are kept per (case, hash of its newest event): a new event changes the
    key, and names are looked up on every read."""
    person = UserFactory(full_name="Nora Before")
    subject = audit.Subject("case", 8)

    def lines() -> list[tuple[str, str]]:
        with app.test_request_context():
            return [(row.who, row.reason or "") for row in
                    display.case_history_rows("EC-2026-0008")]

    with app.app_context():
        assert lines() == []
        AuditEventFactory(action="case.updated", subject=subject, case_ref="EC-2026-0008",
                          actor=audit.Actor("user", str(person.id), ""), reason="first")
        assert lines() == [("Nora Before", "first")]
        assert lines() == [("Nora Before", "first")]  # from the cache
        AuditEventFactory(action="case.updated", subject=subject, case_ref="EC-2026-0008",
                          actor=audit.SYSTEM, reason="second")
        AuditEventFactory(action="case.updated", subject=audit.Subject("case", 9),
                          case_ref="EC-2026-0009", reason="another case")
        assert lines() == [("System", "second"), ("Nora Before", "first")]
    person.full_name = "Nora After"
    db_session.commit()
    with app.app_context():
        assert lines() == [("System", "second"), ("Nora After", "first")]
