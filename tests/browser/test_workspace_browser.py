"""The committee's queue in a real browser, on a desktop and on a 390px phone, with
screenshots (tests/screenshots/workspace_*.png)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ethics_cases.workflow.models import SanctionStatus
from tests.browser.helpers import sign_in
from tests.factories.workflow import ChairFactory, CommitteeUserFactory, SanctionFactory
from tests.factories.workspace import staged_case

pytestmark = pytest.mark.browser


def _seed() -> object:
    chair = ChairFactory(full_name="Chris Chair")
    investigator = CommitteeUserFactory(full_name="Ivy Investigator")
    now = datetime.now(UTC)
    staged_case("submitted", clauses=("MPP-A.1",), respondent__full_name="Dana Fielding")
    staged_case("screening", clauses=("MPP-B.1", "MPP-C.2"),
                respondent__full_name="Robin Mentor")
    staged_case("awaiting_response", due_in_days=-3, now=now,
                respondent__full_name="Morgan Late")
    staged_case("awaiting_response", due_in_days=12, now=now,
                respondent__full_name="Jordan Onthyme")
    staged_case("investigation", investigator=investigator, clauses=("MPP-B.3",),
                respondent__full_name="Casey Quinn")
    decided = staged_case("decided", due_in_days=20, now=now, clauses=("MPP-A.2",),
                          respondent__full_name="Avery Stone")
    SanctionFactory(case=decided, key="suspension", level=4,
                    status=SanctionStatus.PENDING_APPEAL.value)
    staged_case("closed", respondent__full_name="Taylor Done")
    return chair


def test_the_queue_on_a_desktop_and_a_phone(browser_page, live_server, screenshot,
                                            db_session) -> None:  # type: ignore[no-untyped-def]
    chair = _seed()
    page = browser_page
    sign_in(page, chair)
    page.get_by_role("link", name="Cases", exact=True).click()
    page.wait_for_url("**/workspace/")
    rows = page.locator("tr.ws-row")
    assert rows.count() == 6  # open cases
    overdue = page.locator("tr.ws-row.is-overdue")
    assert overdue.count() == 1 and "Morgan Late" in overdue.inner_text()
    screenshot(page, "workspace_desktop")

    page.get_by_role("link", name="Needs my action").click()
    assert "Robin Mentor" in page.locator("tbody").inner_text()  # screening: the chair's
    assert "Jordan Onthyme" not in page.locator("tbody").inner_text()  # the member's move

    page.goto("/workspace/")
    page.locator("details.ws-filters summary").click()
    page.get_by_label("Clause").fill("MPP-B")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**clause=MPP-B**")
    names = page.locator("tbody").inner_text()
    assert "Robin Mentor" in names and "Casey Quinn" in names and "Avery Stone" not in names
    screenshot(page, "workspace_desktop_filtered")

    phone = page.context.browser.new_context(base_url=live_server,
                                             viewport={"width": 390, "height": 844})
    try:
        mobile = phone.new_page()
        mobile.set_default_timeout(10_000)
        sign_in(mobile, chair)
        mobile.goto("/workspace/")
        width = mobile.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
        assert mobile.locator("tr.ws-row.is-overdue").is_visible()
        screenshot(mobile, "workspace_phone")
        mobile.locator("details.ws-filters summary").click()
        mobile.get_by_label("Sort by").select_option("due")
        mobile.get_by_role("button", name="Apply").click()
        mobile.wait_for_url("**sort=due**")
        assert mobile.evaluate("document.documentElement.scrollWidth") <= 390
        assert "Morgan Late" in mobile.locator("tr.ws-row").first.inner_text()  # due first
        mobile.locator("details.ws-filters summary").click()
        screenshot(mobile, "workspace_phone_filters")
    finally:
        phone.close()
