"""The identity helper: who sees the complainant's details, and the redaction of free text."""

from __future__ import annotations

from types import SimpleNamespace

from ethics_cases.cases.identity import (
    WITHHELD_NAME,
    complainant_display_for,
    may_see_identity,
    redact_for,
)


def _case(withhold: bool = True, disclosed: object = None) -> SimpleNamespace:
    return SimpleNamespace(
        withhold_identity=withhold, identity_disclosed_at=disclosed,
        complainant_name="Abigail Okafor", complainant_email="abi.okafor@example.org",
        complainant_phone="+44 7700 900123", relationship_label="Their client (mentee)",
        complainant_user_id=None, respondent=SimpleNamespace(user_id=7))


def _user(id_: int, committee: bool = False) -> SimpleNamespace:
    return SimpleNamespace(id=id_, is_authenticated=True, is_committee=committee)


def test_respondent_gets_the_redacted_version_until_disclosed() -> None:
    case = _case()
    shown = complainant_display_for(_user(7), case)
    assert shown.withheld and shown.name == WITHHELD_NAME and shown.email == ""
    assert complainant_display_for("respondent", case).withheld
    case.identity_disclosed_at = "2026-11-23"
    assert complainant_display_for(_user(7), case).name == "Abigail Okafor"


def test_committee_and_complainant_see_it_unknown_viewers_do_not() -> None:
    case = _case()
    assert may_see_identity(_user(2, committee=True), case)
    assert may_see_identity("committee", case)
    assert not may_see_identity(None, case)
    assert not may_see_identity("someone", case)
    assert not may_see_identity(_user(3), case)
    # A committee member who is the respondent does not see it on their own case.
    assert not may_see_identity(_user(7, committee=True), case)


def test_not_withheld_means_everyone_sees_it() -> None:
    assert complainant_display_for(None, _case(withhold=False)).name == "Abigail Okafor"


def test_free_text_is_redacted_for_the_respondent_only() -> None:
    case = _case()
    text = "Ms Okafor (abi.okafor@example.org, +44 7700 900123) says Abigail Okafor was hurt."
    redacted = redact_for("respondent", case, text)
    for term in ("Okafor", "Abigail", "abi.okafor", "7700"):
        assert term not in redacted
    assert redacted.startswith("Ms [withheld]")
    assert redact_for("committee", case, text) == text
