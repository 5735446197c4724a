"""Filing a complaint with an attachment in a real browser, then checking it with the key."""

from __future__ import annotations

import re

import pytest

from tests.factories.accounts import MemberFactory
from tests.intake_helpers import PDF

pytestmark = pytest.mark.browser


def _next(page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name="Save and continue →").click()


def test_file_a_complaint_with_an_attachment_then_check_it(browser_page, screenshot, tmp_path,
                                                            db_session) -> None:
    MemberFactory(full_name="Robin Mentor", membership_number="IMC-20417")
    page = browser_page
    page.goto("/")
    page.get_by_role("link", name="File a complaint").first.click()
    screenshot(page, "intake_0_start")
    page.get_by_role("link", name="Start →").click()

    # 1. About you — first try without a name: the error sits next to the field.
    page.get_by_label("Your email address").fill("alex@example.org")
    page.get_by_label("Their client (mentee)").check()
    _next(page)
    assert "Please tell us your name." in page.locator("#name-errors").inner_text()
    assert page.get_by_label("Your email address").input_value() == "alex@example.org"
    screenshot(page, "intake_1_about_error")
    page.get_by_label("Your full name").fill("Alex Example")
    _next(page)

    # 2. Who — search the roll without JavaScript help, choose the member.
    page.get_by_label("Search the membership roll").fill("robin")
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_label(re.compile("Robin Mentor")).check()
    screenshot(page, "intake_2_respondent")
    _next(page)

    # 3. What happened
    page.get_by_label("What happened?").fill(
        "In our sessions the mentor told my employer what I had said in confidence, "
        "without asking me. I found out in a meeting with my manager.")
    page.get_by_label(re.compile("When did it start")).fill("2026-02-01")
    page.get_by_label(re.compile("Where did it happen")).fill("Online sessions")
    screenshot(page, "intake_3_events")
    _next(page)

    # 4. The Code (optional): tick a confidentiality clause.
    page.locator("input[value='MPP-B.1']").check()
    screenshot(page, "intake_4_clauses")
    _next(page)

    # 5. Outcome and an attachment
    page.get_by_label("What outcome are you hoping for?").fill(
        "An apology, and that the mentor is trained on confidentiality.")
    evidence = tmp_path / "session-notes.pdf"
    evidence.write_bytes(PDF)
    page.set_input_files("#files", str(evidence))
    _next(page)

    # 6. Confidentiality
    assert "MPP-B.1" in page.content()
    screenshot(page, "intake_6_consent")
    page.get_by_label(re.compile("I understand who will see my complaint")).check()
    _next(page)

    # 7. Review and send
    assert "session-notes.pdf" in page.content() and "Robin Mentor" in page.content()
    screenshot(page, "intake_7_review")
    page.get_by_role("button", name="Send my complaint").click()
    page.wait_for_url(re.compile(r"/complaint/receipt$"))
    reference = page.locator(".reference").inner_text().strip()
    key = page.get_by_test_id("followup-key").inner_text().strip()
    assert re.fullmatch(r"EC-\d{4}-\d{4}", reference)
    assert re.fullmatch(r"[2-9A-Z]{6}(-[2-9A-Z]{6}){3}", key)
    screenshot(page, "intake_8_receipt")
    page.get_by_role("button", name=re.compile("I have kept my key")).click()

    # Later: check the complaint with the reference and key.
    page.wait_for_url(re.compile(r"/complaint/check$"))
    page.get_by_label("Case reference").first.fill(reference)
    page.get_by_label("Follow-up key").fill(key.lower())
    page.get_by_role("button", name="Open my complaint").click()
    page.wait_for_url(re.compile(rf"/complaint/case/{reference}$"))
    assert "Where it stands: Received" in page.content()
    assert "session-notes.pdf" in page.content()
    screenshot(page, "intake_9_case")

    # Many complainants use a phone: the case page and the first step must fit one.
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "intake_10_case_phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_roll_search_as_you_type(browser_page, screenshot, db_session) -> None:
    MemberFactory(full_name="Morgan Typeahead", membership_number="IMC-30001")
    page = browser_page
    page.goto("/complaint/step/respondent")
    page.get_by_label("Search the membership roll").press_sequentially("typea", delay=30)
    choice = page.get_by_label(re.compile("Morgan Typeahead"))
    choice.check()
    screenshot(page, "intake_2b_search_as_you_type")
    page.get_by_role("button", name="Save and continue →").click()
    page.wait_for_url(re.compile(r"/complaint/step/events$"))
    page.goto("/complaint/step/respondent")
    assert "Selected: Morgan Typeahead (IMC-30001)" in page.locator(".selected-member").inner_text()
