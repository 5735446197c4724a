"""Walking the complaint wizard through the test client, as a browser without JavaScript."""

from __future__ import annotations

import io
from typing import Any

from flask.testing import FlaskClient

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
       b"\x00\x00\x00\x00IEND\xaeB`\x82")

GOOD_STEPS: dict[str, dict[str, Any]] = {
    "about": {"name": "Alex Example", "email": "alex@example.org", "phone": "",
              "relationship": "client"},
    "events": {"narrative": "The mentor shared details of our sessions with my employer "
                            "without asking me first.",
               "conduct_start": "2026-02-01", "conduct_end": "2026-03-15", "location": "Online"},
    "clauses": {"clause_ids": ["MPP-B.1", "MPP-B.2"]},
    "outcome": {"outcome_sought": "An apology, and that it does not happen to anyone else."},
    "consent": {"consent": "y"},
}


def post_step(client: FlaskClient, name: str, data: dict[str, Any], **kwargs: Any):  # type: ignore[no-untyped-def]
    payload = {"action": "next", **data}
    return client.post(f"/complaint/step/{name}", data=payload, **kwargs)


def upload(content: bytes, filename: str) -> tuple[io.BytesIO, str]:
    return io.BytesIO(content), filename


def fill_wizard(client: FlaskClient, member_number: str | None, *, files: list | None = None,
                overrides: dict[str, dict[str, Any]] | None = None) -> None:
    """Complete every step (not the submit)."""
    steps = {name: dict(values) for name, values in GOOD_STEPS.items()}
    for name, values in (overrides or {}).items():
        steps[name].update(values)
    respondent = ({"member_id": member_number} if member_number
                  else {"description": "A mentor called Robin who works in Leeds"})
    for name in ("about", "respondent", "events", "clauses", "outcome", "consent"):
        data = respondent if name == "respondent" else dict(steps[name])
        if name == "outcome" and files:
            data["files"] = [upload(content, filename) for content, filename in files]
        response = post_step(client, name, data, content_type="multipart/form-data")
        assert response.status_code == 302, (name, response.get_data(as_text=True)[:2000])
