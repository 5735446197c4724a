"""What several browser tests do: sign in through the real form, and check a page fits."""

from __future__ import annotations

from typing import Any

from tests.factories.accounts import PASSWORD


def sign_in(page: Any, user: Any) -> Any:
    """Sign ``user`` in on ``page`` through the login form; returns the page."""
    page.goto("/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    return page


def new_signed_in_page(context: Any, user: Any) -> Any:
    """A new page in ``context`` (another browser, another person) with ``user`` signed in."""
    page = context.new_page()
    page.set_default_timeout(10_000)
    return sign_in(page, user)


def fits(page: Any) -> bool:
    """Whether the page needs no sideways scrolling at its viewport width."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def assert_fits(page: Any) -> None:
    """Fail naming the first elements that stick out, if the page scrolls sideways."""
    too_wide = page.evaluate("""() => [...document.querySelectorAll('main *')]
        .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1
                      && el.children.length === 0)
        .slice(0, 5).map(el => el.tagName + '.' + el.className + ': '
                         + el.textContent.slice(0, 60))""")
    assert fits(page), f"{page.url} scrolls sideways: {too_wide}"
