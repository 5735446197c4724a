"""The Code of Ethics as immutable, typed objects.

Everything later (pledges, complaints, the workflow) cites clauses by ID and enforces the
sanction ladder from these objects, so they are frozen: a Code loaded once at start can be shared
by every request and thread without copying. No Flask here, so the Code can be loaded and tested
on its own.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

#: Standing effects of a sanction, mildest first. With several sanctions in force, the most
#: severe wins; ``unchanged`` leaves the member in good standing.
STANDING_EFFECTS: tuple[str, ...] = ("unchanged", "on_probation", "suspended", "revoked")
STANDING_LABELS: dict[str, str] = {
    "unchanged": "Good standing",
    "on_probation": "On probation",
    "suspended": "Suspended",
    "revoked": "Membership revoked",
}
#: Details a sanction decision may be required to record (``SanctionRules.requires``).
REQUIRABLE_DETAILS: tuple[str, ...] = (
    "programme",
    "completion_deadline",
    "start_date",
    "end_date",
    "authority",
    "authority_reference",
)
#: How a sanction is discharged (``SanctionRules.compliance``).
COMPLIANCE_MODES: tuple[str, ...] = (
    "none",
    "completion_confirmed",
    "review_at_end",
    "expires_at_end",
    "permanent",
)

_WORD = re.compile(r"\w+")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@dataclass(frozen=True)
class Definition:
    headword: str
    text: str
    headword_supplied: bool = False

    @property
    def anchor(self) -> str:
        return "def-" + _slug(self.headword)


@dataclass(frozen=True)
class Clause:
    """One numbered clause. ``id`` (e.g. ``MPP-A.3``) is permanent and cited everywhere."""

    id: str
    text: str
    part_id: str
    section_id: str

    @property
    def number(self) -> int:
        return int(self.id.rsplit(".", 1)[1])

    @property
    def label(self) -> str:
        """The clause's short reference inside its part, e.g. ``A.3``."""
        return self.id.split("-", 1)[1]


@dataclass(frozen=True)
class Section:
    id: str  # "MPP-A"
    letter: str
    heading: str
    clauses: tuple[Clause, ...]
    heading_supplied: bool = False


@dataclass(frozen=True)
class Part:
    """A principle group (e.g. Mentoring Practice Principles), prefix of its clause IDs."""

    id: str  # "MPP"
    heading: str
    sections: tuple[Section, ...]
    intro: tuple[str, ...] = ()
    heading_supplied: bool = False

    @property
    def clauses(self) -> tuple[Clause, ...]:
        return tuple(clause for section in self.sections for clause in section.clauses)


@dataclass(frozen=True)
class SanctionRules:
    """The ladder's rules as data; the vocabulary is documented in code_of_ethics.yaml."""

    standing: str = "unchanged"
    max_per_member: int | None = None
    escalate_to: str | None = None
    agreement_eligible: bool = False
    requires: tuple[str, ...] = ()
    check_ins: bool = False
    compliance: str = "none"
    non_compliance_escalates: bool = False
    ends_membership: bool = False
    ends_credentials: bool = False

    @property
    def standing_label(self) -> str:
        return STANDING_LABELS[self.standing]


@dataclass(frozen=True)
class Sanction:
    level: int
    key: str
    name: str
    description: str
    rules: SanctionRules

    @property
    def text(self) -> str:
        return f"{self.name} – {self.description}"


@dataclass(frozen=True)
class TextBlock:
    """A headed run of paragraphs (statement of values, closing)."""

    heading: str
    paragraphs: tuple[str, ...]
    heading_supplied: bool = False


@dataclass(frozen=True)
class Pledge:
    heading: str
    paragraphs: tuple[str, ...]
    heading_supplied: bool = False

    @property
    def text(self) -> str:
        """The exact wording a member signs (paragraphs separated by a blank line)."""
        return "\n\n".join(self.paragraphs)


