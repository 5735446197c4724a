"""Letters: PDFs generated on a step of the procedure and kept with the case.

The file lives under ``LETTERS_FOLDER`` (outside the web root, named at random); the row
records its SHA-256 so anyone can check that the letter they hold is the one the committee
issued. ``recipient`` says which party the letter is addressed to, and so who besides the
committee may download it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..cases.models import Case
from ..extensions import db
from ..types import UTCDateTime, utcnow

LETTER_KINDS: dict[str, str] = {
    "dismissal": "Dismissal letter",
    "decision": "Decision letter",
    "outcome": "Outcome letter",
    "sanction": "Sanction letter",
    "appeal_decision": "Appeal decision letter",
}


class CaseLetter(db.Model):
    __tablename__ = "case_letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    recipient: Mapped[str] = mapped_column(String(20))  # respondent | complainant
    trigger: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(200))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    case: Mapped[Case] = relationship()

    @property
    def title(self) -> str:
        return LETTER_KINDS.get(self.kind, self.kind.replace("_", " ").capitalize())

    @property
    def audit_subject(self) -> Any:
        from .. import audit

        return audit.Subject("case_letter", self.id)
