"""Identity protection: what a viewer may know about who complained.

A complainant may ask, at intake, that their identity be withheld from the member complained
about (``Case.withhold_identity``). The committee, the panel and the complainant always see it;
the respondent (and anyone this module cannot place) sees a redacted version until the chair
records a disclosure decision with reasons (``Case.identity_disclosed_at``, set by
``casework.operations.disclose_identity``, audited as ``case.identity_disclosed``).

EVERY surface the respondent can reach (their case pages, messages, document names, letters,
emails) takes the complainant's details from ``complainant_display_for`` and passes any free
text written by others through ``redact_for``; nothing respondent-facing reads
``case.complainant_name`` / ``complainant_email`` directly. The default is fail-closed: an
unknown viewer (``None``, an anonymous user, a string other than the known kinds) gets the
redacted version.

``viewer`` may be a user object (the current user in a request) or, where there is no user
(a letter or email generated for a party), one of the strings ``"respondent"``,
``"complainant"``, ``"committee"``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .models import Case

WITHHELD_NAME = "A complainant whose identity is withheld"
WITHHELD_SHORT = "the complainant (identity withheld)"
REDACTED = "[withheld]"

#: Viewer kinds that always see the complainant's identity.
_ENTITLED_KINDS = frozenset({"committee", "complainant", "panel", "chair"})


@dataclass(frozen=True)
class ComplainantDisplay:
    """What to show about the complainant. ``withheld`` says the real details are hidden;
    ``name`` is then a neutral label and the contact fields are empty."""

    withheld: bool
    name: str
    email: str
    phone: str
    relationship: str

    def __str__(self) -> str:
        return self.name


def identity_hidden(case: Case) -> bool:
    """Withheld at the complainant's request and not (yet) disclosed by a chair's decision."""
    return bool(case.withhold_identity) and getattr(case, "identity_disclosed_at", None) is None


def _viewer_entitled(viewer: Any, case: Case) -> bool:
    if isinstance(viewer, str):
        return viewer in _ENTITLED_KINDS
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return False
    user_id = getattr(viewer, "id", None)
    respondent = case.respondent
    if respondent is not None and respondent.user_id is not None and respondent.user_id == user_id:
        # The member complained about never counts as committee on their own case.
        return False
    if case.complainant_user_id is not None and case.complainant_user_id == user_id:
        return True
    return bool(getattr(viewer, "is_committee", False))


def may_see_identity(viewer: Any, case: Case) -> bool:
    """True when ``viewer`` may see who complained on ``case``."""
    return not identity_hidden(case) or _viewer_entitled(viewer, case)


def complainant_display_for(viewer: Any, case: Case) -> ComplainantDisplay:
    """The complainant's details as ``viewer`` may see them (see the module docstring)."""
    if may_see_identity(viewer, case):
        return ComplainantDisplay(
            withheld=False, name=case.complainant_name, email=case.complainant_email or "",
            phone=case.complainant_phone or "", relationship=case.relationship_label)
    return ComplainantDisplay(withheld=True, name=WITHHELD_NAME, email="", phone="",
                              relationship="")


def _identifying_terms(case: Case) -> list[str]:
    terms = []
    name = (case.complainant_name or "").strip()
    if name:
        terms.append(name)
        # Each part of the name on its own too ("Ms Okafor said..."), if long enough not to
        # blank ordinary words.
        terms.extend(part for part in re.split(r"\s+", name) if len(part) >= 3)
    for value in (case.complainant_email, case.complainant_phone):
        if value and value.strip():
            terms.append(value.strip())
    if case.complainant_email and "@" in case.complainant_email:
        terms.append(case.complainant_email.split("@", 1)[0])
    # Longest first, so the full name is replaced before its parts.
    return sorted(set(terms), key=len, reverse=True)


def redact_for(viewer: Any, case: Case, text: str | None) -> str:
    """``text`` (a message body, a file name, a letter paragraph) with the complainant's name,
    name parts, email and phone replaced by ``[withheld]`` when ``viewer`` may not see them.

    A safety net for free text written by others: the committee should still write to the
    respondent without naming the complainant."""
    text = text or ""
    if may_see_identity(viewer, case) or not text:
        return text
    terms = _identifying_terms(case)
    if not terms:
        return text
    pattern = re.compile(
        "|".join(rf"(?<!\w){re.escape(term)}(?!\w)" for term in terms), re.IGNORECASE)
    return pattern.sub(REDACTED, text)
