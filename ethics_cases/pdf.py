"""The one PDF page setup that certificates and letters share (fpdf2).

DejaVu Sans (Debian's fonts-dejavu-core) covers the accents and curly quotes of real names and
of the Code's wording; without it the core Helvetica font is used and text is reduced to
Latin-1, so a document is still produced rather than failing the action that asked for it.

Fonts are parsed once per process. fpdf2's ``add_font`` reads the TTF again for every
document (cmap, metrics, a width and glyph id per character). fpdf2 has no API to share a
parsed font, so ``_add_parsed_font`` keeps the parsed ``TTFFont`` of each file and gives each
document a copy that shares the read-only parts (cmap, widths, glyph ids, descriptor) and owns
what a document changes: its subset map, its missing glyphs and its own ``fontTools`` font
opened lazily on the cached file bytes (the output step subsets that object in place, so it
must never be shared). That object's tables are still decompiled by the subsetter at output,
which is most of what remains (bench/letters.py: ~1.2x less CPU per letter, not more). The
result is byte-for-byte the PDF ``add_font`` gives (tests/test_pdf.py compares them), so an
fpdf2 upgrade that changes the font object is caught there.
"""

from __future__ import annotations

import io
import threading
from pathlib import Path

from fontTools import ttLib
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

DEJAVU_DIR = Path("/usr/share/fonts/truetype/dejavu")

_LATIN1_STAND_INS = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                                   "\u2013": "-", "\u2014": "-"})

# (file, family, style) -> (the font parsed once, the file's bytes)
_PARSED_FONTS: dict[tuple[str, str, str], tuple[TTFFont, bytes]] = {}
_PARSED_FONTS_LOCK = threading.Lock()


def _parsed_font(path: Path, family: str, style: str) -> tuple[TTFFont, bytes]:
    key = (str(path), family, style)
    with _PARSED_FONTS_LOCK:
        entry = _PARSED_FONTS.get(key)
        if entry is None:
            parser = FPDF()
            parser.add_font(family, style, str(path))
            entry = (parser.fonts[f"{family.lower()}{style}"], path.read_bytes())
            _PARSED_FONTS[key] = entry
        return entry


def _add_parsed_font(pdf: FPDF, family: str, style: str, path: Path) -> None:
    """``pdf.add_font(family, style, path)`` without parsing the file again (see above)."""
    parsed, data = _parsed_font(path, family, style)
    if parsed.color_font is not None:  # colour glyph state is per document: parse it fully
        pdf.add_font(family, style, str(path))
        return
    font = TTFFont.__new__(TTFFont)
    for name in TTFFont.__slots__:
        if hasattr(parsed, name):
            setattr(font, name, getattr(parsed, name))
    font.i = len(pdf.fonts) + 1
    font.ttfont = ttLib.TTFont(io.BytesIO(data), recalcTimestamp=False, lazy=True)
    font._hbfont = None
    font.biggest_size_pt = 0
    font.missing_glyphs = []
    font.subset = SubsetMap(font)
    pdf.fonts[font.fontkey] = font
    if font.is_cff and font.is_cid_keyed:  # as add_font does
        pdf._set_min_pdf_version("1.6")


class DocumentPDF(FPDF):
    """An A4 portrait document in DejaVu Sans (or Helvetica), with a text block helper."""

    def __init__(self, fonts_dir: Path | None = None) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        fonts_dir = fonts_dir if fonts_dir is not None else DEJAVU_DIR
        regular, bold = fonts_dir / "DejaVuSans.ttf", fonts_dir / "DejaVuSans-Bold.ttf"
        self.unicode = regular.exists() and bold.exists()
        if self.unicode:
            _add_parsed_font(self, "DejaVu", "", regular)
            _add_parsed_font(self, "DejaVu", "B", bold)
            self.family_name = "DejaVu"
        else:
            self.family_name = "Helvetica"

    def text_of(self, text: str) -> str:
        if self.unicode:
            return text
        return text.translate(_LATIN1_STAND_INS).encode("latin-1", "replace").decode("latin-1")

    def write_block(self, text: str, size: float = 10.5, *, bold: bool = False,
                    align: str = "L", after: float = 3) -> None:
        self.set_font(self.family_name, "B" if bold else "", size)
        self.multi_cell(0, size * 0.5, self.text_of(text), align=align, new_x="LMARGIN",
                        new_y="NEXT")
        self.ln(after)
