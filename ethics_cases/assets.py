"""Domain stylesheets and scripts, served by their own blueprint's routes.

A blueprint's built-in static route would carry no access rule, and the fail-closed check in
``security.py`` refuses such views; so each domain declares an asset route (with its access rule)
and answers it here. Files are read once per process, URLs carry the content hash so browsers may
keep them for a day, and an ETag turns revalidation into a 304.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from flask import Response, request, url_for

_MIMETYPES = {".css": "text/css", ".js": "text/javascript"}


@functools.cache
def _read(path: Path) -> tuple[bytes, str]:
    data = path.read_bytes()
    return data, hashlib.sha256(data).hexdigest()[:16]


def asset_response(path: Path) -> Response:
    """The file at ``path``, cacheable by content hash."""
    data, version = _read(path)
    response = Response(data, mimetype=_MIMETYPES.get(path.suffix, "application/octet-stream"))
    response.set_etag(version)
    response.cache_control.public = True
    response.cache_control.max_age = 86400 if request.args.get("v") == version else 300
    return response.make_conditional(request)


def asset_url(endpoint: str, path: Path) -> str:
    """The URL of ``endpoint`` (a route answering with ``asset_response(path)``), versioned."""
    return url_for(endpoint, v=_read(path)[1])
