"""A realistic association: members, committee, complaints in every stage and sanction.

Two parts: a sample of cases run through the real operations (this module), and, when more
cases are asked for than ``real_cases``, copies of the sample's histories written in bulk
(``cloner.py``; its docstring says what a clone is and is not).

How the real part stays honest:

* Every row is written by the operation real use goes through: the roll by
  ``accounts.roster.import_roster``, accounts by ``create_user`` / ``register_member``,
  complaints by ``cases.operations.file_complaint`` (from a completed draft), every later step by
  ``workflow.operations.fire`` (guards, effects, sanctions ladder, one audit event each),
  complainants' messages by ``cases.operations.reply_as_complainant``, and the committee's notes
  and messages between steps by ``casework.operations.add_note`` / ``send_message``. Nothing
  writes a state column directly.
* Time is simulated: every case gets a plan (the steps to its target outcome) spread over the
  past years, and all cases' steps run in one chronological order with the clock of every
  module that reads ``utcnow`` set to the step's moment. So deadlines, appeal windows and
  sanction dates are checked by the real guards, and the audit chain's timestamps follow its
  sequence, as in a real history. Every outcome is planned once before the random ones.
* Speed: each operation still commits (``fire`` commits), but the session is joined to an outer
  transaction in ``create_savepoint`` mode, so an operation's commit releases a SAVEPOINT and its
  failure rolls back only that operation; the outer transaction commits every ``batch`` steps.
  Scrypt is run once for the shared demo password, not once per account.

A step the real guards refuse (e.g. the ladder requires a higher sanction for a member with two
warnings, or a revoked member's later case is out of jurisdiction) is retried with the next
sanction level when the ladder is the reason, otherwise the case simply stops where it is:
that is what would happen in real life too.
"""

from __future__ import annotations

import csv
import hashlib
import heapq
import io
import random
import secrets
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app, g
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import types as app_types
from ..accounts import operations as accounts
from ..accounts.models import Member, User
from ..accounts.roster import import_roster
from ..cases import auditing as case_auditing
from ..cases import operations as intake
from ..cases.models import Case, ComplaintDraft
from ..cases.references import generate_followup_key
from ..code import current_code
from ..extensions import db
from ..security import Role
from ..workflow import operations as workflow
from ..workflow.context import CaseChanged, Refused

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - documented demo logins, never in production
DEMO_DOMAIN = "demo.example.org"  # example.org is reserved: nothing generated is deliverable
SPAN_DAYS = 3 * 365

FIRST_NAMES = ("Amina", "Ben", "Chloé", "Dmitri", "Elena", "Farid", "Grace", "Hiroshi", "Ines",
               "Jonas", "Kemi", "Liam", "Maya", "Nikos", "Olga", "Pedro", "Qiu", "Rosa",
               "Samir", "Tanya", "Ulla", "Víctor", "Wen", "Ximena", "Yusuf", "Zofia")
LAST_NAMES = ("Adeyemi", "Brennan", "Castillo", "Dubois", "Eriksen", "Fischer", "García",
              "Hansen", "Ivanova", "Jensen", "Kowalski", "Lindqvist", "Moreau", "Nakamura",
              "O'Connor", "Petrov", "Quinn", "Rossi", "Schmidt", "Tanaka", "Ueda", "Varga",
              "Weber", "Xu", "Yilmaz", "Zimmermann")
NARRATIVES = (
    "During our mentoring sessions my mentor repeatedly shared details about other clients, "
    "naming them and their employers. I felt my own confidentiality could not be trusted.",
    "The mentor agreed a fee for six sessions, then after the third session demanded a higher "
    "fee to continue and stopped answering my messages when I refused.",
    "My mentor pressed me to invest in a business they own and said the mentoring would go "
    "better if I did. I declined and the sessions became hostile.",
    "The mentor presented a credential they do not hold on their website and in our contract, "
    "which was the reason our company chose them for the programme.",
    "In a group mentoring session the mentor made repeated remarks about my accent and "
    "background in front of the group, and dismissed my complaint afterwards.",
    "The mentor started a personal relationship with my employee while mentoring them under a "
    "contract with our company, without telling us about the conflict of interest.",
)
NOTES = ("Called the complainant to confirm the dates; notes on file.",
         "Checked the member's credentials against the register: as stated.",
         "Discussed at the committee meeting; no conflict of interest raised.",
         "Reminder set for the response deadline.",
         "Read the documents; the contract supports the account given.",
         "Spoke to the investigator about the timetable.")
