"""Procedure depth in a real browser: the Code version and its difference on the case page, the
chair's own-motion form, a party's objection and the chair's ruling, the stay, and the procedure
diagram with the new states; at desktop and phone widths (no sideways scrolling)."""

from __future__ import annotations

from datetime import date

import pytest

from ethics_cases.extensions import db
from tests.browser.helpers import fits, new_signed_in_page
from tests.test_workflow_depth import journey_with_conduct, register_later_code

pytestmark = pytest.mark.browser


def _sign_in(browser, base_url, user, width=1280):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=base_url, viewport={"width": width, "height": 900})
    return new_signed_in_page(context, user)


def test_procedure_depth_pages(app, browser_page, live_server, screenshot,
                               db_session) -> None:  # type: ignore[no-untyped-def]
    browser = browser_page.context.browser
    with app.app_context():
        register_later_code()
        journey = journey_with_conduct(date(2025, 6, 1))
        journey.to_hearing()
        db.session.commit()
        chair, respondent, ref = journey.chair, journey.respondent, journey.ref

    member_page = _sign_in(browser, live_server, respondent)
    member_page.goto(f"/my/cases/{ref}/actions/object_to_panelist")
    screenshot(member_page, "depth_1_respondent_objection_form")
    member_page.get_by_label("Panel member").select_option(index=1)
    member_page.get_by_label("Grounds of your objection").fill(
        "This panel member supervised my former business partner.")
    member_page.get_by_role("button", name="Object to a panel member").click()
    assert "done" in member_page.content()

    chair_page = _sign_in(browser, live_server, chair)
    chair_page.goto(f"/cases/{ref}")
    box = chair_page.locator(".workflow-box")
    assert "Code that applies" in box.inner_text() and "2024.1" in box.inner_text()
    assert "Objections to the panel" in box.inner_text()
    chair_page.locator(".code-version summary").click()
    screenshot(chair_page, "depth_2_chair_case_code_version_and_objection")

    chair_page.goto("/cases/open-own-motion")
    screenshot(chair_page, "depth_3_own_motion_form")
    chair_page.goto("/workflow")
    assert "Stayed" in chair_page.content()
    full = screenshot(chair_page, "depth_4_procedure")
    chair_page.locator("section.diagram").screenshot(path=str(full.with_name("depth_4b_diagram.png")))

    phone = _sign_in(browser, live_server, chair, width=390)
    for path, name in ((f"/cases/{ref}", "depth_5_phone_case"),
                       ("/cases/open-own-motion", "depth_6_phone_own_motion")):
        phone.goto(path)
        if name == "depth_5_phone_case":
            phone.locator(".code-version summary").click()
        screenshot(phone, name)
        assert fits(phone), f"{path} scrolls sideways at 390px"
