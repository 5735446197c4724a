"""Reading the Code in a real browser: the contents, a clause permalink, and search."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def test_read_the_code_and_follow_a_clause_link(browser_page, screenshot) -> None:
    page = browser_page
    page.goto("/code")
    assert page.locator("h1").inner_text() == "IMC Code of Ethics"
    assert page.locator("li.clause").count() == 51
    screenshot(page, "code_index")

    # the contents take the reader to a section
    page.get_by_role("navigation", name="Contents").get_by_role(
        "link", name="B. Confidentiality"
    ).click()
    assert page.url.endswith("/code#MPP-B")

    # a clause's reference is its permanent link
    page.locator("li#MPP-B\\.2 a.clause-ref").click()
    page.wait_for_url(re.compile(r"/code/MPP-B\.2$"))
    assert page.locator("h1").inner_text() == "Clause MPP-B.2"
    assert "scope of confidentiality" in page.locator("blockquote.clause-quote").inner_text()
    screenshot(page, "code_clause")

    # "Read it in context" returns to the clause's anchor, which is highlighted
    page.get_by_role("link", name="Read it in context").click()
    page.wait_for_url(re.compile(r"/code#MPP-B\.2$"))
    background = page.locator("li#MPP-B\\.2").evaluate("el => getComputedStyle(el).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")


def test_search_from_the_code_page(browser_page, screenshot) -> None:
    page = browser_page
    page.goto("/code")
    page.get_by_label("Search the Code").fill("disengage")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"/code/search\?q=disengage$"))
    assert page.locator("ol.results > li").count() == 1
    assert page.locator("mark").first.inner_text() == "disengage"
    screenshot(page, "code_search")


def test_code_on_a_phone(browser_page, screenshot) -> None:
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/code/MRP-F.1")
    assert page.locator("h1").inner_text() == "Clause MRP-F.1"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the clause page scrolls sideways on a phone"
    screenshot(page, "code_clause_phone")
