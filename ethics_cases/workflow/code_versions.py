"""The Code that applies to a case: the version in force when the conduct happened.

Every Code the app has run with is kept as a ``pledges.CodeVersion`` row (canonical JSON,
fingerprint, effective date). A case is bound to the version whose effective date is the latest
on or before the conduct date, once, when it is first screened (or opened on the committee's own
motion); allegations and findings cite that version's clauses. The case page shows the version
and, when the Code in force today differs, a clause-level difference.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import select

from ..code import current_code
from ..extensions import db
from ..pledges.models import CodeVersion


@dataclass(frozen=True)
class ClauseChange:
    kind: str  # added | removed | changed
    clause_id: str
    before: str
    after: str


@lru_cache(maxsize=32)
def _clauses(fingerprint: str, canonical_json: str) -> dict[str, str]:
    data = json.loads(canonical_json)
    return {clause["id"]: clause["text"]
            for part in data.get("parts", ())
            for section in part.get("sections", ())
            for clause in section.get("clauses", ())}


def clauses_of(version: CodeVersion) -> dict[str, str]:
    """Clause ID -> wording of ``version`` (parsed once per fingerprint)."""
    return _clauses(version.fingerprint, version.canonical_json)


def conduct_date(case: Any) -> date:
    """When the conduct happened: its start (for conduct over a period, the Code in force when
    it began), or the filing date when the complainant gave none."""
    return case.conduct_start or case.conduct_end or case.submitted_at.date()


def register_running_code() -> CodeVersion:
    """Make sure the Code the app runs with is kept (idempotent; cached per process)."""
    from ..pledges.operations import ensure_code_version_registered

    return ensure_code_version_registered(current_code())


def version_in_force(day: date) -> CodeVersion | None:
    """The kept version in force on ``day``: the latest effective on or before it, else (conduct
    older than every kept version) the earliest one."""
    row = db.session.scalar(
        select(CodeVersion).where(CodeVersion.effective_date <= day)
        .order_by(CodeVersion.effective_date.desc(), CodeVersion.id.desc()).limit(1))
    if row is None:
        row = db.session.scalar(select(CodeVersion).order_by(CodeVersion.effective_date,
                                                             CodeVersion.id).limit(1))
    return row


def bind(case: Any, flow: Any) -> CodeVersion | None:
    """Bind ``case`` to the version in force at its conduct date, once. Returns the version."""
    if flow.code_version_id is not None:
        return db.session.get(CodeVersion, flow.code_version_id)
    register_running_code()
    version = version_in_force(conduct_date(case))
    if version is not None:
        flow.code_version_id = version.id
    return version


@dataclass(frozen=True)
class Applicable:
    version: CodeVersion
    bound: bool  # False: not screened yet, this is the version it would be bound to
    today: CodeVersion | None  # the version in force today, when different
    changes: tuple[ClauseChange, ...]

    def text_of(self, clause_id: str) -> str | None:
        return clauses_of(self.version).get(clause_id)


def diff(before: dict[str, str], after: dict[str, str]) -> tuple[ClauseChange, ...]:
    """Clause-level difference: added, removed and reworded clauses, in clause-ID order of
    appearance (old order first, then additions)."""
    changes = []
    for clause_id, text in before.items():
        if clause_id not in after:
            changes.append(ClauseChange("removed", clause_id, text, ""))
        elif after[clause_id] != text:
            changes.append(ClauseChange("changed", clause_id, text, after[clause_id]))
    changes.extend(ClauseChange("added", clause_id, "", text)
                   for clause_id, text in after.items() if clause_id not in before)
    return tuple(changes)


def applicable(case: Any, flow: Any, today: date) -> Applicable | None:
    """What the case page shows: the applicable version and what changed since."""
    version = None
    if flow is not None and flow.code_version_id is not None:
        version = db.session.get(CodeVersion, flow.code_version_id)
    bound = version is not None
    if version is None:
        version = version_in_force(conduct_date(case))
    if version is None:
        return None
    now_in_force = version_in_force(today)
    if now_in_force is None or now_in_force.id == version.id:
        return Applicable(version, bound, None, ())
    return Applicable(version, bound, now_in_force,
                      diff(clauses_of(version), clauses_of(now_in_force)))
