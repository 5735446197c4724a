"""The pledge certificate as a PDF (page and fonts from ``ethics_cases.pdf``)."""

from __future__ import annotations

from ..accounts.standing import Standing
from ..pdf import DEJAVU_DIR, DocumentPDF
from .models import Pledge


class _Certificate(DocumentPDF):
    def __init__(self) -> None:
        super().__init__(DEJAVU_DIR)  # looked up at call time, so a test can take the fonts away


def certificate_pdf(pledge: Pledge, *, association: str, pledge_paragraphs: list[str],
                    verify_url: str, current: bool, standing: Standing) -> bytes:
    pdf = _Certificate()
    pdf.set_title(f"Ethics pledge certificate {pledge.member.membership_number}")
    pdf.set_author(association)
    pdf.set_margins(22, 22, 22)
    pdf.add_page()
    pdf.set_draw_color(31, 58, 96)
    pdf.set_line_width(0.8)
    pdf.rect(12, 12, 186, 273)
    pdf.write_block(association, 11, align="C", after=2)
    pdf.write_block("Certificate of the Ethics Pledge", 22, bold=True, align="C", after=8)
    pdf.write_block("This certifies that", 11, align="C", after=2)
    pdf.write_block(pledge.member.full_name, 20, bold=True, align="C", after=2)
    pdf.write_block(f"Membership number {pledge.member.membership_number}", 11, align="C",
                    after=6)
    signed = pledge.signed_at.strftime("%d %B %Y at %H:%M UTC")
    pdf.write_block(f"signed the ethics pledge of the {pledge.code_version.title}, version "
                    f"{pledge.code_version.version}, on {signed}:", 11, align="C", after=6)
    for paragraph in pledge_paragraphs:
        pdf.write_block(paragraph, 10, after=2.5)
    pdf.ln(4)
    version_note = ("This is the current version of the Code." if current else
                    "A newer version of the Code has been published since.")
    pdf.write_block(f"{version_note} Standing today: {standing.label}.", 10, after=2)
    pdf.write_block(f"Code fingerprint (SHA-256): {pledge.code_fingerprint}", 8, after=1)
    pdf.write_block(f"Pledge text SHA-256: {pledge.pledge_text_sha256}", 8, after=4)
    pdf.write_block(f"Verify this certificate: {verify_url}", 10, bold=True, after=0)
    return bytes(pdf.output())
