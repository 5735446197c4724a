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
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import defer

from ..code import current_code
from ..extensions import db
from ..pledges.models import CodeVersion


@dataclass(frozen=True)
class ClauseChange:
    kind: str  # added | removed | changed
    clause_id: str
    before: str
    after: str


#: Clause ID -> wording, per fingerprint, for this process. A kept version never changes: its
#: fingerprint is the SHA-256 of its canonical JSON (and unique), so what was parsed once for a
#: fingerprint is right forever. There are a handful of versions, so the dict stays small.
_CLAUSES: dict[str, dict[str, str]] = {}


def _parse_clauses(canonical_json: str) -> dict[str, str]:
    data = json.loads(canonical_json)
    return {clause["id"]: clause["text"]
            for part in data.get("parts", ())
            for section in part.get("sections", ())
            for clause in section.get("clauses", ())}


def clauses_of(version: CodeVersion) -> dict[str, str]:
    """Clause ID -> wording of ``version``, parsed once per fingerprint and process. The
    version's JSON (the whole Code, tens of kilobytes) is read from the database only the first
    time: reads here defer that column, and a cache hit never touches it."""
    clauses = _CLAUSES.get(version.fingerprint)
    if clauses is None:
        clauses = _CLAUSES[version.fingerprint] = _parse_clauses(version.canonical_json)
    return clauses


def conduct_date(case: Any) -> date:
    """When the conduct happened: its start (for conduct over a period, the Code in force when
    it began), or the filing date when the complainant gave none."""
    return case.conduct_start or case.conduct_end or case.submitted_at.date()


def register_running_code() -> CodeVersion:
    """Make sure the Code the app runs with is kept (idempotent; cached per process)."""
    from ..pledges.operations import ensure_code_version_registered

    return ensure_code_version_registered(current_code())


def kept_versions() -> list[CodeVersion]:
    """Every kept version, oldest first, without its JSON (one statement: a Code has a handful
    of versions over the years, so this is a few short rows, and it sees a version registered a
    moment ago by another process)."""
    return list(db.session.scalars(
        select(CodeVersion).options(defer(CodeVersion.canonical_json))
        .order_by(CodeVersion.effective_date, CodeVersion.id)))


def _in_force(versions: list[CodeVersion], day: date) -> CodeVersion | None:
    """Of ``versions`` (oldest first), the latest effective on or before ``day``, else (conduct
    older than every kept version) the earliest one."""
    chosen = None
    for version in versions:
        if version.effective_date > day:
            break
        chosen = version
    return chosen if chosen is not None or not versions else versions[0]


def version_in_force(day: date) -> CodeVersion | None:
    """The kept version in force on ``day``: the latest effective on or before it, else (conduct
    older than every kept version) the earliest one."""
    return _in_force(kept_versions(), day)


def bind(case: Any, flow: Any) -> CodeVersion | None:
    """Bind ``case`` to the version in force at its conduct date, once. Returns the version."""
    if flow.code_version_id is not None:
        return db.session.get(CodeVersion, flow.code_version_id)
    with db.session.no_autoflush:  # a new workflow row is then inserted with its version
        versions = kept_versions()
    if current_code().fingerprint not in {kept.fingerprint for kept in versions}:
        register_running_code()  # once per Code and database: then it is among the kept
        versions = kept_versions()
    version = _in_force(versions, conduct_date(case))
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


#: ``diff`` results per (fingerprint, fingerprint): kept versions are immutable.
_DIFFS: dict[tuple[str, str], tuple[ClauseChange, ...]] = {}


def changes_between(before: CodeVersion, after: CodeVersion) -> tuple[ClauseChange, ...]:
    """The clause-level difference of two kept versions, computed once per pair and process."""
    key = (before.fingerprint, after.fingerprint)
    if key not in _DIFFS:
        _DIFFS[key] = diff(clauses_of(before), clauses_of(after))
    return _DIFFS[key]


def applicable(case: Any, flow: Any, today: date) -> Applicable | None:
    """What the case page shows: the applicable version and what changed since (one statement:
    the kept versions; the clauses come from the per-fingerprint cache)."""
    versions = kept_versions()
    version = None
    if flow is not None and flow.code_version_id is not None:
        version = next((v for v in versions if v.id == flow.code_version_id), None)
    bound = version is not None
    if version is None:
        version = _in_force(versions, conduct_date(case))
    if version is None:
        return None
    now_in_force = _in_force(versions, today)
    if now_in_force is None or now_in_force.id == version.id:
        return Applicable(version, bound, None, ())
    return Applicable(version, bound, now_in_force, changes_between(version, now_in_force))