COMMITTEE_MESSAGES = ("Thank you for your message; the committee will consider it at its next "
                      "meeting.", "We have received your documents and added them to the file.")
RELATIONSHIPS = ("client", "sponsor", "colleague", "member_of_public", "other")

# Target outcomes and how common each is; the keys say where the case ends.
OUTCOMES: dict[str, int] = {
    "submitted": 5, "screening": 5, "dismissed": 12, "dismissal_appealed": 2,
    "withdrawn": 5, "awaiting_response": 6, "responded": 6, "resolution_proposed": 3,
    "agreement_warning": 8, "agreement_training": 3, "agreement_declined": 2,
    "investigation": 5, "panel_forming": 4, "hearing": 4, "no_breach": 6,
    "decided": 3, "appeal": 2, "appeal_upheld": 2, "in_effect": 6, "compliance_confirmed": 6,
    "escalated": 1, "suspension": 2, "revocation": 1, "legal_referral": 1,
}
SANCTION_ORDER = ("warning", "training", "probation", "suspension", "revocation",
                  "legal_referral")


@dataclass
class Step:
    after_days: tuple[int, int]
    trigger: str
    actor: str  # chair, committee, investigator, panel0..2, appeal0..2, respondent, complainant
    data: Callable[[Run, datetime], dict[str, Any]] = lambda run, now: {}
    reason: str = "Decided at the committee's meeting; see the minutes."


@dataclass
class Run:
    """One case being driven through its plan."""

    index: int
    outcome: str
    steps: list[Step]
    sanction: str | None = None
    respondent_member_id: int | None = None
    respondent_user_id: int | None = None
    case_id: int | None = None
    position: int = 0
    committee: list[int] = field(default_factory=list)


@dataclass
class Stats:
    cases: int = 0
    steps: int = 0
    refused: int = 0
    messages: int = 0
    notes: int = 0
    real_cases: int = 0
    cloned_cases: int = 0
    cloned_events: int = 0
    clone_seconds: float = 0.0
    outcomes: Counter[str] = field(default_factory=Counter)
    refusals: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0


def _day(now: datetime, days: int) -> str:
    return (now.date() + timedelta(days=days)).isoformat()


def _sanction_data(key: str, now: datetime) -> dict[str, Any]:
    data: dict[str, Any] = {"sanction_key": key}
    if key == "training":
        data.update(programme="IMC Ethics in Practice (12 hours)",
                    completion_deadline=_day(now, 120))
    elif key in ("probation", "suspension"):
        data.update(start_date=_day(now, 1), end_date=_day(now, 150))
    elif key == "legal_referral":
        data.update(authority="National Consumer Protection Office",
                    authority_reference=f"NCPO-{now.year}-{now.microsecond % 9000 + 1000}")
    return data


