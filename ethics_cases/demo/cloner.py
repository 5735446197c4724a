"""Scale a generated sample up: clone its case histories in bulk.

``flask demo generate`` first runs a sample of cases through the real operations
(``generator.Generator``). Going through every operation costs ~10-40 ms per step on this
machine, so 100,000 cases (~2 million audit events) that way would take hours. This module
makes the rest of the requested cases by copying the sample's histories, whole:

* each clone is one sample case with all its rows (the case, allegations, workflow row,
  messages, panel seats and votes, findings, sanctions, appeals, officers, outbox mails, letters
  and evidence rows, ...: every table with a ``case_id``), new ids, a new reference from the
  per-year counter, its respondent replaced by another member of the roll (all of one sample
  member's cases in one copy go to the same member, so a member's sanctions ladder stays as
  the guards built it) and every date shifted by whole days, so the clone's history stays
  inside the generated period;
* its audit events are the sample case's events with the same ids, reference, actor and dates
  remapped, then serialised and chained with the audit package's own functions
  (``AuditEvent.canonical_fields``, ``chain.canonical_json``, ``chain.chain_hash``) after the
  current head, under the same append lock as ``audit.record``; all clones' events are
  appended in the order of their new timestamps, so ``flask audit verify`` checks them like
  any other (their timestamps follow the sequence among themselves; the sample's events come
  first in the chain);
* rows are written with the tables' own ``INSERT`` statements, a few thousand rows per
  ``executemany`` and per transaction (first all clones' rows, then their events): the
  ``cases`` triggers (per-state counts) fire as for any insert. An interrupted run leaves the
  batches committed so far (cases whose events were not yet appended): start again from a
  fresh database.

What clones do not have: the guards were not re-run for them (they are copies of histories the
guards accepted), their follow-up keys are unknown (a hash of nothing anyone holds), and their
letter and evidence rows point at the sample's files through hard links when those exist.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import func, select, text
from sqlalchemy.engine import Connection

from ..audit.chain import GENESIS, canonical_json, chain_hash
from ..audit.models import AuditEvent
from ..audit.recorder import APPEND_LOCK_KEY
from ..extensions import db

# Tables whose rows are not copied with a case: a redaction names an audit seq of its own.
_NOT_CLONED = frozenset({"case_redactions"})
# What an audit subject id or a details key refers to (table names).
_SUBJECT_TABLES = {"case": "cases", "case_message": "case_messages", "message": "case_messages",
                   "evidence": "evidence", "case_letter": "case_letters",
                   "letter": "case_letters", "sanction": "sanctions", "appeal": "appeals",
                   "member": "members", "user": "users"}
_DETAIL_IDS = {"message_id": "case_messages", "in_reply_to_id": "case_messages",
               "seat_id": "panel_seats", "sanction_id": "sanctions", "appeal_id": "appeals",
               "replaces_id": "sanctions", "respondent_member_id": "members",
               "member_id": "members", "evidence_ids": "evidence", "evidence_id": "evidence",
               "outbox_ids": "outbox_messages", "letters": "case_letters",
               "investigator_user_id": "users", "investigator_id": "users", "user_id": "users",
               "panelist_id": "users", "allegation_id": "allegations",
               "objection_id": "panel_objections", "bundle_id": "hearing_bundles",
               "assignment_id": "case_officer_assignments", "stay_id": "case_stays"}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_REFERENCE = re.compile(r"^EC-(\d{4})-(\d+)$")


@dataclass
class CloneStats:
    cases: int = 0
    rows: int = 0
    events: int = 0
    accounts: int = 0
    per_table: dict[str, int] = field(default_factory=dict)


@dataclass
class _Source:
    """One sample case and everything copied with it."""

    case_id: int
    reference: str
    member_id: int | None
    rows: dict[str, list[dict[str, Any]]]
    local: dict[str, dict[int, int]]  # table -> old id -> position among this case's rows
    events: list[dict[str, Any]]
    first: datetime
    last: datetime


@dataclass
class _Clone:
    source: _Source
    case_id: int
    reference: str
    member_id: int | None
    delta: timedelta
    base: dict[str, int]  # table -> first new id of this clone's rows
    users: dict[int, int]


def _kind(column: sa.Column[Any]) -> str:
    column_type = getattr(column.type, "impl", column.type)
    if isinstance(column_type, sa.DateTime):
        return "datetime"
    if isinstance(column_type, sa.Date):
        return "date"
    if isinstance(column_type, sa.JSON):
        return "json"
    if isinstance(column_type, (sa.String, sa.Text)):
        return "text"
    return "other"


class Cloner:
    def __init__(self, *, sample_case_ids: list[int], count: int, seed: int, start: datetime,
                 end: datetime, member_ids: list[int], batch_rows: int = 5000,
                 progress: Callable[[int], None] | None = None,
                 event_progress: Callable[[int, int], None] | None = None) -> None:
        if not sample_case_ids:
            raise ValueError("cloning needs a sample of cases")
        self.sample_case_ids = sorted(sample_case_ids)
        self.count = count
        self.rng = random.Random(seed * 7919 + 17)  # noqa: S311 - reproducible data
        self.seed = seed
        self.start, self.end = start, end
        self.member_ids = member_ids
        self.batch_rows = batch_rows
        self.progress = progress or (lambda n: None)
        self.event_progress = event_progress or (lambda done, total: None)
        self.stats = CloneStats()
        self._inserts: dict[str, tuple[str, bool, list[tuple[str, Any]]]] = {}
        metadata = db.Model.metadata
        self.cases_table = metadata.tables["cases"]
        self.tables = [self.cases_table] + [
            table for table in metadata.sorted_tables
            if table.name not in _NOT_CLONED and "case_id" in table.c and table is not
            self.cases_table and any(fk.column.table is self.cases_table
                                     for fk in table.c.case_id.foreign_keys)]
        self.by_name = {table.name: table for table in self.tables}
        self.plans = {table.name: self._plan(table) for table in self.tables}

    # -- reading the sample ----------------------------------------------------------------

    def _plan(self, table: sa.Table) -> list[tuple[str, str, str | None]]:
        """(column, what to do, referenced table) for each column of ``table``."""
        plan = []
        for column in table.columns:
            target = next(iter(column.foreign_keys)).column.table.name \
                if column.foreign_keys else None
            if column.name == "id" and column.primary_key:
                plan.append((column.name, "id", table.name))
            elif target is not None:
                plan.append((column.name, "fk", target))
            elif table.name == "cases" and column.name == "reference":
                plan.append((column.name, "reference", None))
            elif column.name in ("stored_name", "token_hash", "followup_key_hash"):
                plan.append((column.name, "fresh", None))
            else:
                plan.append((column.name, _kind(column), None))
        return plan

    def _load(self, connection: Connection) -> list[_Source]:
        ids = self.sample_case_ids
        rows: dict[str, dict[int, list[dict[str, Any]]]] = {t.name: {} for t in self.tables}
        for table in self.tables:
            key = table.c.id if table is self.cases_table else table.c.case_id
            order = list(table.primary_key.columns)
            for first in range(0, len(ids), 500):
                chunk = ids[first:first + 500]
                for row in connection.execute(select(table).where(key.in_(chunk))
                                              .order_by(*order)).mappings():
                    case_id = row["id"] if table is self.cases_table else row["case_id"]
                    rows[table.name].setdefault(case_id, []).append(dict(row))
        references = {case_id: found[0]["reference"]
                      for case_id, found in rows["cases"].items()}
        by_reference: dict[str, list[dict[str, Any]]] = {}
        audit = AuditEvent.__table__
        refs = list(references.values())
        for first in range(0, len(refs), 500):
            for row in connection.execute(select(audit).where(
                    audit.c.case_ref.in_(refs[first:first + 500])).order_by(audit.c.seq)) \
                    .mappings():
                by_reference.setdefault(row["case_ref"], []).append(dict(row))
        sources = []
        for case_id in ids:
            case_rows = {name: found.get(case_id, []) for name, found in rows.items()}
            case = case_rows["cases"][0]
            local = {name: {row["id"]: position for position, row in enumerate(found)}
                     for name, found in case_rows.items() if found and "id" in found[0]}
            events = by_reference.get(case["reference"], [])
            moments = [case["submitted_at"], *(event["created_at"] for event in events)]
            sources.append(_Source(case_id, case["reference"], case["respondent_member_id"],
                                   case_rows, local, events, min(moments), max(moments)))
        return sources

    # -- the clones ------------------------------------------------------------------------

    def run(self) -> CloneStats:
        engine = db.engine
        with engine.connect() as connection:
            sources = self._load(connection)
            connection.commit()
            clones = self._clone_rows(connection, sources)  # commits every batch of rows
            self._append_events(connection, clones)  # a transaction per batch of events
        if engine.dialect.name == "postgresql":
            with engine.begin() as connection:
                for table in [*self.tables, db.Model.metadata.tables["users"],
                              db.Model.metadata.tables["user_roles"]]:
                    if "id" in table.c and table.c.id.primary_key:
                        connection.execute(select(func.setval(
                            func.pg_get_serial_sequence(table.name, "id"),
                            select(func.coalesce(func.max(table.c.id), 1)).scalar_subquery())))
        return self.stats

    def _next_ids(self, connection: Connection) -> dict[str, int]:
        tables = [*self.tables, db.Model.metadata.tables["users"],
                  db.Model.metadata.tables["user_roles"]]
        return {table.name: (connection.scalar(select(func.max(table.c.id))) or 0) + 1
                for table in tables if "id" in table.c and table.c.id.primary_key}

    def _reference_counters(self, connection: Connection) -> dict[int, int]:
        counters: dict[int, int] = {}
        for reference in connection.scalars(select(self.cases_table.c.reference)):
            match = _REFERENCE.match(reference)
            if match:
                year, number = int(match[1]), int(match[2])
                counters[year] = max(counters.get(year, 0), number)
        return counters

    def _clone_rows(self, connection: Connection, sources: list[_Source]) -> list[_Clone]:
        next_id = self._next_ids(connection)
        counters = self._reference_counters(connection)
        members = db.Model.metadata.tables["members"]
        users = db.Model.metadata.tables["users"]
        roles = db.Model.metadata.tables["user_roles"]
        member_rows = {row["id"]: dict(row) for row in connection.execute(
            select(members)).mappings()}
        respondents = {source.member_id for source in sources} - {None}
        fresh = [m for m in self.member_ids if m not in respondents]
        again = [m for m in self.member_ids if m in respondents]
        self.rng.shuffle(fresh)
        self.rng.shuffle(again)
        targets = fresh + again
        target_position = 0
        source_users = {row["id"]: dict(row) for row in connection.execute(select(users).where(
            users.c.id.in_([member_rows[m]["user_id"] for m in respondents
                            if member_rows[m]["user_id"]] or [-1]))).mappings()}
        account_of = {m: member_rows[m]["user_id"] for m in respondents}  # before any change
        source_roles: dict[int, list[dict[str, Any]]] = {}
        for row in connection.execute(select(roles).where(
                roles.c.user_id.in_(list(source_users) or [-1]))).mappings():
            source_roles.setdefault(row["user_id"], []).append(dict(row))
        # a sample member's cases, over all of them: one copy moves them together
        span: dict[int | None, tuple[datetime, datetime]] = {}
        for source in sources:
            low, high = span.get(source.member_id, (source.first, source.last))
            span[source.member_id] = (min(low, source.first), max(high, source.last))

        buffers: dict[str, list[dict[str, Any]]] = {t.name: [] for t in self.tables}
        account_rows: list[dict[str, Any]] = []
        role_rows: list[dict[str, Any]] = []
        member_updates: dict[int, dict[str, Any]] = {}
        clones: list[_Clone] = []
        groups: dict[tuple[int, int | None], tuple[int | None, timedelta, dict[int, int]]] = {}
        order = list(range(len(sources)))
        copy = -1
        for index in range(self.count):
            if index % len(sources) == 0:
                copy += 1
                self.rng.shuffle(order)
            source = sources[order[index % len(sources)]]
            group = groups.get((copy, source.member_id))
            if group is None:
                target = None
                user_map: dict[int, int] = {}
                if source.member_id is not None:
                    target = targets[target_position % len(targets)]
                    target_position += 1
                    source_user = account_of[source.member_id]
                    if source_user:
                        user_map = {source_user: self._account_for(
                            target, member_rows, source_users[source_user],
                            source_roles, next_id, account_rows, role_rows, member_updates)}
                low, high = span[source.member_id]
                earliest = (self.start - low).days + 1
                latest = (self.end - high).days - 1
                days = self.rng.randint(earliest, latest) if earliest <= latest else 0
                group = (target, timedelta(days=days), user_map)
                groups[(copy, source.member_id)] = group
                if target is not None and member_rows[source.member_id]["ended_on"]:
                    update = member_updates.setdefault(target, {})
                    update.update(ended_on=member_rows[source.member_id]["ended_on"]
                                  + timedelta(days=days), credentials="")
            target, delta, user_map = group
            case = source.rows["cases"][0]
            year = (case["submitted_at"] + delta).year
            counters[year] = counters.get(year, 0) + 1
            base = {}
            for name, found in source.rows.items():
                if name in next_id:
                    base[name] = next_id[name]
                    next_id[name] += len(found)
            clone = _Clone(source, base["cases"], f"EC-{year}-{counters[year]:04d}", target,
                           delta, base, user_map)
            clones.append(clone)
            for name, found in source.rows.items():
                plan = self.plans[name]
                for row in found:
                    buffers[name].append(self._copy_row(row, plan, clone))
            self.stats.cases += 1
            if sum(len(found) for found in buffers.values()) >= self.batch_rows:
                self._flush(connection, buffers, account_rows, role_rows)
            self.progress(1)
        self._flush(connection, buffers, account_rows, role_rows)
        for member_id, values in member_updates.items():
            connection.execute(members.update().where(members.c.id == member_id)
                               .values(**values))
        self._save_counters(connection, counters)
        connection.commit()
        return clones

    def _account_for(self, target: int, member_rows: dict[int, dict[str, Any]],
                     source_user: dict[str, Any], source_roles: dict[int, list[dict[str, Any]]],
                     next_id: dict[str, int], account_rows: list[dict[str, Any]],
                     role_rows: list[dict[str, Any]],
                     member_updates: dict[int, dict[str, Any]]) -> int:
        """The target member's account (made like the sample respondent's if it has none)."""
        member = member_rows[target]
        if member["user_id"]:
            return int(member["user_id"])
        user_id = next_id["users"]
        next_id["users"] += 1
        account_rows.append({**source_user, "id": user_id, "full_name": member["full_name"],
                             "email": member["email"] or f"member-{target}@demo.example.org",
                             "last_login_at": None})
        for role in source_roles.get(source_user["id"], []):
            role_rows.append({**role, "id": next_id["user_roles"], "user_id": user_id})
            next_id["user_roles"] += 1
        member["user_id"] = user_id
        member_updates.setdefault(target, {})["user_id"] = user_id
        self.stats.accounts += 1
        return user_id

    def _copy_row(self, row: dict[str, Any], plan: list[tuple[str, str, str | None]],
                  clone: _Clone) -> dict[str, Any]:
        source = clone.source
        out = {}
        for column, what, target in plan:
            value = row[column]
            if value is None:
                out[column] = None
            elif what == "id":
                out[column] = clone.base[target] + source.local[target][value]  # type: ignore[index]
            elif what == "fk":
                out[column] = self._map_id(clone, target, value)  # type: ignore[arg-type]
            elif what == "datetime":
                out[column] = value + clone.delta
            elif what == "date":
                out[column] = value + timedelta(days=clone.delta.days)
            elif what == "reference":
                out[column] = clone.reference
            elif what == "fresh":
                out[column] = hashlib.sha256(
                    f"demo clone {self.seed} {clone.case_id} {column} {value}".encode()
                ).hexdigest()[:len(value)] if column != "stored_name" else \
                    self._link_file(value, clone, row)
            elif what == "text" and source.reference in value:
                out[column] = self._rereference(value, clone)
            elif what == "json":
                out[column] = self._details(value, clone)
            else:
                out[column] = value
        return out

    def _map_id(self, clone: _Clone, table: str, value: int) -> int:
        if table == "cases":
            return clone.case_id if value == clone.source.case_id else value
        if table == "members":
            return clone.member_id if value == clone.source.member_id and \
                clone.member_id is not None else value
        if table == "users":
            return clone.users.get(value, value)
        local = clone.source.local.get(table)
        if local is not None and value in local:
            return clone.base[table] + local[value]
        return value  # a row outside this case (e.g. a sanction it replaces): kept

    def _rereference(self, value: str, clone: _Clone) -> str:
        return re.sub(re.escape(clone.source.reference) + r"(?!\d)", clone.reference, value)

    def _link_file(self, stored_name: str, clone: _Clone, row: dict[str, Any]) -> str:
        """A new stored name; the sample's file, if any, is hard-linked to it."""
        new_name = hashlib.sha256(f"demo clone {self.seed} {clone.case_id} {row.get('id')}"
                                  .encode()).hexdigest()[:32] + Path(stored_name).suffix
        for folder in (Path(current_app.config.get("UPLOAD_FOLDER") or "") / "evidence",
                       Path(current_app.config.get("LETTERS_FOLDER")
                            or os.path.join(current_app.instance_path, "letters"))):
            original = folder / stored_name
            if original.is_file():
                with contextlib.suppress(OSError):
                    os.link(original, folder / new_name)
        return new_name

    def _insert(self, connection: Connection, table: sa.Table,
                rows: list[dict[str, Any]]) -> None:
        """``connection.execute(table.insert(), rows)``, with the types' own bind processors
        applied here in one loop and the rows handed to the driver's ``executemany``: the
        same SQL and the same stored values, without SQLAlchemy's per-row parameter
        bookkeeping (which is most of a Core bulk insert's time in Python)."""
        prepared = self._inserts.get(table.name)
        if prepared is None:
            compiled = table.insert().compile(dialect=connection.dialect)
            names = list(compiled.positiontup) if compiled.positional else \
                list(compiled.binds)
            dialect = connection.dialect
            processors = [(name, table.c[name].type.dialect_impl(dialect).bind_processor(
                dialect)) for name in names]
            prepared = self._inserts[table.name] = (str(compiled), compiled.positional,
                                                    processors)
        statement, positional, processors = prepared
        if connection.dialect.name == "postgresql":
            self._insert_values(connection, table, rows, processors)
            return
        if positional:
            parameters: list[Any] = [
                tuple(row[name] if process is None or row[name] is None else
                      process(row[name]) for name, process in processors) for row in rows]
        else:
            parameters = [
                {name: (row[name] if process is None or row[name] is None else
                        process(row[name])) for name, process in processors} for row in rows]
        connection.exec_driver_sql(statement, parameters)

    def _insert_values(self, connection: Connection, table: sa.Table,
                       rows: list[dict[str, Any]],
                       processors: list[tuple[str, Any]]) -> None:
        """PostgreSQL: ``COPY ... FROM STDIN`` on the session's own driver connection (same
        transaction). COPY fires row triggers like INSERT does (the per-state counts stay
        right), and it is several times faster than one statement per row."""
        names = [name for name, _process in processors]
        preparer = connection.dialect.identifier_preparer
        columns = ", ".join(preparer.quote(name) for name in names)
        if not connection.in_transaction():  # so that connection.commit() commits the COPY
            connection.begin()
        driver = connection.connection.driver_connection
        with driver.cursor() as cursor, cursor.copy(  # type: ignore[union-attr]
                f"COPY {preparer.quote(table.name)} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[name] if process is None or row[name] is None else
                                process(row[name]) for name, process in processors])

    def _flush(self, connection: Connection, buffers: dict[str, list[dict[str, Any]]],
               account_rows: list[dict[str, Any]], role_rows: list[dict[str, Any]]) -> None:
        metadata = db.Model.metadata
        if account_rows:
            self._insert(connection, metadata.tables["users"], account_rows)
            account_rows.clear()
        if role_rows:
            self._insert(connection, metadata.tables["user_roles"], role_rows)
            role_rows.clear()
        for table in self.tables:  # in foreign key order
            found = buffers[table.name]
            if found:
                self._insert(connection, table, found)
                self.stats.rows += len(found)
                self.stats.per_table[table.name] = \
                    self.stats.per_table.get(table.name, 0) + len(found)
                found.clear()
        # Committed batch by batch: the per-state count rows that the triggers on `cases`
        # update for every inserted case would otherwise pile up row versions in one
        # transaction on PostgreSQL (each update then walks a longer chain: quadratic).
        connection.commit()

    def _save_counters(self, connection: Connection, counters: dict[int, int]) -> None:
        table = db.Model.metadata.tables["case_reference_counters"]
        existing = set(connection.scalars(select(table.c.year)))
        for year, number in counters.items():
            if year in existing:
                connection.execute(table.update().where(table.c.year == year)
                                   .values(last_number=number))
            else:
                connection.execute(table.insert().values(year=year, last_number=number))

    # -- the audit events ------------------------------------------------------------------

    def _append_events(self, connection: Connection, clones: list[_Clone]) -> None:
        """All clones' events in the order of their new timestamps, chained after the head.
        One transaction per batch, each under the append lock (as ``audit.record``): the head
        is read again in each, so the chain stays linear whoever else appends meanwhile."""
        order = sorted(
            ((event["created_at"] + clone.delta, index, position)
             for index, clone in enumerate(clones)
             for position, event in enumerate(clone.source.events)),
            key=lambda item: (item[0], item[1], item[2]))
        audit = AuditEvent.__table__
        for first in range(0, len(order), self.batch_rows):
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                   {"key": APPEND_LOCK_KEY})
            head = connection.execute(select(audit.c.seq, audit.c.hash)
                                      .order_by(audit.c.seq.desc()).limit(1)).first()
            seq, prev_hash = (head.seq, head.hash) if head else (0, GENESIS)
            batch: list[dict[str, Any]] = []
            for moment, index, position in order[first:first + self.batch_rows]:
                clone = clones[index]
                event = self._event(clone.source.events[position], clone, moment)
                seq += 1
                event["seq"] = seq
                event["prev_hash"] = prev_hash
                event["canonical"] = canonical_json(
                    AuditEvent.canonical_fields(SimpleNamespace(**event)))  # type: ignore[arg-type]
                event["hash"] = prev_hash = chain_hash(prev_hash, event["canonical"])
                batch.append(event)
            self._insert(connection, audit, batch)
            connection.commit()
            self.event_progress(len(batch), len(order))
        self.stats.events = len(order)

    def _event(self, source: dict[str, Any], clone: _Clone, moment: datetime) -> dict[str, Any]:
        event = dict(source)
        event["created_at"] = moment
        event["case_ref"] = clone.reference
        table = _SUBJECT_TABLES.get(event["subject_kind"])
        if table is not None and str(event["subject_id"]).isdigit():
            event["subject_id"] = str(self._map_id(clone, table, int(event["subject_id"])))
        if event["actor_kind"] == "user" and str(event["actor_id"]).isdigit():
            event["actor_id"] = str(clone.users.get(int(event["actor_id"]),
                                                    int(event["actor_id"])))
        elif event["actor_id"] == clone.source.reference:
            event["actor_id"] = clone.reference
        if event["reason"] and clone.source.reference in event["reason"]:
            event["reason"] = self._rereference(event["reason"], clone)
        event["details"] = self._details(event["details"] or {}, clone)
        return event

    def _details(self, value: Any, clone: _Clone, key: str | None = None) -> Any:
        """Ids, dates and the reference in an event's details, as they are in the clone."""
        table = _DETAIL_IDS.get(key or "")
        if isinstance(value, dict):
            if key == "letters" or table is not None:
                return {k: (self._map_id(clone, "case_letters" if key == "letters" else table,
                                         v) if k == "id" and isinstance(v, int) else v)
                        for k, v in value.items()}
            if key == "votes":  # keyed by clause id
                return value
            return {k: self._details(v, clone, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self._details(item, clone, key) for item in value]
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and table is not None:
            return self._map_id(clone, table, value)
        if isinstance(value, str):
            if _ISO_DATE.match(value) and key not in ("code_version", "authority_reference"):
                return _shift_iso(value, clone.delta)
            if clone.source.reference in value:
                return self._rereference(value, clone)
        return value


def _shift_iso(value: str, delta: timedelta) -> str:
    """An ISO date or datetime string moved by ``delta``, in the same format."""
    try:
        if len(value) == 10:
            return (date.fromisoformat(value) + delta).isoformat()
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    shifted = (moment + delta).isoformat()
    return shifted.replace("+00:00", "Z") if value.endswith("Z") else shifted
