"""ethics_cases.pdf: fonts are parsed once per process, and the PDFs are those fpdf2's own
``add_font`` gives (same bytes but the creation date and the /ID derived from it)."""

from __future__ import annotations

import re

import pytest
from fpdf import fonts as fpdf_fonts

import ethics_cases.pdf as document_pdf
from ethics_cases.notifications.letters import render_pdf

_VOLATILE = re.compile(rb"/CreationDate \(D:[^)]*\)|/ID \[<[0-9A-F]+><[0-9A-F]+>\]")
LETTER = dict(association="International Mentoring Center", title="Decision of the panel",
              reference="EC-2026-0042", date_line="23 November 2026",
              addressee="Zoë Müller-Łukasiewicz\nMembership number IMC-000123",
              body="## Findings\n\nThe panel finds “a breach” — of MPP-B.1.\n\nSecond page? "
                   + "Long paragraph. " * 400)

pytestmark = pytest.mark.skipif(not (document_pdf.DEJAVU_DIR / "DejaVuSans.ttf").exists(),
                                reason="DejaVu fonts not installed")


def _parsed_per_document(pdf, family, style, path):  # type: ignore[no-untyped-def]
    pdf.add_font(family, style, str(path))


def test_a_letter_with_cached_fonts_is_the_pdf_add_font_gives(monkeypatch):
    cached = render_pdf(**LETTER)
    again = render_pdf(**LETTER)  # the second document reuses the parsed fonts
    monkeypatch.setattr(document_pdf, "_add_parsed_font", _parsed_per_document)
    parsed = render_pdf(**LETTER)
    assert re.search(rb"/Count [2-9]\n", parsed)  # several pages (the footer's {nb} too)
    assert _VOLATILE.sub(b"", cached) == _VOLATILE.sub(b"", parsed)
    assert _VOLATILE.sub(b"", again) == _VOLATILE.sub(b"", parsed)


def test_fonts_are_parsed_once_per_process(monkeypatch):
    render_pdf(**LETTER)  # the cache is filled (or already was)
    parses = []
    original = fpdf_fonts.TTFFont.__init__

    def counting_init(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        parses.append(args[1])
        original(self, *args, **kwargs)

    monkeypatch.setattr(fpdf_fonts.TTFFont, "__init__", counting_init)
    render_pdf(**LETTER)
    render_pdf(**LETTER)
    assert parses == []


def test_documents_do_not_share_what_a_document_changes():
    first = document_pdf.DocumentPDF()
    second = document_pdf.DocumentPDF()
    a, b = first.fonts["dejavu"], second.fonts["dejavu"]
    assert a.cmap is b.cmap  # shared: read-only
    assert a.ttfont is not b.ttfont and a.subset is not b.subset
    before = len(b.subset)
    first.add_page()
    first.write_block("Ærøskøbing ŁŚ")
    assert len(a.subset) > before and len(b.subset) == before
    assert a.missing_glyphs is not b.missing_glyphs
