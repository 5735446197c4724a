"""The committee's queue: filters, sorts, pages, counts, "my cases", "needs my action", and who
may see what (anonymous, members, recused committee members, parties)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from ethics_cases.extensions import db
from ethics_cases.security import Role
from ethics_cases.workflow.models import SanctionStatus
from ethics_cases.workflow.procedure import STATE_NAMES, STEPS
from ethics_cases.workspace import queries
from tests.factories.accounts import MemberUserFactory, UserFactory
from tests.factories.cases import CaseFactory
from tests.factories.workflow import (
    ChairFactory,
    CommitteeUserFactory,
    PanelSeatFactory,
    SanctionFactory,
)
from tests.factories.workspace import (
    OfficerAssignmentFactory,
    PanelObjectionFactory,
    staged_case,
)

from .sql_statements import recorded_statements


def refs(html: str) -> list[str]:
    """Case references in the order the queue lists them."""
    return re.findall(r'class="ws-ref">\s*<a href="[^"]+">([A-Z0-9-]+)</a>', html)


def page(client, query: str = "") -> str:  # type: ignore[no-untyped-def]
    response = client.get(f"/workspace/?{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.fixture
def committee(client, db_session, login_as):  # type: ignore[no-untyped-def]
    user = CommitteeUserFactory()
    login_as(client, user)
    return user


def test_the_nav_and_the_old_cases_list_lead_to_the_queue(client, committee):
    assert client.get("/cases/?state=screening").headers["Location"].endswith(
        "/workspace/?state=screening")
    assert re.search(r'<a href="/workspace/" aria-current="page">Cases</a>', page(client))


def test_filters_by_stage_clause_sanction_member_and_investigator(client, committee):
    investigator = CommitteeUserFactory(full_name="Ivy Investigator")
    screening = staged_case("screening", clauses=("MPP-B.1", "MPP-C.2"))
    investigating = staged_case("investigation", clauses=("MPP-C.2",), investigator=investigator)
    decided = staged_case("decided", due_in_days=10, clauses=("MPP-A.1",))
    SanctionFactory(case=decided, key="suspension", level=4,
                    status=SanctionStatus.PENDING_APPEAL.value)
    declined = staged_case("awaiting_response", due_in_days=5)
    SanctionFactory(case=declined, key="suspension", level=4,
                    status=SanctionStatus.DECLINED.value)
    closed = staged_case("closed")
    named = CaseFactory(state="screening", respondent__full_name="Zebedee Quill",
                        respondent__membership_number="IMC-77777")

    everything = refs(page(client))
    assert closed.reference not in everything  # open cases by default
    assert {screening.reference, investigating.reference, decided.reference} <= set(everything)
    assert refs(page(client, "stage=closed")) == [closed.reference]
    assert closed.reference in refs(page(client, "stage=all"))
    assert refs(page(client, "stage=investigation")) == [investigating.reference]
    assert set(refs(page(client, "clause=MPP-C.2"))) == {screening.reference,
                                                          investigating.reference}
    # Each row lists its clauses in the complaint's order.
    assert re.search(rf'{screening.reference}</a>.*?<span class="ws-clause">MPP-B\.1</span>'
                     r'<span class="ws-clause">MPP-C\.2</span>',
                     page(client, "clause=MPP-C.2"), re.S)
    # A clause prefix matches the clauses under it; lower case is accepted.
    assert set(refs(page(client, "clause=mpp-c"))) == {screening.reference,
                                                        investigating.reference}
    # A declined sanction is not the case's sanction.
    assert refs(page(client, "sanction=suspension")) == [decided.reference]
    assert refs(page(client, "respondent=zebedee")) == [named.reference]
    assert refs(page(client, "respondent=IMC-77777")) == [named.reference]
    assert refs(page(client, f"assignee={investigator.id}")) == [investigating.reference]
    html = page(client, f"assignee={investigator.id}")
    assert "Ivy Investigator" in html


def test_overdue_cases_are_filtered_counted_and_stand_out(client, committee):
    late = staged_case("awaiting_response", due_in_days=-2)
    soon = staged_case("awaiting_response", due_in_days=3)
    staged_case("closed", due_in_days=-30)  # finished cases are never overdue
    html = page(client)
    row = re.search(rf'<tr class="ws-row([^"]*)">\s*<td data-label="Case" class="ws-ref">\s*'
                    rf'<a href="[^"]+">{late.reference}<', html)
    assert row and "is-overdue" in row.group(1)
    assert refs(page(client, "overdue=1")) == [late.reference]
    assert re.search(r'Overdue <span class="ws-count">1</span>', html)
    assert soon.reference in refs(html) and "in 2 days" in html
    staged_case("awaiting_response", due_in_days=12)  # later than a week
    assert refs(page(client, "soon=1")) == [soon.reference]
    assert re.search(r'Due within 7 days <span class="ws-count">1</span>', page(client))


def test_sorting_by_due_date_reference_and_direction(client, committee):
    now = datetime.now(UTC)
    a = staged_case("awaiting_response", due_in_days=9, now=now,
                    submitted_at=now - timedelta(days=3))
    b = staged_case("awaiting_response", due_in_days=1, now=now,
                    submitted_at=now - timedelta(days=1))
    c = staged_case("screening", now=now, submitted_at=now - timedelta(days=2))  # no due date
    assert refs(page(client)) == [b.reference, c.reference, a.reference]  # newest filed first
    assert refs(page(client, "sort=due")) == [b.reference, a.reference, c.reference]
    assert refs(page(client, "sort=due&dir=desc"))[:2] == [a.reference, b.reference]
    by_reference = sorted([a.reference, b.reference, c.reference])
    assert refs(page(client, "sort=reference")) == by_reference
    assert refs(page(client, "sort=reference&dir=desc")) == by_reference[::-1]
    # The form's "Reversed" reverses whichever sort is chosen with it.
    assert refs(page(client, "sort=reference&dir=reverse")) == by_reference[::-1]
    assert refs(page(client, "sort=submitted&dir=reverse")) == [a.reference, c.reference,
                                                                 b.reference]
    assert refs(page(client, "sort=nonsense&page=x&stage=bogus"))  # bad links do not error


def test_pages_keep_the_filters_and_count_everything(app, client, committee):
    app.config["WORKSPACE_PAGE_SIZE"] = 3
    made = [staged_case("screening", clauses=("MPP-B.1",)) for _ in range(7)]
    staged_case("screening", clauses=("MPP-A.1",))
    first = page(client, "clause=MPP-B.1&sort=reference")
    assert refs(first) == sorted(c.reference for c in made)[:3]
    assert "Page 1 of 3" in first and "7 cases" in first
    assert "clause=MPP-B.1" in re.search(r'href="([^"]*page=2[^"]*)"', first).group(1)
    third = page(client, "clause=MPP-B.1&sort=reference&page=3")
    assert refs(third) == sorted(c.reference for c in made)[6:]
    # Past the end: the last page.
    assert refs(page(client, "clause=MPP-B.1&sort=reference&page=99")) == refs(third)


def test_counts_per_stage_follow_the_other_filters(app, client, committee):
    for _ in range(3):
        staged_case("screening", clauses=("MPP-B.1",))
    staged_case("investigation", clauses=("MPP-B.1",))
    staged_case("investigation", clauses=("MPP-A.1",))
    html = page(client, "clause=MPP-B.1")
    assert re.search(r'>Screening <b>3</b>', html)
    assert re.search(r'>Investigation <b>1</b>', html)
    assert re.search(r'>Open <b>4</b>', html)
    html = page(client)
    assert re.search(r'>Investigation <b>2</b>', html)
    assert re.search(r'All cases <span class="ws-count">5</span>', html)


def test_my_cases_and_needs_my_action_for_a_committee_member(client, committee):
    other = CommitteeUserFactory()
    submitted = staged_case("submitted")
    screening = staged_case("screening")  # the chair's move, not mine
    investigating = staged_case("investigation", investigator=committee)
    others_investigation = staged_case("investigation", investigator=other)
    waiting = staged_case("awaiting_response", due_in_days=5)  # the member's move
    missed = staged_case("awaiting_response", due_in_days=-1)  # now the committee's
    forming = staged_case("panel_forming")
    PanelSeatFactory(case_id=forming.id, user=committee)  # must declare: my move
    hearing = staged_case("hearing")
    PanelSeatFactory(case_id=hearing.id, user=committee, conflict_declared_at=datetime.now(UTC))

    mine = set(refs(page(client, "view=mine")))
    assert mine == {investigating.reference, forming.reference, hearing.reference}
    action = set(refs(page(client, "view=action")))
    assert action == {submitted.reference, investigating.reference, missed.reference,
                      forming.reference, hearing.reference}
    assert screening.reference not in action and waiting.reference not in action
    assert others_investigation.reference not in action
    html = page(client, "view=action")
    assert re.search(r'Needs my action <span class="ws-count">5</span>', html)
    assert re.search(r'My cases <span class="ws-count">3</span>', html)
    assert html.count("Your move") == 5


def test_the_case_officer_has_the_case_in_my_cases_and_under_assigned_to(client, committee):
    officer_of = staged_case("screening")
    OfficerAssignmentFactory(case_id=officer_of.id, officer_user_id=committee.id)
    handed_on = staged_case("screening")  # an earlier, ended assignment no longer counts
    OfficerAssignmentFactory(case_id=handed_on.id, officer_user_id=committee.id,
                             ended_at=datetime.now(UTC), end_reason="reassigned")
    staged_case("screening")
    assert refs(page(client, "view=mine")) == [officer_of.reference]
    assert refs(page(client, f"assignee={committee.id}")) == [officer_of.reference]
    assert re.search(rf"{committee.full_name} <span class=\"muted small\">officer", page(client))


def test_a_panelist_who_voted_no_longer_needs_to_act_and_the_chair_sees_screening(
        app, client, db_session, login_as):
    from tests.factories.workflow import Journey

    with app.app_context():
        journey = Journey().to_hearing()
        voter = journey.panel[0]
        journey.vote(True, members=[voter])
        ref = journey.ref
    login_as(client, voter)
    assert ref not in refs(page(client, "view=action"))
    assert ref in refs(page(client, "view=mine"))
    login_as(client, journey.panel[1])  # declared, has not voted
    assert ref in refs(page(client, "view=action"))
    screening = staged_case("screening")
    login_as(client, journey.chair)
    action = refs(page(client, "view=action"))
    assert screening.reference in action
    assert ref not in action  # votes still outstanding: not yet the chair's move
    with app.app_context():
        journey.case = db.session.get(type(journey.case), journey.case_id)
        journey.vote(True, members=journey.panel[1:])
    action = refs(page(client, "view=action"))
    assert ref in action  # every vote in: the chair records the decision


def test_an_objection_awaiting_a_ruling_is_the_chairs_move_during_the_hearing(
        client, db_session, login_as):
    chair = ChairFactory()
    hearing = staged_case("hearing")
    seats = [PanelSeatFactory(case_id=hearing.id, conflict_declared_at=datetime.now(UTC))
             for _ in range(3)]
    login_as(client, chair)
    assert hearing.reference not in refs(page(client, "view=action"))  # no votes yet
    PanelObjectionFactory(case_id=hearing.id, seat_id=seats[0].id)
    assert hearing.reference in refs(page(client, "view=action"))


def test_filters_survive_a_round_trip_through_their_links():
    from werkzeug.datastructures import MultiDict

    chosen = queries.Filters(view="action", stage="hearing", sanction="training",
                             clause="MPP-B", respondent="Quill", assignee=7, overdue=True,
                             due_soon=True, sort="due", descending=True, page=3)
    assert queries.Filters.from_args(MultiDict(chosen.args())) == chosen
    assert queries.Filters().args() == {}  # the defaults make a bare URL
    header = queries.Filters(sort="reference").query_string(sort="due", page=1)
    assert queries.Filters.from_args(MultiDict(
        [kv.split("=") for kv in header.split("&")])).sort == "due"


def test_waiting_on_names_only_actors_the_procedure_lets_act_in_that_state():
    assert set(queries.WAITING_ON) <= set(STATE_NAMES)
    assert set(queries.WAITING_ON) == set(queries.OPEN_STATES)
    for state, actors in queries.WAITING_ON.items():
        for actor in actors:
            assert any(state in step.sources and actor in step.actors for step in STEPS), (
                state, actor)
    for state in queries.COMMITTEE_AFTER_DUE:
        assert any(state in step.sources and step.actors & {"committee", "chair"}
                   for step in STEPS)


# -- who may see the queue, and which cases ---------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, db_session):
    response = client.get("/workspace/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/cases/").status_code == 302


def test_members_are_refused(client, db_session, login_as):
    login_as(client, MemberUserFactory())
    assert client.get("/workspace/").status_code == 403
    assert client.get("/workspace/assets/workspace.css").status_code == 403


@pytest.mark.parametrize("role", [Role.COMMITTEE, Role.CHAIR, Role.ADMIN])
def test_the_committee_chair_and_administrators_see_the_queue(client, db_session, login_as,
                                                              role):
    case = staged_case("screening")
    login_as(client, UserFactory(roles=[role]))
    assert case.reference in refs(page(client))
    assert client.get("/workspace/assets/workspace.css").status_code == 200


def test_a_recused_committee_member_no_longer_sees_the_case(client, committee):
    recused = staged_case("panel_forming")
    PanelSeatFactory(case_id=recused.id, user=committee, recused_at=datetime.now(UTC),
                     recusal_reason="I mentored the complainant.")
    kept = staged_case("panel_forming")
    for query in ("", "stage=all", "view=mine", "view=action", "stage=panel_forming",
                  f"respondent={recused.respondent.membership_number}"):
        assert recused.reference not in refs(page(client, query)), query
    assert kept.reference in refs(page(client))
    html = page(client, "stage=panel_forming")
    assert re.search(r'>Panel forming <b>1</b>', html)


def test_a_committee_member_never_sees_a_case_they_are_a_party_to(client, db_session,
                                                                  login_as):
    member_on_committee = MemberUserFactory(roles=[Role.MEMBER, Role.COMMITTEE])
    about_me = staged_case("screening", respondent=member_on_committee.member)
    filed_by_me = staged_case("screening", complainant_user=member_on_committee)
    other = staged_case("screening")
    login_as(client, member_on_committee)
    listed = refs(page(client, "stage=all"))
    assert other.reference in listed
    assert about_me.reference not in listed and filed_by_me.reference not in listed


def test_a_page_is_a_fixed_number_of_queries_whatever_it_holds(app, client, committee):
    investigator = CommitteeUserFactory()

    def statements(query: str) -> int:
        with recorded_statements(app) as seen:
            page(client, query)
        return len(seen)

    def make(n: int) -> None:
        for _ in range(n):
            case = staged_case("decided", due_in_days=3, clauses=("MPP-B.1", "MPP-A.1"),
                               investigator=investigator)
            SanctionFactory(case=case, key="training", level=2,
                            status=SanctionStatus.PENDING_APPEAL.value)

    make(2)
    few = statements("")
    make(25)
    assert statements("") == few
    assert few <= 18
