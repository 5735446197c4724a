"""Importing the membership roll from CSV.

Every row is checked before anything is written: with any bad row nothing is imported (unless
``partial``), so a roll is never half-loaded by accident. Re-importing updates the entries with
the same membership number, so the import can be re-run with a corrected file.

One ``member.imported`` audit event per run (counts, and the ids created and updated), not one
per row: the import is one administrative action, and the ids still let anyone trace a member
back to the run that loaded them. No names or emails go into the event.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from typing import IO

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select

from .. import audit
from ..extensions import db
from .models import Member, MembershipType

REQUIRED = ("membership_number", "full_name", "membership_type")
OPTIONAL = ("email", "credentials", "joined_on", "ended_on")
_TYPE_NAMES = {t.value: t for t in MembershipType} | {
    t.label.lower(): t for t in MembershipType}


@dataclass
class ImportReport:
    rows: int = 0
    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)
    imported: bool = False

    @property
    def bad_rows(self) -> int:
        return len({e.split(":", 1)[0] for e in self.errors if e.startswith("row ")})

    def summary(self) -> str:
        if not self.imported:
            return (f"Nothing imported: {self.bad_rows} of {self.rows} rows have errors. Fix "
                    "them and run again, or use --partial to import the good rows.")
        return (f"{self.rows} rows read: {len(self.created)} members added, "
                f"{len(self.updated)} updated, {self.unchanged} unchanged, "
                f"{self.bad_rows} skipped for errors.")


def _parse_date(value: str, name: str, errors: list[str], row: int) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append(f"row {row}: {name} {value!r} is not a date (use YYYY-MM-DD)")
        return None


def _clean_row(raw: dict[str, str | None], row: int) -> tuple[dict[str, object], list[str]]:
    values = {k: (raw.get(k) or "").strip() for k in (*REQUIRED, *OPTIONAL)}
    errors = [f"row {row}: {name} is missing" for name in REQUIRED if not values[name]]
    kind = _TYPE_NAMES.get(values["membership_type"].lower().replace("-", "_")) or \
        _TYPE_NAMES.get(values["membership_type"].lower())
    if values["membership_type"] and kind is None:
        errors.append(f"row {row}: membership_type {values['membership_type']!r} is not one of "
                      + ", ".join(t.value for t in MembershipType))
    email = values["email"]
    if email:
        try:
            email = validate_email(email, check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            errors.append(f"row {row}: email {email!r} is not a valid address")
    if len(values["membership_number"]) > 40:
        errors.append(f"row {row}: membership_number is longer than 40 characters")
    joined = _parse_date(values["joined_on"], "joined_on", errors, row)
    ended = _parse_date(values["ended_on"], "ended_on", errors, row)
    if joined and ended and ended < joined:
        errors.append(f"row {row}: ended_on is before joined_on")
    clean = {
        "membership_number": values["membership_number"],
        "full_name": " ".join(values["full_name"].split()),
        "email": email or None,
        "membership_type": kind.value if kind else "",
        "credentials": values["credentials"],
        "joined_on": joined,
        "ended_on": ended,
    }
    return clean, errors


def import_roster(stream: IO[str], *, partial: bool = False) -> ImportReport:
    """Check every row, then (if all are good, or ``partial``) create or update members and
    record one audit event. Adds to the current transaction; the caller commits."""
    report = ImportReport()
    reader = csv.DictReader(stream)
    headers = {h.strip() for h in (reader.fieldnames or [])}
    missing = [name for name in REQUIRED if name not in headers]
    if missing:
        report.errors.append("header: missing column(s) " + ", ".join(missing)
                             + " (expected " + ", ".join((*REQUIRED, *OPTIONAL)) + ")")
        return report
    good: list[dict[str, object]] = []
    seen: dict[str, int] = {}
    for raw in reader:
        row = reader.line_num
        report.rows += 1
        raw = {(k or "").strip(): v for k, v in raw.items()}
        clean, errors = _clean_row(raw, row)
        number = str(clean["membership_number"])
        if number and number in seen:
            errors.append(f"row {row}: membership_number {number} repeats row {seen[number]}")
        seen.setdefault(number, row)
        report.errors.extend(errors)
        if not errors:
            good.append(clean)
    if report.errors and not partial:
        return report
    numbers = [str(c["membership_number"]) for c in good]
    existing = {m.membership_number: m for m in db.session.scalars(
        select(Member).where(Member.membership_number.in_(numbers)))} if numbers else {}
    new_members = []
    for clean in good:
        member = existing.get(str(clean["membership_number"]))
        if member is None:
            member = Member(**clean)
            db.session.add(member)
            new_members.append(member)
            continue
        changed = False
        for key, value in clean.items():
            if getattr(member, key) != value:
                setattr(member, key, value)
                changed = True
        if changed:
            report.updated.append(member.id)
        else:
            report.unchanged += 1
    db.session.flush()
    report.created = [m.id for m in new_members]
    report.imported = True
    audit.record("member.imported", audit.Subject("system", "roster"), details={
        "rows": report.rows, "created": len(report.created), "updated": len(report.updated),
        "unchanged": report.unchanged, "skipped": report.bad_rows,
        "created_ids": report.created, "updated_ids": report.updated})
    return report
