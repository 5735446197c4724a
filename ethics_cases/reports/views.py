"""The reports page and one CSV per report, for the committee, the chair and administrators.

Members, complainants and the public never see these: even aggregate figures about a small
caseload can point at a case.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

from flask import Blueprint, Response, abort, render_template, request
from markupsafe import Markup

from ..assets import asset_response, asset_url
from ..security import Role, public, roles_required
from ..types import utcnow
from . import charts
from .queries import OUTCOMES, REPORT_KEYS, Report, all_reports, month_start, one_report

bp = Blueprint("reports", __name__, url_prefix="/reports")

STATIC_DIR = Path(__file__).resolve().parent / "static"
PERIODS = {3: "Last 3 months", 6: "Last 6 months", 12: "Last 12 months", 24: "Last 2 years",
           60: "Last 5 years"}
DEFAULT_PERIOD = 12
READERS = (Role.COMMITTEE, Role.CHAIR, Role.ADMIN)


def _period() -> int:
    try:
        months = int(request.args.get("months", DEFAULT_PERIOD))
    except ValueError:
        return DEFAULT_PERIOD
    return months if months in PERIODS else DEFAULT_PERIOD


@bp.route("")
@roles_required(*READERS)
def index() -> str:
    months, today = _period(), utcnow().date()
    since = month_start(today, months)
    reports = all_reports(since, today)
    return render_template("reports/index.html", reports=reports, months=months,
                           periods=PERIODS, since=since, today=today,
                           charts={r.key: chart_for(r, months) for r in reports})


@bp.route("/<key>.csv")
@roles_required(*READERS)
def download(key: str) -> Response:
    if key not in REPORT_KEYS:
        abort(404)
    months, today = _period(), utcnow().date()
    report = one_report(key, month_start(today, months), today)
    response = Response(to_csv(report), mimetype="text/csv")
    filename = f"{key}-{today.isoformat()}" + ("" if key in ("stages", "pledges")
                                                else f"-last-{months}-months")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _cell(value: object) -> object:
    # Spreadsheet formula injection: text starting with = + - @ would be run as a formula.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return "" if value is None else value


def to_csv(report: Report) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([label for _, label in report.columns])
    for row in report.rows:
        writer.writerow([_cell(row.get(key)) for key, _ in report.columns])
    return buffer.getvalue()


def chart_for(report: Report, months: int) -> Markup:
    """The chart that best shows one report at a glance (the table holds the figures)."""
    rows = report.rows
    if report.key == "stages":
        shown = [(r["stage"], r["cases"]) for r in rows if not r["final"] and r["cases"]]
        return charts.bars(shown, title="Open cases by stage",
                           desc="Horizontal bars: how many open cases are in each stage now.")
    if report.key == "outcomes":
        parts = charts.series(list(OUTCOMES.items()))
        shown = [(_month_label(r["month"]), [r[p.key] for p in parts]) for r in rows]
        return (charts.columns(shown, parts, title="Cases filed each month, by outcome",
                               desc="Stacked columns, one per month: cases filed that month, "
                                    "split by where they stand today.",
                               every=max(1, -(-len(shown) // 6)))
                + charts.legend(parts))
    if report.key == "stage_times":
        shown = [(r["stage"], r["median_days"]) for r in rows]
        return charts.bars(shown, unit=" d", colour=charts.PALETTE[1],
                           title="Median days in each stage",
                           desc="Horizontal bars: the median number of days cases spent in "
                                "each stage.")
    if report.key == "sanctions":
        shown = [(f"{r['level']}. {r['sanction']}", r["imposed"]) for r in rows]
        return charts.bars(shown, colour=charts.PALETTE[3], title="Sanctions imposed by level",
                           desc="Horizontal bars: sanctions imposed during the period at each "
                                "level of the ladder, mildest first.")
    if report.key == "clauses":
        groups = charts.series([("alleged", "Cases alleging"), ("upheld", "Cases upheld")])
        shown = [(f"{r['clause']} {r['section']}".strip(), [r["alleged"], r["upheld"]])
                 for r in rows[:10]]
        return (charts.grouped_bars(shown, groups, title="The ten clauses most often alleged",
                                    desc="Pairs of horizontal bars per clause: cases alleging "
                                         "a breach, and cases where the panel upheld it.")
                + charts.legend(groups))
    if report.key == "pledges":
        parts = [charts.Series("current", "Current version", charts.PALETTE[2]),
                 charts.Series("earlier", "Earlier version", charts.PALETTE[1]),
                 charts.Series("never", "Never signed", charts.PALETTE[3])]
        shown = [(r["membership_type"], [r[p.key] for p in parts]) for r in rows]
        return (charts.stacked_bars(shown, parts, title="Pledge coverage by membership type",
                                    desc="One bar per membership type split by pledge status, "
                                         "as shares of the type's current members.")
                + charts.legend(parts))
    return Markup("")


def _month_label(month: str) -> str:
    year, number = month.split("-")
    name = date(int(year), int(number), 1).strftime("%b")
    return f"{name} {year[2:]}" if number == "01" else name


@bp.route("/assets/reports.css")
@public
def stylesheet() -> Response:
    return asset_response(STATIC_DIR / "reports.css")


@bp.app_template_global()
def reports_stylesheet_url() -> str:
    return asset_url("reports.stylesheet", STATIC_DIR / "reports.css")
