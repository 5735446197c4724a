from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, date, datetime

import factory

from ethics_cases.code import load_code
from ethics_cases.config import DEFAULTS
from ethics_cases.pledges.models import CodeVersion, Pledge

from .accounts import MemberUserFactory
from .base import BaseFactory

# The real Code, parsed once per run, for factories that need its wording.
REAL_CODE = load_code(str(DEFAULTS["CODE_OF_ETHICS_PATH"]))


class CodeVersionFactory(BaseFactory):
    """A registered Code version; by default an EARLIER one (not the running Code)."""

    class Meta:
        model = CodeVersion

    version = factory.Sequence(lambda n: f"2023.{n + 1}")
    fingerprint = factory.Sequence(lambda n: hashlib.sha256(f"earlier-{n}".encode()).hexdigest())
    title = "IMC Code of Ethics"
    effective_date = date(2023, 1, 1)
    canonical_json = factory.LazyFunction(lambda: REAL_CODE.to_canonical_json())
    registered_at = factory.LazyFunction(lambda: datetime(2023, 1, 1, tzinfo=UTC))

    class Params:
        current = factory.Trait(
            version=REAL_CODE.version, fingerprint=REAL_CODE.fingerprint,
            title=REAL_CODE.title, effective_date=REAL_CODE.effective_date)


class PledgeFactory(BaseFactory):
    class Meta:
        model = Pledge

    user = factory.SubFactory(MemberUserFactory)
    member = factory.LazyAttribute(lambda o: o.user.member)
    code_version = factory.SubFactory(CodeVersionFactory)
    code_fingerprint = factory.LazyAttribute(lambda o: o.code_version.fingerprint)
    pledge_text_sha256 = factory.LazyFunction(
        lambda: hashlib.sha256(REAL_CODE.pledge.text.encode()).hexdigest())
    typed_name = factory.LazyAttribute(lambda o: o.user.full_name)
    signed_at = factory.LazyFunction(lambda: datetime(2024, 3, 1, 9, 30, tzinfo=UTC))
    ip = "192.0.2.1"
    user_agent = "factory"
    verification_code = factory.LazyFunction(lambda: secrets.token_urlsafe(18))
