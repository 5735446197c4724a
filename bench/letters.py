"""A letter's PDF: fonts parsed once per process vs parsed for every document, vs a core font.

    .venv/bin/python bench/letters.py [--letters 20]

Renders the same decision letter (``notifications.letters.render_pdf``) three ways, in turns,
in one process:

- ``parsed per letter``: what fpdf2's ``add_font`` does (the app before the font cache): the
  two DejaVu TTFs are parsed for every document;
- ``app (cached fonts)``: the app as it is, fonts parsed once per process
  (``ethics_cases.pdf._add_parsed_font``);
- ``floor (core Helvetica)``: the same letter in the PDF core font, which needs no font file
  at all: the cost of laying out and writing the letter alone.

It prints the median time per letter and the ratios, and checks that the first two produce
the same bytes (apart from the creation date and the /ID made from it) and the same text.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import ethics_cases.pdf as document_pdf
from ethics_cases.notifications.letters import render_pdf

BODY = "\n\n".join([
    "## Findings",
    "The panel considered the complaint of Zoë Müller-Łukasiewicz against the member and the "
    "member's written response of 3 March, and heard both parties on 14 April.",
    *[f"Clause MPP-B.{n}: “A mentor keeps confidential what a mentee tells them, except where "
      f"the law requires otherwise.” The panel finds that the clause was breached — the "
      f"member disclosed the mentee's situation to a third party without consent." for n in
      range(1, 6)],
    "## Sanction",
    "Training: the member completes the Boundaries course within 90 days and sends the "
    "certificate of completion to the Ethics Committee.",
    "## Appeal",
    "Either party may appeal within 30 days of this letter, in writing, giving reasons.",
])
LETTER = dict(association="International Mentoring Center", title="Decision of the panel",
              reference="EC-2026-0042", date_line="23 November 2026",
              addressee="Jane Doe\nMembership number IMC-000123", body=BODY)


def _per_letter_parse(pdf, family, style, path):  # type: ignore[no-untyped-def]
    pdf.add_font(family, style, str(path))


def _render(mode: str) -> bytes:
    cached = document_pdf._add_parsed_font
    fonts = document_pdf.DEJAVU_DIR
    try:
        if mode == "parsed":
            document_pdf._add_parsed_font = _per_letter_parse
        elif mode == "core":
            document_pdf.DEJAVU_DIR = Path("/nonexistent-fonts")
        return render_pdf(**LETTER)
    finally:
        document_pdf._add_parsed_font = cached
        document_pdf.DEJAVU_DIR = fonts


def _text(data: bytes) -> str:
    import io

    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--letters", type=int, default=20)
    args = parser.parse_args()
    modes = {"parsed": "parsed per letter (fpdf2 add_font)", "cached": "app (cached fonts)",
             "core": "floor (core Helvetica)"}
    first = {mode: _render(mode) for mode in modes}  # warm-up; the cache fills here
    strip = re.compile(rb"/CreationDate \(D:[^)]*\)|/ID \[<[0-9A-F]+><[0-9A-F]+>\]")
    same_bytes = strip.sub(b"", first["parsed"]) == strip.sub(b"", first["cached"])
    same_text = _text(first["parsed"]) == _text(first["cached"])
    wall: dict[str, list[float]] = {mode: [] for mode in modes}
    cpu: dict[str, list[float]] = {mode: [] for mode in modes}
    for _ in range(args.letters):
        for mode in modes:  # in turns, so load changes hit all three alike
            start, start_cpu = time.perf_counter(), time.process_time()
            _render(mode)
            wall[mode].append(time.perf_counter() - start)
            cpu[mode].append(time.process_time() - start_cpu)
    median = {mode: statistics.median(values) for mode, values in wall.items()}
    median_cpu = {mode: statistics.median(values) for mode, values in cpu.items()}
    print(f"{args.letters} letters each, {len(first['cached'])} bytes, median per letter "
          "(wall; CPU of this process):")
    for mode, label in modes.items():
        print(f"  {label:38} {median[mode] * 1000:7.1f} ms "
              f"({median_cpu[mode] * 1000:6.1f} ms CPU)  "
              f"{median_cpu[mode] / median_cpu['core']:5.2f}x floor (CPU)")
    print(f"cached vs parsed per letter, CPU: {median_cpu['cached'] / median_cpu['parsed']:.2f}x; "
          f"wall: {median['cached'] / median['parsed']:.2f}x")
    print(f"same PDF bytes (but creation date and /ID): {same_bytes}; same text: {same_text}")
    if not (same_bytes and same_text):
        sys.exit(1)


if __name__ == "__main__":
    main()