def plan_for(outcome: str, rng: random.Random) -> tuple[list[Step], str | None]:
    """The steps that take a new complaint to ``outcome`` (and the sanction it gets)."""
    s = Step
    screening = [s((0, 6), "start_screening", "committee")]
    accept = [*screening, s((3, 20), "accept", "chair", reason="Within jurisdiction and time; "
                            "the allegations would breach the cited clauses if true.")]
    respond = s((2, 25), "respond", "respondent",
                reason="I dispute the account given and attach my notes of the sessions.")
    investigation = [*accept, respond,
                     s((3, 15), "start_investigation", "chair",
                       lambda run, now: {"investigator_id": run.committee[-1]}),
                     s((5, 20), "request_information", "investigator",
                       lambda run, now: {"audience": "complainant"},
                       reason="Please send the contract and any messages about the fee.")]
    findings = [*investigation,
                s((10, 45), "submit_findings", "investigator",
                  lambda run, now: {"findings": "Interviews with both parties and the documents "
                                    "support the complaint on the cited clauses."})]
    panel = [*findings, *(s((1, 6), "appoint_panelist", "chair",
                            lambda run, now, i=i: {"panelist_id": run.committee[i]})
                          for i in range(3)),
             *(s((1, 5), "declare_no_conflict", f"panel{i}", lambda run, now: {"no_conflict": 1})
               for i in range(3)),
             s((2, 10), "schedule_hearing", "chair",
               lambda run, now: {"hearing_on": _day(now, 21)})]

    def votes(breached: bool) -> list[Step]:
        return [s((22, 30) if i == 0 else (0, 2), "cast_vote", f"panel{i}",
                  lambda run, now, b=breached: {"votes": {"*": b}},
                  reason="Weighed the findings and both parties' statements.")
                for i in range(3)]

    def decide(key: str | None) -> list[Step]:
        return [s((1, 7), "decide", "chair",
                  (lambda run, now: _sanction_data(run.sanction, now)) if key else
                  (lambda run, now: {}),
                  reason="The panel's reasons are set out in the decision letter.")]

    confirm = s((29, 40), "confirm_sanction", "committee", reason="No appeal was filed.")
    sanction = None
    if outcome == "submitted":
        steps: list[Step] = []
    elif outcome == "screening":
        steps = screening
    elif outcome in ("dismissed", "dismissal_appealed"):
        steps = [*screening, s((3, 20), "dismiss", "chair",
                               reason="The conduct described falls outside the Code's scope.")]
        if outcome == "dismissal_appealed":
            steps.append(s((2, 20), "appeal_dismissal", "complainant",
                           reason="The screening overlooked the contract I sent."))
    elif outcome == "withdrawn":
        steps = [*screening, s((2, 30), "withdraw", "complainant",
                               reason="We resolved the matter between ourselves.")]
    elif outcome == "awaiting_response":
        steps = accept
    elif outcome == "responded":
        steps = [*accept, respond]
    elif outcome.startswith("agreement") or outcome == "resolution_proposed":
        sanction = "training" if outcome == "agreement_training" else "warning"
        steps = [*accept, s((5, 20), "propose_agreement", "committee",
                            lambda run, now: _sanction_data(run.sanction, now),
                            reason="A resolution by agreement fits a first breach.")]
        if outcome == "agreement_declined":
            steps.append(s((2, 10), "decline_agreement", "respondent",
                           reason="I do not accept that a breach occurred."))
        elif outcome != "resolution_proposed":
            steps.append(s((2, 10), "accept_agreement", "respondent",
                           reason="I accept and apologise."))
            if sanction == "training":
                steps += [s((20, 60), "report_completion", "respondent",
                            reason="Completed the ethics programme; certificate attached."),
                          s((3, 15), "confirm_compliance", "committee",
                            reason="Certificate checked.")]
    elif outcome == "investigation":
        steps = investigation
    elif outcome == "panel_forming":
        steps = findings + panel[len(findings):len(findings) + 2]
    elif outcome == "hearing":
        steps = panel + votes(True)[:rng.randint(0, 2)]
    elif outcome == "no_breach":
        steps = [*panel, *votes(False), *decide(None)]
    else:
        sanction = {"suspension": "suspension", "revocation": "revocation",
                    "legal_referral": "legal_referral", "escalated": "training",
                    "compliance_confirmed": rng.choice(("training", "probation"))}.get(
            outcome, rng.choice(SANCTION_ORDER[:3]))
        steps = [*panel, *votes(True), *decide(sanction)]
        if outcome in ("appeal", "appeal_upheld"):
            steps.append(s((2, 20), "appeal", "respondent",
                           reason="The panel gave no weight to my evidence."))
            if outcome == "appeal_upheld":
                steps += [*(s((1, 5), "appoint_panelist", "chair",
                              lambda run, now, i=i: {"panelist_id": run.committee[3 + i]})
                            for i in range(3)),
                          *(s((1, 5), "declare_no_conflict", f"appeal{i}",
                              lambda run, now: {"no_conflict": 1}) for i in range(3)),
                          s((10, 30), "decide_appeal", "chair",
                            lambda run, now: {"appeal_outcome": "upheld"},
                            reason="The first panel's findings stand.")]
        elif outcome != "decided":
            steps.append(confirm)
            if outcome == "compliance_confirmed" or outcome == "escalated":
                if sanction == "training":
                    steps.append(s((20, 60), "report_completion", "respondent",
                                   reason="Completed the ethics programme."))
                elif sanction == "probation":
                    steps.append(s((30, 60), "record_check_in", "committee",
                                   reason="Supervision notes received; no concerns."))
                if outcome == "escalated" and sanction == "training":
                    steps[-1] = s((130, 150), "report_non_compliance", "chair",
                                  lambda run, now: {"hearing_on": _day(now, 21)},
                                  reason="The programme was not completed by the deadline.")
                else:
                    steps.append(s((160, 180) if sanction != "training" else (3, 15),
                                   "confirm_compliance", "committee",
                                   reason="Compliance checked."))
    return list(steps), sanction


