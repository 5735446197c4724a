"""The outbox and the letters in a real browser, on a desktop and a phone; one letter's first
page rendered to PNG (pdftoppm) to look at."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from ethics_cases.extensions import db
from ethics_cases.notifications.letters import letter_path
from ethics_cases.notifications.models import CaseLetter
from ethics_cases.security import Role
from ethics_cases.types import utcnow
from tests.browser.helpers import assert_fits, sign_in
from tests.factories.accounts import UserFactory
from tests.factories.workflow import Journey, future

pytestmark = pytest.mark.browser


def test_outbox_and_letters(app, browser_page, live_server, screenshot, db_session):
    from ethics_cases.mail.models import OutboxMessage

    with app.app_context():
        journey = Journey().to_decided("training", programme="Boundaries course",
                                       completion_deadline=future(90))
        broken = db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id)).first()
        broken.attempts, broken.gave_up_at = 8, utcnow()
        broken.last_error = "SMTPRecipientsRefused: {'x@example.org': (550, b'No such user')}"
        db.session.commit()
        letters = list(db.session.scalars(db.select(CaseLetter).order_by(CaseLetter.id)))
        decision_pdf = letter_path(letters[0])
    admin = UserFactory(roles=[Role.ADMIN], full_name="Ada Admin")

    page = browser_page
    sign_in(page, admin)
    page.goto("/admin/outbox")
    assert page.get_by_role("heading", name="Email outbox").is_visible()
    assert page.get_by_text("Given up (1)").is_visible()
    screenshot(page, "notifications_outbox")
    page.get_by_role("link", name="Given up (1)").click()
    page.locator("table.data a").first.click()
    assert page.get_by_text("SMTPRecipientsRefused").is_visible()
    screenshot(page, "notifications_outbox_message")
    page.set_viewport_size({"width": 390, "height": 844})
    assert_fits(page)
    screenshot(page, "notifications_outbox_message_phone")
    page.goto("/admin/outbox")
    assert_fits(page)
    screenshot(page, "notifications_outbox_phone")

    page.set_viewport_size({"width": 1280, "height": 900})
    page.context.clear_cookies()
    sign_in(page, journey.chair)
    page.goto(f"/cases/{journey.ref}")
    letters_panel = page.locator("section", has=page.get_by_role("heading", name="Letters"))
    assert letters_panel.get_by_role("link", name="Decision letter").is_visible()
    assert letters_panel.get_by_role("link", name="Outcome letter").is_visible()
    letters_panel.scroll_into_view_if_needed()
    screenshot(page, "notifications_case_page")
    from tests.conftest import SCREENSHOTS

    letters_panel.screenshot(path=str(SCREENSHOTS / "notifications_case_letters.png"))
    with page.expect_download() as download:
        letters_panel.get_by_role("link", name="Decision letter").click()
    assert download.value.suggested_filename.endswith("-decision-respondent-"
                                                      f"{utcnow():%Y%m%d}.pdf")

    page.context.clear_cookies()
    sign_in(page, journey.respondent)
    page.goto(f"/my/cases/{journey.ref}")
    assert page.get_by_role("heading", name="Letters to you").is_visible()
    assert page.get_by_role("link", name="Outcome letter").count() == 0
    page.set_viewport_size({"width": 390, "height": 844})
    assert_fits(page)
    screenshot(page, "notifications_respondent_letters_phone")

    if shutil.which("pdftoppm"):  # look at the letter itself
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile",
                        str(decision_pdf), str(SCREENSHOTS / "notifications_letter_page1")],
                       check=True, timeout=60)
        assert (SCREENSHOTS / "notifications_letter_page1.png").stat().st_size > 1000
