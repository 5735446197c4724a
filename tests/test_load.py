"""Load and fault tests: the app under gunicorn with several workers on PostgreSQL.

* Concurrency: committee members apply conflicting steps to the same cases while complainants
  file complaints, all at once: no 5xx, every conflict answered 409/422, no lost or duplicated
  row, each case's history a single line, and the audit chain verifies.
* Crash: the server (master and workers) is killed with SIGKILL in the middle of that load;
  after a restart the database and the chain are consistent, every evidence row has its file,
  and the orphan sweep leaves no file that no row refers to.

SQLite has a single writer and no server process to kill, so these run on PostgreSQL only
(``ETHICS_CASES_TEST_DATABASE_URL``). ``ETHICS_CASES_LOAD_SCALE`` multiplies the CI size.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from ethics_cases.audit.models import AuditEvent
from ethics_cases.cases.models import Case, ComplaintDraft, Evidence
from ethics_cases.security import Role

from .factories.accounts import MemberFactory
from .factories.cases import AllegationFactory, CaseFactory
from .factories.workflow import ChairFactory
from .intake_helpers import GOOD_STEPS, PDF
from .load_helpers import Client, Gunicorn

pytestmark = [pytest.mark.load, pytest.mark.postgres_only]

SCALE = max(1, int(os.environ.get("ETHICS_CASES_LOAD_SCALE", "1")))
CASES = 6 * SCALE
CHAIRS = 4
FILERS = 4 * SCALE
OK, CONFLICT, REFUSED = 302, 409, 422


@pytest.fixture
def server(app, database_url, db_session):  # type: ignore[no-untyped-def]
    gunicorn = Gunicorn(database_url, app.config["UPLOAD_FOLDER"], workers=3)
    Path(gunicorn.upload_folder).mkdir(parents=True, exist_ok=True)
    gunicorn.start()
    yield gunicorn
    gunicorn.stop()


def _people_and_cases() -> tuple[list[Any], list[Any], Any]:
    chairs = [ChairFactory(roles=[Role.CHAIR, Role.COMMITTEE]) for _ in range(CHAIRS)]
    member = MemberFactory(joined_on=None)
    cases = []
    for _ in range(CASES):
        case = CaseFactory(respondent=member)
        AllegationFactory(case=case)
        cases.append(case)
    return chairs, cases, member


def _file_complaint(client: Client, member_number: str, with_file: bool) -> int:
    """Walk the wizard over HTTP; returns the submit's status (302 = filed)."""
    status, _, _ = client.request("GET", "/complaint/")
    if status >= 500:
        return status
    for name in ("about", "respondent", "events", "clauses", "outcome", "consent"):
        data: dict[str, Any] = {"action": "next",
                                **({"member_id": member_number} if name == "respondent"
                                   else GOOD_STEPS[name])}
        if name == "outcome" and with_file:
            data["files"] = [("letter.pdf", PDF)]
        status, _, _ = client.request("POST", f"/complaint/step/{name}", data, multipart=True)
        if status != 302:
            return status
    return client.request("POST", "/complaint/submit")[0]