@dataclass(frozen=True)
class Code:
    title: str
    issuing_body: str
    version: str
    effective_date: date
    preamble: tuple[str, ...]
    target_audience: TextBlock
    definitions: tuple[Definition, ...]
    values: TextBlock
    parts: tuple[Part, ...]
    closing: TextBlock
    sanctions_heading: str
    sanctions: tuple[Sanction, ...]
    pledge: Pledge
    sanctions_heading_supplied: bool = False
    source_path: str = field(default="", compare=False)

    # -- look-ups (built once, on first use; the object never changes) ----------------------

    @cached_property
    def clauses(self) -> tuple[Clause, ...]:
        """Every clause, in the Code's order."""
        return tuple(clause for part in self.parts for clause in part.clauses)

    @cached_property
    def _clauses_by_id(self) -> dict[str, Clause]:
        return {clause.id: clause for clause in self.clauses}

    @cached_property
    def _clause_positions(self) -> dict[str, int]:
        return {clause.id: position for position, clause in enumerate(self.clauses)}

    @cached_property
    def _sections_by_id(self) -> dict[str, Section]:
        return {section.id: section for part in self.parts for section in part.sections}

    @cached_property
    def _parts_by_id(self) -> dict[str, Part]:
        return {part.id: part for part in self.parts}

    @cached_property
    def _sanctions_by_key(self) -> dict[str, Sanction]:
        return {sanction.key: sanction for sanction in self.sanctions}

    def clause(self, clause_id: str) -> Clause:
        """The clause with this ID; ``KeyError`` if the Code has none."""
        return self._clauses_by_id[clause_id]

    def has_clause(self, clause_id: str) -> bool:
        return clause_id in self._clauses_by_id

    def section(self, section_id: str) -> Section:
        return self._sections_by_id[section_id]

    def part(self, part_id: str) -> Part:
        return self._parts_by_id[part_id]

    def section_of(self, clause: Clause) -> Section:
        return self._sections_by_id[clause.section_id]

    def part_of(self, clause: Clause) -> Part:
        return self._parts_by_id[clause.part_id]

    def neighbours(self, clause: Clause) -> tuple[Clause | None, Clause | None]:
        """The clauses before and after ``clause`` in reading order (None at either end)."""
        position = self._clause_positions[clause.id]
        previous = self.clauses[position - 1] if position > 0 else None
        following = self.clauses[position + 1] if position + 1 < len(self.clauses) else None
        return previous, following

    def sanction(self, key: str) -> Sanction:
        """The sanction with this key (``warning`` ... ``legal_referral``); ``KeyError`` if none."""
        return self._sanctions_by_key[key]

    def sanction_at_level(self, level: int) -> Sanction:
        return self.sanctions[level - 1]

    # -- search --------------------------------------------------------------------------

    @cached_property
    def _search_index(self) -> tuple[tuple[Clause, str], ...]:
        return tuple(
            (clause, f"{clause.id} {self.section_of(clause).heading} {clause.text}".casefold())
            for clause in self.clauses
        )

    def search(self, query: str) -> tuple[Clause, ...]:
        """Clauses whose text, ID or section heading contains every word of ``query``.

        Case-insensitive substring match per word, so "confidential" finds "confidentiality";
        results keep the Code's order. An empty query finds nothing.
        """
        words = search_words(query)
        if not words:
            return ()
        return tuple(
            clause for clause, haystack in self._search_index if all(w in haystack for w in words)
        )

    # -- fingerprint ---------------------------------------------------------------------

    def to_canonical(self) -> dict[str, object]:
        """The whole content as plain data, the form that is fingerprinted and stored."""
        return {
            "metadata": {
                "title": self.title,
                "issuing_body": self.issuing_body,
                "version": self.version,
                "effective_date": self.effective_date.isoformat(),
            },
            "preamble": list(self.preamble),
            "target_audience": _block(self.target_audience),
            "definitions": [
                {"headword": d.headword, "headword_supplied": d.headword_supplied, "text": d.text}
                for d in self.definitions
            ],
            "values": _block(self.values),
            "parts": [
                {
                    "id": part.id,
                    "heading": part.heading,
                    "heading_supplied": part.heading_supplied,
                    "intro": list(part.intro),
                    "sections": [
                        {
                            "letter": section.letter,
                            "heading": section.heading,
                            "heading_supplied": section.heading_supplied,
                            "clauses": [{"id": c.id, "text": c.text} for c in section.clauses],
                        }
                        for section in part.sections
                    ],
                }
                for part in self.parts
            ],
            "closing": _block(self.closing),
            "sanctions": {
                "heading": self.sanctions_heading,
                "heading_supplied": self.sanctions_heading_supplied,
                "ladder": [
                    {
                        "level": s.level,
                        "key": s.key,
                        "name": s.name,
                        "description": s.description,
                        "rules": _rules(s.rules),
                    }
                    for s in self.sanctions
                ],
            },
            "pledge": {
                "heading": self.pledge.heading,
                "heading_supplied": self.pledge.heading_supplied,
                "paragraphs": list(self.pledge.paragraphs),
            },
        }

    @cached_property
    def canonical_json(self) -> str:
        return json.dumps(
            self.to_canonical(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )

    def to_canonical_json(self) -> str:
        """Sorted keys, fixed separators, UTF-8 text: equal content gives equal bytes."""
        return self.canonical_json

    @cached_property
    def fingerprint(self) -> str:
        """SHA-256 (hex) of the canonical JSON; changes whenever any wording changes."""
        return hashlib.sha256(self.canonical_json.encode("utf-8")).hexdigest()

    @property
    def short_fingerprint(self) -> str:
        return self.fingerprint[:12]

    def __iter__(self) -> Iterator[Clause]:
        return iter(self.clauses)


def search_words(query: str) -> tuple[str, ...]:
    """The casefolded words of a search query (punctuation ignored, duplicates dropped)."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(query.casefold()):
        seen.setdefault(word)
    return tuple(seen)


def _block(block: TextBlock) -> dict[str, object]:
    return {
        "heading": block.heading,
        "heading_supplied": block.heading_supplied,
        "paragraphs": list(block.paragraphs),
    }


def _rules(rules: SanctionRules) -> dict[str, object]:
    return {
        "standing": rules.standing,
        "max_per_member": rules.max_per_member,
        "escalate_to": rules.escalate_to,
        "agreement_eligible": rules.agreement_eligible,
        "requires": list(rules.requires),
        "check_ins": rules.check_ins,
        "compliance": rules.compliance,
        "non_compliance_escalates": rules.non_compliance_escalates,
        "ends_membership": rules.ends_membership,
        "ends_credentials": rules.ends_credentials,
    }
