"""The public register's page and JSON endpoint (both public, both rate-limited)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, render_template, request

from ..assets import asset_response, asset_url
from ..extensions import limiter
from ..security import public
from .queries import Policy, search

bp = Blueprint("register", __name__, url_prefix="/public-register")

STATIC_DIR = Path(__file__).resolve().parent / "static"


def _rate_limit() -> str:
    return str(current_app.config.get("REGISTER_RATE_LIMIT") or "30 per minute;300 per hour")


# One budget shared by the page and the API: switching endpoints does not double it.
_limit = limiter.shared_limit(_rate_limit, scope="public-register")


@bp.route("")
@public
@_limit
def index() -> str:
    query = request.args.get("q")
    result = search(query) if query is not None else None
    policy = Policy.from_config()
    return render_template("register/index.html", result=result, policy=policy,
                           published=policy.published_sanction_names())


@bp.route("/api/members")
@public
@_limit
def api() -> tuple[Response, int]:
    """``GET /public-register/api/members?q=...``: the same search as the page, as JSON."""
    result = search(request.args.get("q"))
    policy = Policy.from_config()
    body = {
        "query": result.query,
        "results": [entry.as_dict() for entry in result.entries],
        "count": len(result.entries),
        "too_many": result.too_many,
        "message": result.message,
        "published_sanctions": policy.published_sanction_names(),
    }
    if result.too_short:
        return jsonify(error=result.message, **body), 400
    return jsonify(body), 200


@bp.route("/assets/register.css")
@public
def stylesheet() -> Response:
    return asset_response(STATIC_DIR / "register.css")


@bp.app_template_global()
def register_stylesheet_url() -> str:
    return asset_url("register.stylesheet", STATIC_DIR / "register.css")
