from __future__ import annotations

from flask import Blueprint, render_template

from ..security import public

bp = Blueprint("main", __name__)


@bp.route("/")
@public
def home():
    return render_template("main/home.html")
