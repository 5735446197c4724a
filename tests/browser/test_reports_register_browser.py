"""The reports page (committee) and the public register, in a real browser, on a desktop and
a 390px-wide phone: charts render, and nothing scrolls sideways."""

from __future__ import annotations

import pytest

from tests.browser.helpers import assert_fits, sign_in
from tests.factories.accounts import UserFactory
from tests.test_register import roll  # noqa: F401  (the register's members, a fixture)
from tests.test_reports import dataset  # noqa: F401  (the known data set, a fixture)

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def test_reports_page_desktop_and_phone(browser_page, screenshot, dataset,  # noqa: F811
                                        db_session) -> None:
    chair = UserFactory(email="chair@example.org", full_name="Chair Person",
                        roles=["chair", "committee"])
    page = sign_in(browser_page, chair)
    page.get_by_role("navigation", name="Your work").get_by_role("link", name="Reports").click()
    assert page.locator("svg.chart").count() == 6
    assert page.locator("svg.chart").first.bounding_box()["width"] > 300
    assert "Suspension" in page.locator("#sanctions table").inner_text()
    assert_fits(page)
    screenshot(page, "reports_desktop")
    page.set_viewport_size(PHONE)
    page.reload()
    assert_fits(page)
    screenshot(page, "reports_phone")


def test_register_desktop_and_phone(browser_page, screenshot, roll) -> None:  # noqa: F811
    page = browser_page
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link",
                                                             name="Public register").click()
    page.get_by_label("Member's name or membership number").fill("Pemberton")
    page.get_by_role("button", name="Search the register").click()
    entries = page.locator("article.register-entry")
    assert entries.count() == 2
    assert "Suspended until" in entries.first.inner_text()
    assert_fits(page)
    screenshot(page, "register_desktop")
    page.set_viewport_size(PHONE)
    page.reload()
    assert_fits(page)
    screenshot(page, "register_phone")
    page.get_by_label("Member's name or membership number").fill("Pe")
    page.get_by_role("button", name="Search the register").click()
    assert "at least 3 characters" in page.locator(".field-errors").inner_text()
    screenshot(page, "register_phone_too_short")
