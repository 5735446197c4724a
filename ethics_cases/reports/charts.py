"""Accessible charts as inline SVG, drawn on the server (no JavaScript, no external library).

Each chart is ``role="img"`` with a ``<title>`` and a ``<desc>`` that say what it shows and
point to the table beneath, which holds every figure; each bar carries its own ``<title>``
(the exact number, shown as a tooltip). Labels sit above their bars rather than beside them.

There is no ``viewBox``: positions and lengths along the x axis are percentages of the chart's
width, heights are pixels. So the chart stretches to any width while its text keeps its real
size (13px), readable on a 390px phone as on a desktop.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

PALETTE = ("#1f4e79", "#b5651d", "#1e6b3a", "#a1262c", "#6b5b95", "#5f6b7a")
_ids = itertools.count(1)


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    colour: str


def series(items: Sequence[tuple[str, str]]) -> list[Series]:
    return [Series(key, label, PALETTE[i % len(PALETTE)]) for i, (key, label) in enumerate(items)]


def _fmt(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _open(height: float, title: str, desc: str) -> list[str]:
    uid = f"chart-{next(_ids)}"
    return [
        f'<svg class="chart" width="100%" height="{height:g}" role="img" '
        f'aria-labelledby="{uid}-title {uid}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{uid}-title">{escape(title)}</title>',
        f'<desc id="{uid}-desc">{escape(desc)} The table below the chart gives every figure.'
        "</desc>",
    ]


def legend(items: Sequence[Series]) -> Markup:
    """An HTML legend (it wraps on narrow screens, unlike SVG text)."""
    parts = ['<ul class="chart-legend">']
    for item in items:
        parts.append(
            '<li><svg width="14" height="14" aria-hidden="true" focusable="false">'
            f'<rect width="14" height="14" rx="2" fill="{item.colour}"/></svg> '
            f"{escape(item.label)}</li>")
    parts.append("</ul>")
    return Markup("".join(parts))  # noqa: S704 (every text part went through escape())


def bars(rows: Sequence[tuple[str, float]], *, title: str, desc: str, unit: str = "",
         colour: str = PALETTE[0]) -> Markup:
    """Horizontal bars, one per row: the label above, the value at the bar's end."""
    if not rows:
        return Markup("")
    top = max((value for _, value in rows), default=0) or 1
    row_h, bar_h, room = 40, 16, 16
    out = _open(len(rows) * row_h + 4, title, desc)
    for index, (label, value) in enumerate(rows):
        y = index * row_h
        length = (100 - room) * value / top
        out.append(f'<text x="0" y="{y + 14}" class="chart-label">{escape(label)}</text>')
        out.append(f'<rect x="0" y="{y + 19}" width="{max(length, 0.4):.2f}%" height="{bar_h}" '
                   f'fill="{colour}"><title>{escape(label)}: {_fmt(value)}{unit}</title>'
                   "</rect>")
        out.append(f'<text x="{length:.2f}%" dx="6" y="{y + 32}" class="chart-value">'
                   f"{_fmt(value)}{escape(unit)}</text>")
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 (every text part went through escape())


def grouped_bars(rows: Sequence[tuple[str, Sequence[float]]], groups: Sequence[Series], *,
                 title: str, desc: str) -> Markup:
    """Horizontal bars, one bar per series under each label (e.g. alleged / upheld)."""
    if not rows:
        return Markup("")
    top = max((max(values) for _, values in rows), default=0) or 1
    bar_h, room = 12, 12
    row_h = 22 + len(groups) * (bar_h + 3) + 6
    out = _open(len(rows) * row_h + 4, title, desc)
    for index, (label, values) in enumerate(rows):
        y = index * row_h
        out.append(f'<text x="0" y="{y + 14}" class="chart-label">{escape(label)}</text>')
        for position, (group, value) in enumerate(zip(groups, values, strict=True)):
            by = y + 20 + position * (bar_h + 3)
            length = (100 - room) * value / top
            out.append(f'<rect x="0" y="{by}" width="{max(length, 0.4):.2f}%" height="{bar_h}" '
                       f'fill="{group.colour}"><title>{escape(label)}, '
                       f"{escape(group.label.lower())}: {_fmt(value)}</title></rect>")
            out.append(f'<text x="{length:.2f}%" dx="5" y="{by + 10}" class="chart-value small">'
                       f"{_fmt(value)}</text>")
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 (every text part went through escape())


def stacked_bars(rows: Sequence[tuple[str, Sequence[float]]], parts: Sequence[Series], *,
                 title: str, desc: str, percent: bool = True) -> Markup:
    """One horizontal bar per row split into parts; ``percent`` scales each bar to 100%."""
    if not rows:
        return Markup("")
    row_h, bar_h = 44, 20
    top = max((sum(values) for _, values in rows), default=0) or 1
    out = _open(len(rows) * row_h + 4, title, desc)
    for index, (label, values) in enumerate(rows):
        y = index * row_h
        total = sum(values)
        out.append(f'<text x="0" y="{y + 14}" class="chart-label">{escape(label)}'
                   f'<tspan class="chart-value"> ({_fmt(total)})</tspan></text>')
        x = 0.0
        scale = 100 / (total if percent else top) if total else 0
        for part, value in zip(parts, values, strict=True):
            width = value * scale
            if width <= 0:
                continue
            share = f" ({round(100 * value / total)}%)" if total else ""
            out.append(f'<rect x="{x:.2f}%" y="{y + 19}" width="{width:.2f}%" height="{bar_h}" '
                       f'fill="{part.colour}"><title>{escape(label)}, {escape(part.label)}: '
                       f"{_fmt(value)}{share}</title></rect>")
            if percent and width >= 12:
                out.append(f'<text x="{x + width / 2:.2f}%" y="{y + 33}" text-anchor="middle" '
                           f'class="chart-inbar">{round(100 * value / total)}%</text>')
            x += width
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 (every text part went through escape())


def columns(rows: Sequence[tuple[str, Sequence[float]]], parts: Sequence[Series], *,
            title: str, desc: str, every: int = 1) -> Markup:
    """Stacked vertical columns, one per period (e.g. month), labelled every ``every``."""
    if not rows:
        return Markup("")
    height, base, top_pad = 200, 170, 18
    top = max((sum(values) for _, values in rows), default=0) or 1
    slot = 100 / len(rows)
    width = slot * 0.7
    out = _open(height, title, desc)
    out.append(f'<line x1="0" y1="{base}" x2="100%" y2="{base}" class="chart-axis"/>')
    for index, (label, values) in enumerate(rows):
        x = index * slot + (slot - width) / 2
        y = float(base)
        total = sum(values)
        for part, value in zip(parts, values, strict=True):
            h = (base - top_pad) * value / top
            if h <= 0:
                continue
            y -= h
            out.append(f'<rect x="{x:.2f}%" y="{y:.1f}" width="{width:.2f}%" height="{h:.1f}" '
                       f'fill="{part.colour}"><title>{escape(label)}, {escape(part.label)}: '
                       f"{_fmt(value)}</title></rect>")
        if total and len(rows) <= 24:
            out.append(f'<text x="{x + width / 2:.2f}%" y="{y - 4:.1f}" text-anchor="middle" '
                       f'class="chart-value small">{_fmt(total)}</text>')
        if index % every == 0:
            out.append(f'<text x="{x + width / 2:.2f}%" y="{base + 16}" text-anchor="middle" '
                       f'class="chart-label small">{escape(label)}</text>')
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 (every text part went through escape())
