"""Factories for complaints (cases), their allegations, evidence and messages."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, date, datetime
from pathlib import Path

import factory

from ethics_cases.cases.models import Allegation, Case, CaseMessage, Evidence
from ethics_cases.cases.references import hash_key_with

from ..conftest import TEST_SECRET_KEY
from .base import BaseFactory

# Every factory-made case opens with this key (the app under test uses the conftest secret).
FOLLOWUP_KEY = "ABCDEF-GHJKMN-PQRSTU-VWXYZ2"

SAMPLE_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


def _now() -> datetime:
    return datetime.now(UTC)


class CaseFactory(BaseFactory):
    class Meta:
        model = Case

    reference = factory.Sequence(lambda n: f"EC-2026-{9000 + n:04d}")
    state = "submitted"
    respondent = factory.SubFactory("tests.factories.accounts.MemberFactory")
    respondent_description = ""
    complainant_name = factory.Faker("name")
    complainant_email = factory.Sequence(lambda n: f"complainant{n}@example.org")
    complainant_phone = ""
    complainant_relationship = "client"
    narrative = factory.Faker("paragraph", nb_sentences=6)
    conduct_start = factory.LazyFunction(lambda: date(2026, 3, 1))
    conduct_end = None
    location = "Online"
    outcome_sought = "An apology and training."
    withhold_identity = False
    confidentiality_consented_at = factory.LazyFunction(_now)
    followup_key_hash = hash_key_with(TEST_SECRET_KEY, FOLLOWUP_KEY)
    submitted_at = factory.LazyFunction(_now)
    updated_at = factory.LazyFunction(_now)
    state_changed_at = factory.LazyFunction(_now)
    code_fingerprint = "0" * 64


class AllegationFactory(BaseFactory):
    class Meta:
        model = Allegation

    case = factory.SubFactory(CaseFactory)
    clause_id = "MPP-B.1"
    position = factory.Sequence(int)


class EvidenceFactory(BaseFactory):
    """An evidence row; write its bytes with ``write_evidence_file`` where the app looks."""

    class Meta:
        model = Evidence

    class Params:
        content = SAMPLE_PDF

    case = factory.SubFactory(CaseFactory)
    original_filename = "letter.pdf"
    stored_name = factory.LazyFunction(lambda: secrets.token_hex(16))
    sha256 = factory.LazyAttribute(lambda o: hashlib.sha256(o.content).hexdigest())
    size = factory.LazyAttribute(lambda o: len(o.content))
    content_type = "application/pdf"
    uploaded_by_kind = "complainant"
    uploaded_at = factory.LazyFunction(_now)


def write_evidence_file(upload_folder: str, item: Evidence, content: bytes) -> Path:
    folder = Path(upload_folder) / "evidence"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / item.stored_name
    path.write_bytes(content)
    return path


class CaseMessageFactory(BaseFactory):
    class Meta:
        model = CaseMessage

    case = factory.SubFactory(CaseFactory)
    author_kind = "committee"
    audience = "complainant"
    body = factory.Faker("sentence")
    created_at = factory.LazyFunction(_now)
    is_request = False
