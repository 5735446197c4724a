"""A case driven from screening to a suspension in a real browser, by the chair and a panel of
three (each in their own browser session), with screenshots of each stage."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from ethics_cases.cases.models import Case
from ethics_cases.extensions import db
from ethics_cases.workflow import operations
from tests.browser.helpers import new_signed_in_page
from tests.factories.accounts import MemberUserFactory
from tests.factories.cases import AllegationFactory, CaseFactory
from tests.factories.workflow import ChairFactory, CommitteeUserFactory

pytestmark = pytest.mark.browser


def _act(page, summary: str, fill: dict[str, str] | None = None,  # type: ignore[no-untyped-def]
         select: dict[str, str] | None = None, check: tuple[str, ...] = ()) -> None:
    box = page.locator("details.action", has=page.locator("summary", has_text=summary))
    if box.get_attribute("open") is None:
        box.locator("summary").click()
    for label, value in (select or {}).items():
        box.get_by_label(label, exact=True).select_option(label=value)
    for label, value in (fill or {}).items():
        box.get_by_label(label).fill(value)
    for label in check:
        box.get_by_label(label).check()
    box.get_by_role("button").click()


def test_chair_and_panel_take_a_case_from_screening_to_suspension(
        app, browser_page, live_server, screenshot, db_session) -> None:  # type: ignore[no-untyped-def]
    chair = ChairFactory(full_name="Chris Chair")
    panel = [CommitteeUserFactory(full_name=name) for name in
             ("Pat Panel", "Sam Sitting", "Lee Listener")]
    investigator = CommitteeUserFactory(full_name="Ivy Investigator")
    respondent = MemberUserFactory(full_name="Robin Mentor")
    case = CaseFactory(respondent=respondent.member, complainant_name="Alex Example",
                       narrative="The mentor shared what I said in confidence with my employer.")
    AllegationFactory(case=case, clause_id="MPP-B.1")
    reference = case.reference
    contexts = []

    def new_context():  # type: ignore[no-untyped-def]
        context = browser_page.context.browser.new_context(
            base_url=live_server, viewport={"width": 1280, "height": 900})
        contexts.append(context)
        return context

    try:
        chair_page = new_signed_in_page(browser_page.context, chair)
        chair_page.goto(f"/cases/{reference}")
        screenshot(chair_page, "workflow_1_submitted")
        _act(chair_page, "Start screening")
        _act(chair_page, "Accept and notify the member",
             fill={"Reason (recorded in the case history)": "A member; in time; B.1 applies."})
        assert "Awaiting response" in chair_page.inner_text(".workflow-box")
        _act(chair_page, "Assign an investigator", select={"Investigator": "Ivy Investigator"},
             fill={"Reason (recorded in the case history)": "Facts disputed."})

        # the investigator's report (in-process, as Ivy would file it from her page)
        with app.app_context():
            loaded = db.session.get(Case, case.id)
            operations.fire(loaded, "submit_findings", investigator,
                            {"findings": "The disclosure to the employer is established."},
                            expected_version=loaded.version, reason="Report complete.")

        chair_page.reload()
        for member in panel:
            _act(chair_page, "Appoint a panel member",
                 select={"Committee member": member.full_name},
                 fill={"Reason (recorded in the case history)": "Available, no known ties."})
        screenshot(chair_page, "workflow_2_panel_appointed")

        for index, member in enumerate(panel):
            page = new_signed_in_page(new_context(), member)
            page.goto(f"/cases/{reference}")
            assert "Before you see the case file" in page.content()
            if index == 0:
                screenshot(page, "workflow_3_declaration")
            page.get_by_label("I declare that I have no personal").check()
            page.get_by_role("button", name="Declare no conflict of interest").click()
            assert page.url.endswith(f"/cases/{reference}")

        chair_page.reload()
        _act(chair_page, "Schedule the hearing",
             fill={"Hearing date": (date.today() + timedelta(days=14)).isoformat(),
                   "Reason (recorded in the case history)": "Panel complete."})

        for context in contexts:
            page = context.pages[0]
            page.goto(f"/cases/{reference}")
            box = page.locator("details.action", has=page.locator("summary",
                                                                 has_text="Record my vote"))
            box.locator("summary").click()
            box.get_by_label("Breached", exact=True).check()
            box.get_by_label("Your reasons").fill("Confidential information was disclosed.")
            box.get_by_role("button", name="Record my vote").click()
        screenshot(contexts[-1].pages[0], "workflow_4_panelist_voted")

        chair_page.reload()
        start = date.today() + timedelta(days=30)
        _act(chair_page, "Record the panel's decision",
             select={"Sanction": "4. Suspension"},
             fill={"Start date": start.isoformat(),
                   "End date": (start + timedelta(days=90)).isoformat(),
                   "Reasons for the decision": "Unanimous: B.1 breached, serious harm."})
        assert "Decided (appeal window)" in chair_page.inner_text(".workflow-box")
        screenshot(chair_page, "workflow_5_decided")

        # the appeal window closes unused; the suspension takes effect
        with app.app_context():
            loaded = db.session.get(Case, case.id)
            operations.fire(loaded, "confirm_sanction", None, {}, expected_version=None,
                            reason="Appeal window closed.", system=True,
                            now=datetime.now(UTC) + timedelta(days=29))
        chair_page.reload()
        assert "Sanction in effect" in chair_page.inner_text(".workflow-box")
        screenshot(chair_page, "workflow_6_sanction_in_effect")

        respondent_page = new_signed_in_page(new_context(), respondent)
        respondent_page.goto(f"/my/cases/{reference}")
        assert "Suspension" in respondent_page.content()
        assert "Report completion" not in respondent_page.content()  # nothing to complete
        screenshot(respondent_page, "workflow_7_respondent_view")
        chair_page.goto("/workflow")
        screenshot(chair_page, "workflow_8_procedure")
    finally:
        for context in contexts:
            context.close()
