"""Absolute links that leave the site (emails, letters, certificates): one way to build them.

Such a link must not be built from the request's Host header, which the client controls: a
forged Host would put another site's address around a password-reset or sign-in token that
is then emailed to the real owner (host-header poisoning). ``PUBLIC_BASE_URL``, which
production requires, decides. In development without it, the request's own address is used,
and outside a request (the scheduler, the CLI) ``http://localhost:5000``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, has_request_context, url_for

DEVELOPMENT_BASE_URL = "http://localhost:5000"


def public_base_problem(base: str) -> str | None:
    """Why ``base`` cannot be the site's public address, or None if it can."""
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "it must be an absolute http(s) address such as https://ethics.example.org"
    if parts.query or parts.fragment:
        return "it must not carry a query or a fragment"
    return None


def external_url(endpoint: str, **values: Any) -> str:
    """The absolute URL of ``endpoint``, for a link read outside this request."""
    base = str(current_app.config.get("PUBLIC_BASE_URL") or "")
    if not base and has_request_context():
        return url_for(endpoint, _external=True, **values)
    parts = urlsplit(base or DEVELOPMENT_BASE_URL)
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/",
                                       url_scheme=parts.scheme)
    return adapter.build(endpoint, values, force_external=True)
