"""The public register's page and JSON endpoint (both public, both rate-limited)."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for

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
    data, version = _stylesheet()
    response = Response(data, mimetype="text/css")
    response.set_etag(version)
    response.cache_control.public = True
    response.cache_control.max_age = 86400 if request.args.get("v") == version else 300
    return response.make_conditional(request)


@functools.cache
def _stylesheet() -> tuple[bytes, str]:
    data = (STATIC_DIR / "register.css").read_bytes()
    return data, hashlib.sha256(data).hexdigest()[:16]


@bp.app_template_global()
def register_stylesheet_url() -> str:
    return url_for("register.stylesheet", v=_stylesheet()[1])
