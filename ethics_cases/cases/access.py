"""Who may see a case. Every case page and download asks here, and nowhere else.

Complainants usually have no account: proving the follow-up key (or opening an emailed login
link) puts a case-scoped grant in their session. Anyone not entitled gets 404, not 403, so the
existence of a case is never revealed.
"""

from __future__ import annotations

import time
from typing import Any

from flask import abort, session
from sqlalchemy import select

from ..extensions import db
from .models import Case

GRANTS_KEY = "case_grants"
GRANT_SECONDS = 2 * 3600


def case_grants() -> list[int]:
    """Case ids this browser session has proved it may follow, not expired."""
    now = time.time()
    return [int(entry[0]) for entry in session.get(GRANTS_KEY, []) if entry[1] > now]


def grant_case(case_id: int) -> None:
    now = time.time()
    kept = [entry for entry in session.get(GRANTS_KEY, [])
            if entry[1] > now and entry[0] != case_id]
    session[GRANTS_KEY] = [*kept, [case_id, int(now + GRANT_SECONDS)]][-10:]


def revoke_grants() -> None:
    session.pop(GRANTS_KEY, None)


def _is_committee(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_committee", False))


def is_complainant(user: Any, case: Case, grants: list[int]) -> bool:
    if case.id in grants:
        return True
    return bool(
        getattr(user, "is_authenticated", False)
        and case.complainant_user_id is not None
        and case.complainant_user_id == user.id
    )


def is_respondent(user: Any, case: Case) -> bool:
    """The member complained about, by their account."""
    respondent = case.respondent
    return bool(getattr(user, "is_authenticated", False) and respondent is not None
                and respondent.user_id is not None and respondent.user_id == user.id)


def can_view_case(user: Any, case: Case, grants: list[int]) -> bool:
    """The complainant (grant or own account) and the committee — except a committee member
    who is the member complained about: they get only the respondent's pages (no withheld
    identity, no internal notes). The respondent's restricted view is the workflow's."""
    if is_complainant(user, case, grants):
        return True
    return _is_committee(user) and not is_respondent(user, case)


def can_view_as_committee(user: Any) -> bool:
    return _is_committee(user)


def case_by_reference_or_404(reference: str) -> Case:
    case = db.session.scalar(select(Case).where(Case.reference == reference.upper()))
    if case is None:
        abort(404)
    return case


def complainant_case_or_404(user: Any, reference: str) -> Case:
    """The case, for the complainant's pages; 404 for anyone else (committee included: they
    use the committee page, which shows more)."""
    case = case_by_reference_or_404(reference)
    if not is_complainant(user, case, case_grants()):
        abort(404)
    return case


def viewable_case_or_404(user: Any, reference: str) -> Case:
    case = case_by_reference_or_404(reference)
    if not can_view_case(user, case, case_grants()):
        abort(404)
    return case