# -- the environment ------------------------------------------------------------------------


class Clock:
    """The simulated ``utcnow`` every patched module reads."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@contextmanager
def simulated_time(clock: Clock) -> Iterator[None]:
    real = app_types.utcnow
    patched = [module for name, module in list(sys.modules.items())
               if name.startswith("ethics_cases") and module is not None
               and getattr(module, "utcnow", None) is real]
    for module in patched:
        module.utcnow = clock  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for module in patched:
            module.utcnow = real  # type: ignore[attr-defined]


@contextmanager
def cached_password_hashing() -> Iterator[None]:
    """Every demo account shares DEMO_PASSWORD: hash it once (scrypt is slow on purpose)."""
    from ..accounts import models as account_models

    real = account_models.generate_password_hash
    cache: dict[str, str] = {}

    def cached(password: str, *args: Any, **kwargs: Any) -> str:
        if password not in cache:
            cache[password] = real(password, *args, **kwargs)
        return cache[password]

    account_models.generate_password_hash = cached  # type: ignore[assignment]
    try:
        yield
    finally:
        account_models.generate_password_hash = real  # type: ignore[assignment]


@contextmanager
def without_letters(skip: bool) -> Iterator[None]:
    """``--skip-letters``: steps issue no PDF letters. Rendering one costs ~0.15-0.3 s of CPU
    here (fpdf2 lays out the text and subsets the fonts for every letter); everything else of
    each step still runs. Off by default."""
    if not skip:
        yield
        return
    try:
        from ..notifications import letters
    except ImportError:  # notifications not installed
        yield
        return
    real = letters.generate_for_step
    letters.generate_for_step = lambda ctx, new_state: []  # type: ignore[assignment]
    try:
        yield
    finally:
        letters.generate_for_step = real  # type: ignore[assignment]


class Batches:
    """The app's session joined to an outer transaction: each operation's commit releases a
    SAVEPOINT, ``flush_batch`` commits the outer transaction."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.pending = 0
        self.connection = db.engine.connect()
        self.outer = self.connection.begin()
        # Objects stay loaded across operations (``fire`` re-reads the case itself, with its
        # lock, as in a request); only the users are kept, see ``Generator.actor``.
        self.session = Session(bind=self.connection, join_transaction_mode="create_savepoint",
                               expire_on_commit=False)
        self.previous = db.session.registry()
        db.session.registry.set(self.session)

    def step_done(self) -> None:
        self.pending += 1
        if self.pending >= self.size:
            self.flush_batch()

    def flush_batch(self) -> None:
        self.session.commit()
        self.outer.commit()
        # Start each batch with an empty identity map: every SAVEPOINT snapshots it and every
        # flush walks it, so a session that keeps all it ever loaded slows every operation down
        # as the data set grows (as a request's session would, if it never ended).
        self.session.expunge_all()
        self.outer = self.connection.begin()
        self.pending = 0

    def close(self) -> None:
        self.flush_batch()
        self.outer.commit()
        self.session.close()
        self.connection.close()
        db.session.registry.set(self.previous)


# -- the generator --------------------------------------------------------------------------


