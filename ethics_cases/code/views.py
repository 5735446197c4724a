"""Public pages of the Code: the whole Code, one page per clause, and search."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from markupsafe import Markup, escape

from ..assets import asset_response, asset_url
from ..security import public
from . import current_code
from .model import Sanction, search_words

bp = Blueprint("code", __name__, url_prefix="/code")

STATIC_DIR = Path(__file__).resolve().parent / "static"
MAX_QUERY_LENGTH = 200


@bp.route("")
@public
def index() -> str:
    return render_template("code/index.html", code=current_code())


@bp.route("/search")
@public
def search() -> str:
    query = request.args.get("q", "")[:MAX_QUERY_LENGTH].strip()
    code = current_code()
    results = code.search(query)
    words = search_words(query)
    return render_template(
        "code/search.html",
        code=code,
        query=query,
        words=words,
        results=results,
        highlight=lambda text: highlight(text, words),
    )


@bp.route("/<clause_id>")
@public
def clause(clause_id: str) -> str | Response:
    code = current_code()
    if not code.has_clause(clause_id):
        canonical = clause_id.strip().upper()
        if code.has_clause(canonical):
            return redirect(url_for("code.clause", clause_id=canonical), code=301)
        abort(404, f"The Code has no clause {clause_id!r}. Clause IDs look like MPP-A.1.")
    found = code.clause(clause_id)
    previous, following = code.neighbours(found)
    return render_template(
        "code/clause.html",
        code=code,
        clause=found,
        section=code.section_of(found),
        part=code.part_of(found),
        previous=previous,
        following=following,
    )


@bp.route("/assets/code.css")
@public
def stylesheet() -> Response:
    """The Code pages' own styles (served here: a blueprint static route has no access rule).

    Read once per process; the URL carries the content hash, so browsers may cache it long.
    """
    return asset_response(STATIC_DIR / "code.css")


@bp.app_template_global()
def code_stylesheet_url() -> str:
    return asset_url("code.stylesheet", STATIC_DIR / "code.css")


def highlight(text: str, words: tuple[str, ...]) -> Markup:
    """``text`` escaped, with every occurrence of any of ``words`` wrapped in ``<mark>``."""
    spans: list[tuple[int, int]] = []
    for word in words:
        # the whole word containing the match: "confidential" marks "confidentiality"
        pattern = r"\w*" + re.escape(word) + r"\w*"
        spans.extend(m.span() for m in re.finditer(pattern, text, re.IGNORECASE))
    spans.sort()
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out: list[str] = []
    position = 0
    for start, end in merged:
        out.append(escape(text[position:start]))
        out.append(Markup("<mark>%s</mark>") % text[start:end])
        position = end
    out.append(escape(text[position:]))
    return Markup("").join(out)


@bp.app_template_filter("sanction_rules")
def sanction_rules(sanction: Sanction) -> list[str]:
    """The ladder's rules for one sanction, in plain words for the public page."""
    code = current_code()
    rules = sanction.rules
    lines = [f"Member's standing: {rules.standing_label.lower()}."]
    if rules.max_per_member is not None:
        times = "once" if rules.max_per_member == 1 else f"{rules.max_per_member} times"
        line = f"May be given to a member at most {times}"
        if rules.escalate_to:
            floor = code.sanction(rules.escalate_to)
            line += f"; after that, a breach leads at least to level {floor.level} ({floor.name})"
        lines.append(line + ".")
    if rules.requires:
        details = ", ".join(detail.replace("_", " ") for detail in rules.requires)
        lines.append(f"The decision records: {details}.")
    if rules.check_ins:
        lines.append("Includes regular check-ins with the committee.")
    compliance = {
        "completion_confirmed": "Ends when the committee confirms completion.",
        "review_at_end": "Reviewed by the committee at the end of the period.",
        "expires_at_end": "Ends automatically at the end of the period.",
        "permanent": "Permanent.",
    }.get(rules.compliance)
    if compliance:
        lines.append(compliance)
    if rules.non_compliance_escalates:
        lines.append("Not complying leads to the next level.")
    if rules.ends_membership or rules.ends_credentials:
        ended = " and ".join(
            what
            for what, flag in (
                ("membership", rules.ends_membership),
                ("credentials", rules.ends_credentials),
            )
            if flag
        )
        lines.append(f"Ends IMC {ended}.")
    if rules.agreement_eligible:
        lines.append("May be agreed with the member without a hearing.")
    return lines