def _run_load(app: Any, server: Gunicorn, chairs: list[Any], cases: list[Any], member: Any,
              *, stop: threading.Event | None = None, busy: threading.Event | None = None,
              with_files: bool = False
              ) -> tuple[Counter[int], Counter[str], list[BaseException]]:
    """Chairs race each other over the same cases (start screening, then accept vs dismiss,
    all with the version they first saw); complainants file complaints meanwhile.

    With ``stop``, complainants keep filing until it is set, so a crash always lands mid-load
    however fast the machine is; ``busy`` is set once responses are coming back."""
    statuses: Counter[int] = Counter()
    filed: Counter[str] = Counter()
    errors: list[BaseException] = []
    lock = threading.Lock()

    def note(status: int) -> None:
        with lock:
            statuses[status] += 1
            if busy is not None and statuses.total() >= 10:
                busy.set()

    def chair_work(index: int) -> None:
        client = Client(server, app, chairs[index])
        order = cases[index % 2::2] + cases[(index + 1) % 2::2]
        try:
            for case in order:
                if stop is not None and stop.is_set():
                    return
                note(client.request("POST", f"/cases/{case.reference}/actions/start_screening",
                                    {"start_screening-expected_version": 1,
                                     "start_screening-reason": ""})[0])
                trigger = "accept" if index % 2 else "dismiss"
                note(client.request("POST", f"/cases/{case.reference}/actions/{trigger}",
                                    {f"{trigger}-expected_version": 2,
                                     f"{trigger}-clause_ids": ["MPP-B.1"],
                                     f"{trigger}-reason": "Decided in the load test."})[0])
        except BaseException as error:
            with lock:
                errors.append(error)

    def filer_work(index: int) -> None:
        client = Client(server, app)
        try:
            for _attempt in (itertools.count() if stop is not None else range(2)):
                if stop is not None and stop.is_set():
                    return
                status = _file_complaint(client, member.membership_number, with_files)
                note(status)
                with lock:
                    filed["filed" if status == 302 else f"status {status}"] += 1
                client = Client(server, app)
        except BaseException as error:
            with lock:
                errors.append(error)

    threads = [threading.Thread(target=chair_work, args=(i,)) for i in range(CHAIRS)]
    threads += [threading.Thread(target=filer_work, args=(i,)) for i in range(FILERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return statuses, filed, errors


def _assert_consistent(app: Any, db_session: Any, runner: Any) -> None:
    """Histories linear (each step starts where the previous ended, the last ends in the
    case's state), one filing event per case, no draft filed twice, the chain intact."""
    db_session.expire_all()
    cases = db_session.scalars(select(Case).order_by(Case.id)).all()
    for case in cases:
        events = db_session.scalars(
            select(AuditEvent).where(AuditEvent.case_ref == case.reference,
                                     AuditEvent.action.like("case.transition.%"))
            .order_by(AuditEvent.seq)).all()
        state = "submitted"
        for event in events:
            assert event.details["from"] == state, (case.reference, [
                (e.action, e.details["from"], e.details["to"]) for e in events])
            state = event.details["to"]
        assert state == case.state, case.reference
        assert case.version > len(events), (case.reference, case.version, len(events))
    filings = Counter(db_session.scalars(
        select(AuditEvent.case_ref).where(AuditEvent.action == "complaint.filed")))
    assert all(count == 1 for count in filings.values()), filings
    drafts = db_session.scalars(select(ComplaintDraft.filed_case_id)
                                .where(ComplaintDraft.filed_case_id.is_not(None))).all()
    assert len(drafts) == len(set(drafts))  # no draft filed twice, no case from two drafts
    verify = runner.invoke(args=["audit", "verify"])
    assert verify.exit_code == 0 and "intact" in verify.output, verify.output


def test_conflicting_steps_and_filings_at_once(app, server, db_session, runner):
    chairs, cases, member = _people_and_cases()
    before = db_session.scalar(select(func.count()).select_from(Case))

    statuses, filed, errors = _run_load(app, server, chairs, cases, member)

    assert errors == []
    assert not [status for status in statuses if status >= 500], statuses
    assert set(statuses) <= {OK, CONFLICT, REFUSED}, statuses
    # every case was screened exactly once and then decided exactly once
    _assert_consistent(app, db_session, runner)
    for case in cases:
        db_session.refresh(case)
        assert case.state in ("awaiting_response", "dismissed"), case.state
        steps = db_session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.case_ref == case.reference, AuditEvent.action.like("case.transition.%")))
        assert steps == 2, (case.reference, steps)
    # every successful submit is exactly one new case, nothing lost or duplicated
    after = db_session.scalar(select(func.count()).select_from(Case))
    assert after - before == filed["filed"] == FILERS * 2, filed


def test_kill_9_mid_load_leaves_a_consistent_database(app, server, db_session, runner):
    chairs, cases, member = _people_and_cases()
    stop, busy = threading.Event(), threading.Event()
    outcome: dict[str, Any] = {}

    def load() -> None:
        outcome["result"] = _run_load(app, server, chairs, cases, member, stop=stop,
                                      busy=busy, with_files=True)

    worker = threading.Thread(target=load)
    worker.start()
    assert busy.wait(timeout=120), "the server answered no requests"
    server.kill_hard()  # master and workers, mid-request
    stop.set()
    worker.join(timeout=120)
    statuses, _filed, errors = outcome["result"]
    assert errors, "the kill came after the load had finished: nothing was interrupted"
    # before the crash: no 5xx; after it, connection errors are what a client sees
    assert not [status for status in statuses if status >= 500], statuses

    server.start()
    status, _, _ = Client(server).request("GET", "/code")
    assert status == 200
    # the restarted server still serves a filing end to end
    assert _file_complaint(Client(server, app), member.membership_number, True) == 302

    _assert_consistent(app, db_session, runner)
    folder = Path(app.config["UPLOAD_FOLDER"]) / "evidence"
    stored = {path.name for path in folder.iterdir()} if folder.exists() else set()
    referenced = set(db_session.scalars(select(Evidence.stored_name)))
    assert referenced <= stored, referenced - stored  # every evidence row has its file
    # files written by requests that died before their commit are swept, nothing else
    from ethics_cases.cases import drafts
    from ethics_cases.types import utcnow

    with app.app_context():
        drafts.sweep_orphan_files(now=utcnow() + timedelta(days=2))
        in_drafts = {item["stored_name"] for draft in
                     db_session.scalars(select(ComplaintDraft)) for item in drafts.files(draft)}
    remaining = {path.name for path in folder.iterdir()} if folder.exists() else set()
    assert remaining <= referenced | in_drafts, remaining - referenced - in_drafts
    assert referenced <= remaining
