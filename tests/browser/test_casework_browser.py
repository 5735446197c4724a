"""Casework in a real browser: the chair assigns an officer, tags the case, adds an internal
note and writes to one party on a case whose complainant asked to stay anonymous; the member
complained about sees the redacted version. Screenshots on a desktop and a phone."""

from __future__ import annotations

import pytest

from ethics_cases.extensions import db
from tests.browser.helpers import assert_fits, new_signed_in_page
from tests.factories.accounts import MemberUserFactory
from tests.factories.cases import AllegationFactory, CaseFactory
from tests.factories.workflow import ChairFactory, CommitteeUserFactory, Journey
from tests.test_casework import _precedent

pytestmark = pytest.mark.browser


def test_casework_on_the_case_page(app, browser_page, live_server, screenshot,
                                   db_session) -> None:  # type: ignore[no-untyped-def]
    chair = ChairFactory(full_name="Chris Chair")
    committee = [CommitteeUserFactory(full_name=name) for name in
                 ("Olive Officer", "Sam Sitting", "Lee Listener", "Pat Panel", "Ivy Investigator",
                  "Dana Deputy")]
    respondent = MemberUserFactory(full_name="Robin Mentor")
    case = CaseFactory(respondent=respondent.member, complainant_name="Abigail Okafor",
                       complainant_email="abi.okafor@example.org", withhold_identity=True,
                       narrative="My mentor shared what I said in confidence with my employer.")
    AllegationFactory(case=case, clause_id="MPP-B.1")
    with app.app_context():
        journey = Journey(respondent=respondent, chair=chair, committee=committee, case=case)
        journey.to_awaiting_response()
        db.session.commit()
        # Two earlier decisions on other members' cases for the same clause.
        for key, level in (("training", 2), ("probation", 3)):
            _precedent("MPP-B.1", key, level)
    reference = case.reference
    browser = browser_page.context.browser

    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    page = new_signed_in_page(context, chair)
    page.goto("/casework/tags")
    for name in ("Confidentiality", "Employer involved"):
        page.get_by_label("Name").fill(name)
        page.get_by_role("button", name="Create tag").click()
        page.wait_for_url("**/casework/tags")
    screenshot(page, "casework_tags")

    page.goto(f"/cases/{reference}")
    officer = page.locator("#officer")
    officer.get_by_label("Assign to").select_option(label="Olive Officer")
    officer.get_by_role("button", name="Assign").click()
    page.wait_for_url(f"**/cases/{reference}#officer")
    for name in ("Confidentiality", "Employer involved"):
        page.locator("#tags").get_by_label("Add a tag").select_option(label=name)
        page.locator("#tags").get_by_role("button", name="Add tag").click()
        page.wait_for_url(f"**/cases/{reference}#tags")
    notes = page.locator("#notes")
    notes.get_by_label("Internal note (committee only)").fill(
        "The employer's HR team may be a witness; ask the complainant before contacting them.")
    notes.get_by_role("button", name="Add note").click()
    page.wait_for_url(f"**/cases/{reference}#notes")
    message = page.locator("#party-message")
    message.get_by_label("The member complained about only").check()
    message.get_by_label("Message").fill("Please send the dates of your sessions in March.")
    message.get_by_role("button", name="Send").click()
    page.wait_for_url(f"**/cases/{reference}#party-message")

    assert "Olive Officer" in page.locator("#officer").inner_text()
    assert "Employer involved" in page.locator("#tags").inner_text()
    assert "HR team" in page.locator("#notes").inner_text()
    assert "Withheld from the member" in page.locator("#identity").inner_text()
    screenshot(page, "casework_case_page")

    phone = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844})
    phone_page = new_signed_in_page(phone, chair)
    phone_page.goto(f"/cases/{reference}")
    screenshot(phone_page, "casework_case_page_phone")
    assert_fits(phone_page)
    assert "Training or Education (level 2)" in phone_page.locator("#consistency").inner_text()
    phone_page.locator("#consistency").screenshot(
        path=str(screenshot(phone_page, "casework_case_page_phone").parent
                 / "casework_consistency_phone.png"))

    member = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844})
    member_page = new_signed_in_page(member, respondent)
    member_page.goto(f"/my/cases/{reference}")
    text = member_page.locator("main").inner_text()
    assert "Please send the dates of your sessions in March." in text
    assert "Okafor" not in text and "Abigail" not in text and "HR team" not in text
    assert_fits(member_page)
    screenshot(member_page, "casework_respondent_redacted_phone")
    for ctx in (context, phone, member):
        ctx.close()
