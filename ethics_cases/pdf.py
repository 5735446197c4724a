"""The one PDF page setup that certificates and letters share (fpdf2).

DejaVu Sans (Debian's fonts-dejavu-core) covers the accents and curly quotes of real names and
of the Code's wording; without it the core Helvetica font is used and text is reduced to
Latin-1, so a document is still produced rather than failing the action that asked for it.
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

DEJAVU_DIR = Path("/usr/share/fonts/truetype/dejavu")

_LATIN1_STAND_INS = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                                   "\u2013": "-", "\u2014": "-"})


class DocumentPDF(FPDF):
    """An A4 portrait document in DejaVu Sans (or Helvetica), with a text block helper."""

    def __init__(self, fonts_dir: Path | None = None) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        fonts_dir = fonts_dir if fonts_dir is not None else DEJAVU_DIR
        regular, bold = fonts_dir / "DejaVuSans.ttf", fonts_dir / "DejaVuSans-Bold.ttf"
        self.unicode = regular.exists() and bold.exists()
        if self.unicode:
            self.add_font("DejaVu", "", str(regular))
            self.add_font("DejaVu", "B", str(bold))
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
