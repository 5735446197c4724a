"""The public register: what it publishes (pledge, configured sanctions), what it never shows
(complaints, complainants, pending cases, unpublished sanctions), and its limits."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from .factories.accounts import MemberFactory, MemberUserFactory
from .factories.cases import CaseFactory
from .factories.pledges import CodeVersionFactory, PledgeFactory
from .factories.workflow import SanctionFactory

TODAY = date.today()
COMPLAINANT = "Zebedee Quillfeather"
NARRATIVE = "The mentor shared my private journal with my employer during the review."


def _sanction(member, key, level, status, *, start, end=None, case_state="closed"):
    case = CaseFactory(respondent=member, state=case_state, complainant_name=COMPLAINANT,
                       narrative=NARRATIVE)
    return SanctionFactory(case=case, key=key, level=level, status=status,
                           effective_from=start, ends_on=end)


@pytest.fixture
def roll(db_session):
    """Alice: pledged, suspended now, warned before, and a complaint pending. Bob: on
    probation. Carol: revoked. Dan: nothing at all."""
    current = CodeVersionFactory(current=True)
    alice_user = MemberUserFactory(full_name="Alice Pemberton")
    PledgeFactory(user=alice_user, code_version=current)  # signed on 1 March 2024
    alice = alice_user.member
    _sanction(alice, "warning", 1, "completed", start=TODAY - timedelta(days=200))
    _sanction(alice, "suspension", 4, "in_effect", start=TODAY - timedelta(days=10),
              end=TODAY + timedelta(days=80))
    pending = CaseFactory(respondent=alice, state="screening", complainant_name=COMPLAINANT,
                          narrative=NARRATIVE)
    bob = MemberFactory(full_name="Bob Pemberton")
    _sanction(bob, "probation", 3, "in_effect", start=TODAY - timedelta(days=5),
              end=TODAY + timedelta(days=100))
    carol = MemberFactory(full_name="Carol Ashdown", ended_on=TODAY - timedelta(days=30))
    _sanction(carol, "revocation", 5, "in_effect", start=TODAY - timedelta(days=30))
    dan = MemberFactory(full_name="Dan Oduya")
    return {"alice": alice, "bob": bob, "carol": carol, "dan": dan, "pending": pending}


def test_register_shows_pledge_and_published_sanctions_only(client, roll):
    response = client.get("/public-register?q=pemberton")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Alice Pemberton" in html and "Bob Pemberton" in html
    assert roll["alice"].membership_number in html
    assert "Suspended until" in html and "Suspension (level 4)" in html
    assert "Signed on 1 March 2024" in html and "the current version" in html
    # Never: the complainant, the narrative, the pending case, warnings, probation.
    for secret in (COMPLAINANT, NARRATIVE[:30], roll["pending"].reference, "Warning",
                   "Probation", "On probation", "screening", "complain" + "ant"):
        assert secret not in html, secret
    assert roll["alice"].email not in html


def test_json_endpoint_shape_and_confidentiality(client, roll):
    response = client.get("/public-register/api/members?q=Pemberton")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"query", "results", "count", "too_many", "message",
                         "published_sanctions"}
    assert body["count"] == 2 and body["too_many"] is False
    assert body["published_sanctions"] == ["Suspension", "Revoke of IMC Membership and Credentials"]
    alice, bob = body["results"]
    assert set(alice) == {"name", "membership_number", "membership_type", "status",
                          "status_label", "pledge", "sanctions"}
    assert alice["name"] == "Alice Pemberton" and alice["status"] == "suspended"
    assert alice["pledge"] == {"code_version": alice["pledge"]["code_version"],
                               "signed_on": "2024-03-01", "current_version": True}
    assert alice["sanctions"] == [{
        "sanction": "Suspension", "level": 4,
        "from": (TODAY - timedelta(days=10)).isoformat(),
        "until": (TODAY + timedelta(days=80)).isoformat(), "in_force": True}]
    # Probation is not published by default, and does not show through the status either.
    assert bob["status"] == "good" and bob["status_label"] == "Current member"
    assert bob["sanctions"] == [] and bob["pledge"] is None
    text = response.get_data(as_text=True)
    for secret in (COMPLAINANT, NARRATIVE[:30], roll["pending"].reference, "warning",
                   "probation"):
        assert secret.lower() not in text.lower(), secret


def test_revocation_is_published_and_found_by_membership_number(client, roll):
    number = roll["carol"].membership_number
    body = client.get(f"/public-register/api/members?q={number.lower()}").get_json()
    assert body["count"] == 1
    (carol,) = body["results"]
    assert carol["status"] == "revoked" and carol["status_label"] == "Membership revoked"
    assert carol["sanctions"][0]["sanction"] == "Revoke of IMC Membership and Credentials"
    # A member with nothing to publish is still found, in good standing.
    dan = client.get("/public-register/api/members?q=dan oduya").get_json()["results"][0]
    assert dan["status_label"] == "Current member" and dan["sanctions"] == []


def test_configuration_changes_what_is_published(app, client, roll):
    app.config["REGISTER_PUBLISHED_SANCTIONS"] = ("suspension", "probation", "warning")
    app.config["REGISTER_SANCTION_HISTORY_DAYS"] = 365
    body = client.get("/public-register/api/members?q=pemberton").get_json()
    alice, bob = body["results"]
    assert [s["sanction"] for s in alice["sanctions"]] == ["Suspension", "Warning"]
    assert alice["sanctions"][1]["in_force"] is False
    assert [s["sanction"] for s in bob["sanctions"]] == ["Probation"]
    assert "Warning" in client.get("/public-register?q=pemberton").get_data(as_text=True)
    # Publishing nothing: suspended Alice shows no sanction and no suspended status.
    app.config["REGISTER_PUBLISHED_SANCTIONS"] = ()
    alice = client.get("/public-register/api/members?q=alice pemb").get_json()["results"][0]
    assert alice["sanctions"] == [] and alice["status"] == "good"


def test_short_queries_prefixes_and_broad_searches_list_nobody(app, client, db_session):
    MemberFactory.create_batch(11, full_name=factory_name("Smith"))
    short = client.get("/public-register/api/members?q=sm")
    assert short.status_code == 400 and short.get_json()["results"] == []
    assert "at least 3 characters" in short.get_json()["error"]
    html = client.get("/public-register?q=sm").get_data(as_text=True)
    assert "at least 3 characters" in html and 'aria-invalid="true"' in html
    broad = client.get("/public-register/api/members?q=smith").get_json()
    assert broad["too_many"] is True and broad["results"] == []
    page = client.get("/public-register?q=smith").get_data(as_text=True)
    assert "More than 10 members match" in page
    # Membership numbers match exactly: a prefix of every number lists nobody.
    assert client.get("/public-register/api/members?q=IMC-1").get_json()["results"] == []
    # Percent signs are text, not wildcards.
    assert client.get("/public-register/api/members?q=%25%25%25").get_json()["results"] == []


def factory_name(surname):
    import factory

    return factory.Sequence(lambda n: f"Person{n} {surname}")


def test_register_is_rate_limited_across_page_and_api(app, client, db_session):
    app.config["REGISTER_RATE_LIMIT"] = "3 per minute"
    assert client.get("/public-register?q=abc").status_code == 200
    assert client.get("/public-register/api/members?q=abc").status_code == 200
    assert client.get("/public-register?q=abcd").status_code == 200
    assert client.get("/public-register/api/members?q=abc").status_code == 429
    other = client.get("/public-register?q=abc", environ_base={"REMOTE_ADDR": "198.51.100.9"})
    assert other.status_code == 200


def test_register_page_without_query_explains_itself(client, db_session):
    html = client.get("/public-register").get_data(as_text=True)
    assert "What this register shows" in html and "Suspension" in html
    assert "field-errors" not in html
