"""Administrators' outbox page and the letter downloads."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("notifications", __name__)