class Generator:
    def __init__(self, *, members: int, cases: int, seed: int = 1, batch: int = 500,
                 now: datetime | None = None, evidence_every: int = 0,
                 skip_letters: bool = False, real_cases: int | None = None,
                 progress: Callable[[int], None] | None = None,
                 event_progress: Callable[[int, int], None] | None = None) -> None:
        self.skip_letters = skip_letters
        # how many cases go through the real operations; the rest are cloned (cloner.py)
        self.real_cases = cases if real_cases is None else max(1, min(real_cases, cases))
        self.total_cases = cases
        self.event_progress = event_progress
        self.filed_case_ids: list[int] = []
        self.rng = random.Random(seed)  # noqa: S311 - reproducible data, not secrets
        self.seed = seed
        self.members = members
        self.cases = self.real_cases
        self.batch = batch
        self.end = now or app_types.utcnow()
        self.start = self.end - timedelta(days=SPAN_DAYS)
        self.clock = Clock(self.start)
        self.progress = progress or (lambda n: None)
        self.evidence_every = evidence_every
        self.stats = Stats()
        self.code = current_code()
        self.clause_ids = [clause.id for clause in self.code.clauses]
        self.committee: list[int] = []
        self.chair_id = 0
        self.member_ids: list[int] = []
        self.respondents: dict[int, int] = {}  # member id -> user id
        self.users: dict[int, User | None] = {}

    # people ------------------------------------------------------------------------------

    def _name(self) -> str:
        return f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"

    def people(self) -> None:
        """The committee (through ``create_user``) and the roll (through the roster import);
        members who will be complained about register accounts (``register_member``)."""
        existing = db.session.scalar(select(func.count()).select_from(Member)) or 0
        staff = [("chair", "Chair Cecilia Ortega", {Role.CHAIR, Role.COMMITTEE}),
                 ("admin", "Admin Arjun Patel", {Role.ADMIN})]
        staff += [(f"committee{i}", f"{self._name()} (committee)", {Role.COMMITTEE})
                  for i in range(1, 9)]
        for local, name, roles in staff:
            email = f"{local}@{DEMO_DOMAIN}"
            user = accounts.user_by_email(email)
            if user is None:
                user = accounts.create_user(email, name, DEMO_PASSWORD, roles)
            if Role.CHAIR in roles:
                self.chair_id = user.id
            elif Role.COMMITTEE in roles:
                self.committee.append(user.id)
        db.session.commit()

        chunk = 2000
        for first in range(0, self.members, chunk):
            rows = io.StringIO()
            writer = csv.writer(rows)
            writer.writerow(["membership_number", "full_name", "email", "membership_type",
                             "credentials", "joined_on"])
            for n in range(first, min(first + chunk, self.members)):
                number = f"IMC-D{existing + n + 1:06d}"
                joined = date(2008, 1, 1) + timedelta(days=self.rng.randint(0, 3650))
                writer.writerow([number, self._name(), f"{number.lower()}@{DEMO_DOMAIN}",
                                 self.rng.choice(("mentor", "mentor", "mentor",
                                                  "mentor_supervisor", "mentor_trainer")),
                                 self.rng.choice(("Certified Mentor", "Senior Mentor",
                                                  "Accredited Supervisor")),
                                 joined.isoformat()])
            rows.seek(0)
            report = import_roster(rows)
            if not report.imported:
                raise RuntimeError("roster import refused: " + "; ".join(report.errors[:3]))
            self.member_ids.extend(report.created)
            db.session.commit()
        self.member_ids.sort()

    def respondent_user(self, member_id: int) -> int:
        if member_id not in self.respondents:
            member = db.session.get(Member, member_id)
            assert member is not None
            if member.user_id is None:
                user = accounts.register_member(member.membership_number, member.email or "",
                                                DEMO_PASSWORD)
                user_id = user.id
                db.session.commit()
            else:
                user_id = member.user_id
            self.respondents[member_id] = user_id
        return self.respondents[member_id]

    # cases -------------------------------------------------------------------------------

    def _outcome(self) -> str:
        names = list(OUTCOMES)
        return self.rng.choices(names, weights=[OUTCOMES[n] for n in names])[0]

    def schedule(self) -> list[tuple[datetime, int, int]]:
        """Plans for every case, and the heap of (moment, case, step) they run in."""
        self.runs: list[Run] = []
        heap: list[tuple[datetime, int, int]] = []
        pool = self.member_ids[:max(1, min(len(self.member_ids), max(20, self.cases // 2)))]
        if not pool:
            raise RuntimeError("no members to complain about")
        names = list(OUTCOMES)
        for index in range(self.cases):
            # every outcome once first, so even a small sample has every stage and sanction
            outcome = names[index] if index < len(names) else self._outcome()
            steps, sanction = plan_for(outcome, self.rng)
            delays = [self.rng.randint(*step.after_days) for step in steps]
            span = sum(delays) + 1
            latest = SPAN_DAYS - span
            offset = self.rng.uniform(0, max(latest, 0)) if latest > 0 else 0
            committee = self.committee[:]
            self.rng.shuffle(committee)
            run = Run(index=index, outcome=outcome, steps=steps, sanction=sanction,
                      respondent_member_id=pool[min(int(self.rng.paretovariate(1.2)) - 1,
                                                    len(pool) - 1) if self.rng.random() < .3
                                                else self.rng.randrange(len(pool))],
                      committee=committee)
            self.runs.append(run)
            moment = self.start + timedelta(days=offset, seconds=self.rng.randint(0, 86399))
            heapq.heappush(heap, (moment, index, -1))
            for position, delay in enumerate(delays):
                moment += timedelta(days=delay, seconds=self.rng.randint(600, 30000))
                heapq.heappush(heap, (moment, index, position))
        return heap

    def file(self, run: Run) -> None:
        now = self.clock.now
        member = db.session.get(Member, run.respondent_member_id)
        assert member is not None
        conduct = now.date() - timedelta(days=self.rng.randint(7, 400))
        if member.joined_on and conduct < member.joined_on:
            conduct = member.joined_on + timedelta(days=1)
        name = self._name()
        draft = ComplaintDraft(token_hash=hashlib.sha256(secrets.token_bytes(16)).hexdigest(),
                               data={}, created_at=now, updated_at=now,
                               expires_at=now + timedelta(hours=24))
        db.session.add(draft)
        from ..cases import drafts

        local = name.lower().replace(" ", ".").replace("'", "")
        sections = {
            "about": {"name": name, "email": f"{local}.{run.index}@{DEMO_DOMAIN}",
                      "phone": "", "relationship": self.rng.choice(RELATIONSHIPS)},
            "respondent": {"member_id": str(member.id), "description": ""},
            "events": {"narrative": self.rng.choice(NARRATIVES),
                       "conduct_start": conduct.isoformat(), "conduct_end": "",
                       "location": self.rng.choice(("Online", "London", "Lisbon", "Berlin",
                                                    "Nairobi", "Toronto"))},
            "clauses": {"clause_ids": self.rng.sample(self.clause_ids,
                                                      self.rng.choice((1, 1, 2, 3)))},
            "outcome": {"outcome_sought": "That the member acknowledges the breach and "
                                          "changes their practice."},
            "consent": {"withhold_identity": self.rng.random() < .15,
                        "consented_at": now.isoformat()},
        }
        for section, values in sections.items():
            drafts.save_section(draft, section, values, complete=True)
        if self.evidence_every and run.index % self.evidence_every == 0:
            from ..cases import evidence

            stored = evidence.store_bytes("session-notes.txt", (
                f"Notes of the sessions, written by {name}.\n\n" + sections["events"]
                ["narrative"] + "\n").encode())
            drafts.add_files(draft, [stored])
        case = intake.file_complaint(draft, generate_followup_key(), now=now)
        g.pop("audit_actor", None)
        run.case_id = case.id
        db.session.commit()
        self.filed_case_ids.append(case.id)
        self.stats.cases += 1
        if self.rng.random() < .25:
            case = db.session.get(Case, run.case_id)
            case_auditing.act_as_complainant(case.reference)
            intake.reply_as_complainant(case, "I have found further emails that support what I "
                                        "described; I can send them if useful.", None)
            g.pop("audit_actor", None)
            db.session.commit()
            self.stats.messages += 1

    def actor(self, run: Run, who: str) -> tuple[User | None, bool]:
        if who == "complainant":
            return None, True
        if who == "chair":
            user_id = self.chair_id
        elif who == "committee":
            user_id = run.committee[0]
        elif who == "investigator":
            user_id = run.committee[-1]
        elif who.startswith("panel"):
            user_id = run.committee[int(who[-1])]
        elif who.startswith("appeal"):
            user_id = run.committee[3 + int(who[-1])]
        else:  # respondent
            assert run.respondent_member_id is not None
            user_id = self.respondent_user(run.respondent_member_id)
        user = self.users.get(user_id)
        if user is None or user not in db.session:  # load once per batch, as a login would
            user = self.users[user_id] = db.session.get(User, user_id)
        return user, False

    def step(self, run: Run, position: int) -> None:
        if run.case_id is None or position != run.position:
            return  # the case stopped earlier (a step was refused)
        step = run.steps[position]
        case = db.session.get(Case, run.case_id)
        assert case is not None
        user, complainant = self.actor(run, step.actor)
        data = step.data(run, self.clock.now)
        if step.trigger == "cast_vote":
            data = {"votes": {a.id: data["votes"]["*"] for a in case.allegations}}
        for _attempt in range(len(SANCTION_ORDER)):
            try:
                workflow.fire(case, step.trigger, user, data, expected_version=case.version,
                              reason=step.reason, complainant_grant=complainant,
                              now=self.clock.now)
                break
            except Refused as refusal:
                if refusal.field == "sanction_key" and run.sanction in SANCTION_ORDER[:-1]:
                    run.sanction = SANCTION_ORDER[SANCTION_ORDER.index(run.sanction) + 1]
                    data = step.data(run, self.clock.now)
                    case = db.session.get(Case, run.case_id)
                    continue
                self.stats.refused += 1
                self.stats.refusals[f"{step.trigger}: {refusal}"[:90]] += 1
                run.case_id = None
                return
            except CaseChanged:  # pragma: no cover - single writer
                run.case_id = None
                return
        run.position += 1
        self.stats.steps += 1
        if user is not None and user.id != self.respondents.get(run.respondent_member_id or 0):
            self.notes(run, user)

    def notes(self, run: Run, user: User) -> None:
        """What the committee writes on a case between steps, through casework's own
        operations (each one audited, as in real use): internal notes mostly, sometimes a
        message to the complainant."""
        from ..casework import operations as casework
        from ..casework.operations import CaseworkRefused

        for _ in range(self.rng.choice((0, 1, 1, 1, 2, 2))):
            case = db.session.get(Case, run.case_id)
            assert case is not None
            try:
                if self.rng.random() < .15:
                    casework.send_message(case, user, "complainant", self.rng.choice(
                        COMMITTEE_MESSAGES))
                    self.stats.messages += 1
                else:
                    casework.add_note(case, user, self.rng.choice(NOTES))
                    self.stats.notes += 1
            except CaseworkRefused:  # e.g. a panelist before declaring: as in real use
                return

    def run(self) -> Stats:
        began = time.perf_counter()
        with simulated_time(self.clock), cached_password_hashing(), \
                without_letters(self.skip_letters):
            self.people()
            heap = self.schedule()
            batches = Batches(self.batch)
            try:
                while heap:
                    moment, index, position = heapq.heappop(heap)
                    self.clock.now = max(self.clock.now, moment)
                    run = self.runs[index]
                    if position < 0:
                        self.file(run)
                        self.progress(1)
                    else:
                        self.step(run, position)
                    batches.step_done()
            finally:
                batches.close()
        self.stats.real_cases = self.stats.cases
        if self.total_cases > self.real_cases:
            self.clone()
        for run in self.runs:
            self.stats.outcomes[run.outcome if run.case_id is not None else "stopped early"] += 1
        self.stats.seconds = time.perf_counter() - began
        return self.stats


    def clone(self) -> None:
        """The rest of the requested cases: copies of the sample's histories (cloner.py)."""
        from .cloner import Cloner

        began = time.perf_counter()
        cloner = Cloner(sample_case_ids=self.filed_case_ids,
                        count=self.total_cases - self.stats.cases, seed=self.seed,
                        start=self.start, end=self.end, member_ids=self.member_ids,
                        progress=self.progress, event_progress=self.event_progress)
        stats = cloner.run()
        self.stats.cloned_cases = stats.cases
        self.stats.cloned_events = stats.events
        self.stats.cases += stats.cases
        self.stats.clone_seconds = time.perf_counter() - began


def state_counts() -> dict[str, int]:
    return dict(db.session.execute(select(Case.state, func.count()).group_by(Case.state)).all())


def config_allows_demo() -> bool:
    return current_app.config.get("ENV_NAME") != "production"
