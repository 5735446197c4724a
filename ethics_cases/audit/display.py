"""Making events readable: who (user names resolved in one query), what (plain words)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import lru_cache
from typing import Any, NamedTuple

from markupsafe import Markup
from sqlalchemy import select

from ..extensions import db
from .models import AuditEvent
from .queries import DEFAULT_HISTORY_LIMIT, case_history

# Plain-words labels; domains add theirs with ``label_action`` at import time.
ACTION_LABELS: dict[str, str] = {
    "complaint.filed": "Complaint filed",
    "pledge.signed": "Signed the ethics pledge",
    "user.role_granted": "Role granted",
    "user.role_revoked": "Role revoked",
    "evidence.downloaded": "Evidence downloaded",
    "code_version.registered": "Code of Ethics version registered",
}


def label_action(action: str, label: str) -> None:
    ACTION_LABELS[action] = label


def action_label(action: str) -> str:
    """``case.transition.accept`` → "Case: transition accept" unless a label was registered."""
    if action in ACTION_LABELS:
        return ACTION_LABELS[action]
    head, *rest = action.replace("_", " ").split(".")
    return f"{head.capitalize()}: {' '.join(rest)}" if rest else head.capitalize()


def actor_names(events: Iterable[Any]) -> dict[str, str]:
    """Current names of the users among the events' actors, in ONE query."""
    from ..accounts.models import User

    ids = {int(e.actor_id) for e in events if e.actor_kind == "user" and e.actor_id.isdigit()}
    if not ids:
        return {}
    rows = db.session.execute(select(User.id, User.full_name).where(User.id.in_(ids)))
    return {str(row.id): row.full_name for row in rows}


def actor_label(event: Any, names: dict[str, str]) -> str:
    if event.actor_kind == "user":
        return names.get(event.actor_id, f"User #{event.actor_id} (removed)")
    return event.actor_label or event.actor_kind.capitalize()


def _show(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, list) and all(type(v) is int for v in value):
        # ids (e.g. outbox_ids): what json.dumps prints, without building an encoder per row
        return f"[{', '.join(map(str, value))}]"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def detail_lines(details: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """(field, value or before, after-or-None): changes read as "before → after"."""
    lines: list[tuple[str, str, str | None]] = []
    for key, value in sorted(details.items()):
        label = key.replace("_", " ")
        if isinstance(value, dict) and set(value) == {"before", "after"}:
            lines.append((label, _show(value["before"]), _show(value["after"])))
        elif key == "changes" and isinstance(value, dict):
            lines += [(k.replace("_", " "), _show(v.get("before")), _show(v.get("after")))
                      if isinstance(v, dict) else (k, _show(v), None)
                      for k, v in sorted(value.items())]
        else:
            lines.append((label, _show(value), None))
    return lines


class HistoryRow(NamedTuple):
    """One history line, every string computed once in Python: the template only prints."""

    iso: str  # for <time datetime="…">
    when: str  # "2026-11-23 14:05" (UTC)
    who: str
    what: str
    reason: str | None
    lines: list[tuple[str, str, str | None]]
    details: Markup  # ``lines`` as the component's <ul> (escaped here), or empty


_CHANGED_TO = ' <span aria-label="changed to">→</span> '


@lru_cache(maxsize=4096)
def _escape(text: str) -> str:
    """markupsafe's escaping (same entities), as plain str operations: a long history escapes
    thousands of short values, and building a Markup object for each was most of its cost.
    Field names and most values (states, audiences) repeat from row to row, hence the cache."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&#34;").replace("'", "&#39;"))


def details_html(lines: list[tuple[str, str, str | None]]) -> Markup:
    """The detail list of one event, escaped once here: the same markup as ``render_details``
    in ``audit/_history.html``, without a template loop per line (a long history has a
    thousand of them)."""
    if not lines:
        return Markup("")
    items = [f'<li><span class="muted">{_escape(field)}:</span> {_escape(value)}'
             + (f"{_CHANGED_TO}{_escape(after)}</li>" if after is not None else "</li>")
             for field, value, after in lines]
    html = f'<ul class="audit-details small">{"".join(items)}</ul>'
    return Markup(html)  # noqa: S704 (every text part went through _escape())


class _Prepared(NamedTuple):
    """A history line without the actor's name (names may change; events never do)."""

    iso: str
    when: str
    what: str
    reason: str | None
    lines: list[tuple[str, str, str | None]]
    details: Markup
    actor_kind: str
    actor_id: str
    actor_label: str | None


def _prepare(events: Iterable[Any]) -> tuple[_Prepared, ...]:
    labels: dict[str, str] = {}
    prepared = []
    for event in events:
        iso = event.created_at.isoformat()
        what = labels.get(event.action)
        if what is None:
            what = labels[event.action] = action_label(event.action)
        lines = detail_lines(event.details) if event.details else []
        prepared.append(_Prepared(iso, f"{iso[:10]} {iso[11:16]}", what, event.reason, lines,
                                  details_html(lines), event.actor_kind, event.actor_id,
                                  event.actor_label))
    return tuple(prepared)


def _named(prepared: Iterable[_Prepared]) -> list[HistoryRow]:
    """The lines with today's names of their actors (one query)."""
    prepared = list(prepared)
    names = actor_names(prepared)
    return [HistoryRow(p.iso, p.when, actor_label(p, names), p.what, p.reason, p.lines,
                       p.details) for p in prepared]


def history_rows(events: Iterable[Any]) -> list[HistoryRow]:
    """The rows of the history component (``audit/_history.html``): names in one query, labels
    and detail lines built here rather than by a template macro per row (200 rows through
    per-row macro calls and filters cost more than the rest of the case page). ``events`` are
    ``AuditEvent`` objects, rows of ``queries.DISPLAY_COLUMNS``, or rows this module already
    built (``case_history_rows``), which are returned as they are."""
    events = list(events)
    if events and isinstance(events[0], HistoryRow):
        return events
    return _named(_prepare(events))


@lru_cache(maxsize=64)
def _case_lines(case_ref: str, newest_hash: str, newest_seq: int,
                limit: int) -> tuple[_Prepared, ...]:
    events = case_history(case_ref, limit=limit, for_display=True)
    # Rows recorded after the newest event we keyed on (a concurrent commit) are not this
    # key's content: leave them to the next request, whose key will include them.
    return _prepare(e for e in events if e.seq <= newest_seq)


def case_history_rows(case_ref: str, *,
                      limit: int = DEFAULT_HISTORY_LIMIT) -> list[HistoryRow]:
    """A case's history rows for its page, newest first. The trail is append-only and
    hash-chained: the hash of the case's newest event commits to that event and to every event
    recorded before it, so the lines built for that hash stay right until the case gets a new
    event (a new newest hash, a new key). Kept per process for the 64 cases viewed last; one
    indexed single-row read per page decides. Actor names are looked up on every request, as
    they may change. (A database rewritten behind the triggers' back shows here until the
    entry is evicted; ``flask audit verify`` is what detects that.)"""
    newest = db.session.execute(
        select(AuditEvent.hash, AuditEvent.seq).where(AuditEvent.case_ref == case_ref)
        .order_by(AuditEvent.seq.desc()).limit(1)).first()
    if newest is None:
        return []
    return _named(_case_lines(case_ref, newest.hash, newest.seq, limit))
