"""A member signs in, signs the pledge in a real browser, and gets the certificate."""

from __future__ import annotations

import re

import pytest

from tests.factories.accounts import PASSWORD, MemberUserFactory, UserFactory
from tests.factories.pledges import REAL_CODE

pytestmark = pytest.mark.browser


def test_member_signs_the_pledge_and_sees_the_certificate(browser_page, screenshot,
                                                          db_session) -> None:
    user = MemberUserFactory(full_name="Grace Åkesson-Hopper", email="grace@example.org")
    page = browser_page
    page.goto("/login")
    page.get_by_label("Email").fill("grace@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    assert "You have not signed the ethics pledge yet" in page.locator(".pledge-reminder"
                                                                       ).inner_text()
    page.locator(".pledge-reminder a").click()
    page.wait_for_url(re.compile(r"/pledge$"))
    assert REAL_CODE.pledge.paragraphs[0][:30] in page.locator(".pledge-text").inner_text()

    # A wrong name is refused, and what was typed stays.
    page.get_by_label("Your full name").fill("Grace Hopper")
    page.get_by_label("I have read the Code of Ethics").check()
    page.get_by_role("button", name="Sign the pledge").click()
    assert "Type your full name exactly" in page.locator(".field-errors").inner_text()
    assert page.get_by_label("Your full name").input_value() == "Grace Hopper"
    screenshot(page, "pledge_1_wrong_name")

    page.get_by_label("Your full name").fill(user.full_name)
    page.get_by_label("I have read the Code of Ethics").check()
    page.get_by_role("button", name="Sign the pledge").click()
    page.wait_for_url(re.compile(r"/pledges/\d+$"))
    certificate = page.locator("article.certificate")
    assert "Grace Åkesson-Hopper" in certificate.inner_text()
    assert "Current version of the Code" in certificate.inner_text()
    screenshot(page, "pledge_2_certificate")

    page.get_by_role("navigation", name="Your work").get_by_role("link", name="My account").click()
    assert "Current version" in page.locator("table.data").inner_text()
    screenshot(page, "pledge_me")
    page.go_back()

    # The public verification link works for anyone.
    verify_url = page.get_by_role("link", name="Public verification link").get_attribute("href")
    page.context.clear_cookies()
    page.goto(verify_url)
    assert page.locator("#v-name").inner_text() == "Grace Åkesson-Hopper"
    assert page.locator("#v-standing").inner_text() == "Good standing"
    screenshot(page, "pledge_3_verification")


def test_admin_sees_members_and_pledge_status(browser_page, screenshot, db_session) -> None:
    MemberUserFactory(full_name="Ada Lovelace")
    UserFactory(email="admin@example.org", roles=["admin"])
    page = browser_page
    page.goto("/login")
    page.get_by_label("Email").fill("admin@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Your work").get_by_role("link", name="Members").click()
    assert "Never signed" in page.locator("table.data").inner_text()
    screenshot(page, "pledge_4_admin_members")
    page.get_by_role("navigation", name="Your work").get_by_role("link", name="Users").click()
    page.get_by_role("link", name="Ada Lovelace").click()
    page.get_by_label("Reason for changing the role Ethics committee").fill("Elected in May")
    page.locator("tr", has_text="Ethics committee").get_by_role("button", name="Grant").click()
    assert "Ethics committee granted to Ada Lovelace." in page.locator(".flashes").inner_text()
    screenshot(page, "pledge_5_admin_user_roles")
