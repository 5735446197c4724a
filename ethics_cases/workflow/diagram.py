"""The state diagram, drawn as SVG from the procedure's own definition (always true).

Every state-changing step is an arrow labelled with its trigger. No graphviz: a few lines of
geometry are enough for thirteen states, and the page works with the app's strict CSP.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from html import escape

from .procedure import INITIAL_STATE, STATES, STEPS, Step

MARGIN = 24


@dataclass(frozen=True)
class Edge:
    source: str
    dest: str
    triggers: tuple[str, ...]


def edges() -> list[Edge]:
    grouped: dict[tuple[str, str], list[str]] = defaultdict(list)
    for step in STEPS:
        if step.dest is None:
            continue
        for source in step.sources:
            if step.trigger not in grouped[(source, step.dest)]:
                grouped[(source, step.dest)].append(step.trigger)
    return [Edge(s, d, tuple(t)) for (s, d), t in grouped.items()]


def internal_steps() -> dict[str, list[Step]]:
    """Steps that record something without changing state, per state."""
    found: dict[str, list[Step]] = defaultdict(list)
    for step in STEPS:
        if step.dest is None:
            for source in step.sources:
                if step not in found[source]:
                    found[source].append(step)
    return found


SIDE_STATE = "withdrawn"  # reachable from every stage before a decision: listed, not drawn
#: States entered from (and left back to) many stages: summarised under the diagram.
SIDE_STATES = (SIDE_STATE, "stayed")


@cache
def svg() -> str:
    """An arc diagram: states top to bottom in the procedure's order; forward steps arc on the
    right, steps back to an earlier state arc on the left (amber). Withdrawal, possible from
    every stage before a decision, is summarised under the diagram instead of drawn 14 times."""
    order = [state for state in STATES if state.name not in SIDE_STATES]
    index = {state.name: i for i, state in enumerate(order)}
    row_h, box_w, box_h = 62, 220, 40
    centre_x = 520
    drawn = [e for e in edges() if not {e.source, e.dest} & set(SIDE_STATES)]
    width, height = 1040, len(order) * row_h + 2 * MARGIN
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        'aria-labelledby="wf-title" class="workflow-diagram" '
        'font-family="system-ui, sans-serif" font-size="12">',
        '<title id="wf-title">The adjudication procedure: states and the steps between them'
        '</title>',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="context-stroke"/></marker></defs>',
    ]
    used: dict[tuple[int, int], int] = defaultdict(int)
    placed: list[tuple[float, float]] = []
    for edge in sorted(drawn, key=lambda e: abs(index[e.dest] - index[e.source])):
        a, b = index[edge.source], index[edge.dest]
        forward = b > a
        y1 = MARGIN + a * row_h + box_h / 2
        y2 = MARGIN + b * row_h + box_h / 2
        span = abs(b - a)
        side = 1 if forward else -1
        edge_x = centre_x + side * box_w / 2
        lane = used[(side, span)]
        used[(side, span)] += 1
        # long arcs (e.g. reopen: closed -> screening) are flattened to stay on the canvas
        reach = min(18 + span * 26 + lane * 12, 190 + lane * 4)
        control_x = edge_x + side * reach * 1.9
        colour = "#4a5568" if forward else "#b7791f"
        label = ", ".join(edge.triggers)
        parts.append(
            f'<path d="M{edge_x:.0f},{y1:.0f} C{control_x:.0f},{y1:.0f} {control_x:.0f},{y2:.0f} '
            f'{edge_x + side * 4:.0f},{y2:.0f}" fill="none" stroke="{colour}" '
            f'stroke-width="1.3" marker-end="url(#arrow)"><title>{escape(edge.source)} → '
            f'{escape(edge.dest)}: {escape(label)}</title></path>')
        label_x = edge_x + side * (reach * 1.45 + 4)
        label_y = (y1 + y2) / 2 + 4
        while any(abs(label_y - py) < 12 and abs(label_x - px) < 130 for px, py in placed):
            label_y += 13  # keep labels of arcs with the same middle apart
        placed.append((label_x, label_y))
        anchor = "start" if forward else "end"
        parts.append(f'<text x="{label_x:.0f}" y="{label_y:.0f}" fill="{colour}" '
                     f'font-size="10.5" text-anchor="{anchor}">{escape(label)}</text>')
    for state in order:
        x, y = centre_x - box_w / 2, MARGIN + index[state.name] * row_h
        fill = "#edf2f7" if state.final else "#ffffff"
        parts.append(
            f'<g><rect x="{x:.0f}" y="{y:.0f}" width="{box_w}" height="{box_h}" rx="8" '
            f'fill="{fill}" stroke="#2d3748" '
            f'stroke-width="{2 if state.name == INITIAL_STATE else 1}"/>'
            f'<text x="{centre_x}" y="{y + 17:.0f}" text-anchor="middle" font-weight="600">'
            f'{escape(state.title)}</text>'
            f'<text x="{centre_x}" y="{y + 31:.0f}" text-anchor="middle" fill="#4a5568" '
            f'font-family="monospace" font-size="10">{escape(state.name)}</text>'
            f'<title>{escape(state.description)}</title></g>')
    parts.append("</svg>")
    return "".join(parts)


def withdrawal_summary(side: str = SIDE_STATE) -> tuple[list[str], list[str]]:
    """(states a case can enter ``side`` from, states it can return to), from the steps."""
    into = [e.source for e in edges() if e.dest == side]
    back = [e.dest for e in edges() if e.source == side]
    return into, back
