"""Load ``code_of_ethics.yaml`` into a :class:`Code`, or say exactly why not.

The file is edited by people, and a mistake must not reach members as a silently different Code.
So it is read as a YAML *node* tree (which remembers line numbers) and checked key by key: every
problem is reported as ``<file>:<line>: <problem>``. Parsing is cached per (path, mtime, size),
so creating many apps (tests, workers) parses the file once.
"""

from __future__ import annotations

import os
import re
import threading
from datetime import date, datetime
from pathlib import Path
from typing import NoReturn, TypeVar

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .model import (
    COMPLIANCE_MODES,
    REQUIRABLE_DETAILS,
    STANDING_EFFECTS,
    Clause,
    Code,
    Definition,
    Part,
    Pledge,
    Sanction,
    SanctionRules,
    Section,
    TextBlock,
)

T = TypeVar("T")

_PART_ID = re.compile(r"[A-Z]{2,6}")
_SECTION_LETTER = re.compile(r"[A-Z]")
_SANCTION_KEY = re.compile(r"[a-z][a-z0-9_]*")
_BOOLEAN_RULES = (
    "agreement_eligible",
    "check_ins",
    "non_compliance_escalates",
    "ends_membership",
    "ends_credentials",
)
RULE_KEYS: frozenset[str] = frozenset(
    {"standing", "max_per_member", "escalate_to", "requires", "compliance", *_BOOLEAN_RULES}
)


class CodeFileError(ValueError):
    """The Code file cannot be used; ``str(error)`` is ``"<path>:<line>: <problem>"``."""

    def __init__(self, path: str, line: int | None, problem: str) -> None:
        self.path = path
        self.line = line
        self.problem = problem
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {problem}")


# -- public API ---------------------------------------------------------------------------

_cache: dict[str, tuple[tuple[int, int], Code]] = {}
_cache_lock = threading.Lock()


def load_code(path: str | os.PathLike[str]) -> Code:
    """The Code in the file at ``path``; raises :class:`CodeFileError` if the file is bad."""
    shown = str(path)
    try:
        stat = os.stat(path)
    except OSError as error:
        raise CodeFileError(shown, None, f"cannot read the Code file: {error.strerror}") from None
    cache_key = str(Path(path).resolve())
    stamp = (stat.st_mtime_ns, stat.st_size)
    with _cache_lock:
        cached = _cache.get(cache_key)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise CodeFileError(shown, None, f"the file is not UTF-8 text ({error.reason})") from None
    except OSError as error:
        raise CodeFileError(shown, None, f"cannot read the Code file: {error.strerror}") from None
    code = parse_code(text, shown)
    with _cache_lock:
        _cache[cache_key] = (stamp, code)
    return code


def parse_code(text: str, path: str = "<string>") -> Code:
    """The Code in ``text`` (``path`` only names it in error messages)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = " ".join(p for p in (error.context, error.problem) if p)
        raise CodeFileError(path, line, f"YAML syntax error: {problem}") from None
    except yaml.YAMLError as error:
        raise CodeFileError(path, None, f"YAML syntax error: {error}") from None
    if root is None:
        raise CodeFileError(path, 1, "the file is empty; expected the Code as a mapping")
    code = _CodeReader(path).read(root)
    _warm(code)
    return code


def _warm(code: Code) -> None:
    """Build the look-up tables now, once, rather than racing to build them on first request."""
    _ = (code.clauses, code._clauses_by_id, code._clause_positions, code._sections_by_id)
    _ = (code._parts_by_id, code._sanctions_by_key, code._search_index, code.fingerprint)


# -- reading the node tree ------------------------------------------------------------------


def _line(node: Node) -> int:
    return node.start_mark.line + 1


def _kind(value: object) -> str:
    if value is None:
        return "nothing"
    return {
        bool: "true/false",
        int: "a number",
        float: "a number",
        str: "text",
        date: "a date",
        datetime: "a date and time",
        list: "a list",
        dict: "a mapping",
    }.get(type(value), type(value).__name__)


class _CodeReader:
    def __init__(self, path: str) -> None:
        self.path = path
        self._constructor = SafeConstructor()

    def fail(self, node: Node, problem: str) -> NoReturn:
        raise CodeFileError(self.path, _line(node), problem)

    # -- primitives --

    def mapping(
        self,
        node: Node,
        what: str,
        required: tuple[str, ...],
        optional: tuple[str, ...] = (),
        key_noun: str = "key",
    ) -> dict[str, Node]:
        if not isinstance(node, MappingNode):
            self.fail(node, f"{what} must be a mapping of keys, found {self._describe(node)}")
        allowed = (*required, *optional)
        found: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = self._scalar(key_node)
            if not isinstance(key, str):
                self.fail(key_node, f"{key_noun}s in {what} must be words, found {key!r}")
            if key in found:
                self.fail(key_node, f"duplicate {key_noun} '{key}' in {what}")
            if key not in allowed:
                self.fail(
                    key_node,
                    f"unknown {key_noun} '{key}' in {what} (allowed: {', '.join(allowed)})",
                )
            found[key] = value_node
        for key in required:
            if key not in found:
                self.fail(node, f"missing key '{key}' in {what}")
        return found

    def sequence(self, node: Node, what: str) -> list[Node]:
        if not isinstance(node, SequenceNode):
            self.fail(node, f"{what} must be a list, found {self._describe(node)}")
        if not node.value:
            self.fail(node, f"{what} must not be empty")
        return list(node.value)

    def text(self, node: Node, what: str) -> str:
        value = self._scalar(node) if isinstance(node, ScalarNode) else self._not_scalar(node, what)
        if value is None:
            self.fail(node, f"empty text in {what}")
        if not isinstance(value, str):
            self.fail(
                node,
                f"wrong type for {what}: expected text, found {_kind(value)}"
                + (" (quote it)" if isinstance(value, int | float | bool | date) else ""),
            )
        value = value.strip()
        if not value:
            self.fail(node, f"empty text in {what}")
        return value

    def paragraphs(self, node: Node, what: str) -> tuple[str, ...]:
        items = self.sequence(node, what)
        return tuple(self.text(item, f"paragraph {n} of {what}") for n, item in enumerate(items, 1))

    def boolean(self, node: Node, what: str) -> bool:
        return self._typed(node, what, bool, "true or false")

    def integer(self, node: Node, what: str) -> int:
        value = self._typed(node, what, int, "a whole number")
        if isinstance(value, bool):
            self.fail(node, f"wrong type for {what}: expected a whole number, found true/false")
        return value

    def a_date(self, node: Node, what: str) -> date:
        value = self._scalar(node) if isinstance(node, ScalarNode) else self._not_scalar(node, what)
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                self.fail(node, f"wrong type for {what}: expected a date like 2024-01-01")
        if isinstance(value, datetime) or not isinstance(value, date):
            self.fail(
                node,
                f"wrong type for {what}: expected a date like 2024-01-01, found {_kind(value)}",
            )
        return value

    def _typed(self, node: Node, what: str, kind: type[T], expected: str) -> T:
        value = self._scalar(node) if isinstance(node, ScalarNode) else self._not_scalar(node, what)
        if not isinstance(value, kind):
            self.fail(node, f"wrong type for {what}: expected {expected}, found {_kind(value)}")
        return value

    def _scalar(self, node: Node) -> object:
        if not isinstance(node, ScalarNode):
            return None if node is None else {MappingNode: {}, SequenceNode: []}[type(node)]
        try:
            return self._constructor.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as error:
            self.fail(node, f"unreadable value: {error.problem}")

    def _not_scalar(self, node: Node, what: str) -> NoReturn:
        self.fail(
            node, f"wrong type for {what}: expected a single value, found {self._describe(node)}"
        )

    def _describe(self, node: Node) -> str:
        if isinstance(node, MappingNode):
            return "a mapping"
        if isinstance(node, SequenceNode):
            return "a list"
        return _kind(self._scalar(node))

    # -- the Code --

    def read(self, root: Node) -> Code:
        top = self.mapping(
            root,
            "the Code file",
            required=(
                "metadata",
                "preamble",
                "target_audience",
                "definitions",
                "values",
                "parts",
                "closing",
                "sanctions",
                "pledge",
            ),
        )
        meta = self.mapping(
            top["metadata"], "metadata", ("title", "issuing_body", "version", "effective_date")
        )
        sanctions_node = self.mapping(
            top["sanctions"], "sanctions", ("heading", "ladder"), ("heading_supplied",)
        )
        pledge = self.block(top["pledge"], "the pledge")
        return Code(
            title=self.text(meta["title"], "metadata title"),
            issuing_body=self.text(meta["issuing_body"], "metadata issuing_body"),
            version=self.text(meta["version"], "metadata version"),
            effective_date=self.a_date(meta["effective_date"], "metadata effective_date"),
            preamble=self.paragraphs(top["preamble"], "the preamble"),
            target_audience=self.block(top["target_audience"], "target_audience"),
            definitions=self.definitions(top["definitions"]),
            values=self.block(top["values"], "values"),
            parts=self.parts(top["parts"]),
            closing=self.block(top["closing"], "closing"),
            sanctions_heading=self.text(sanctions_node["heading"], "sanctions heading"),
            sanctions_heading_supplied=self.flag(sanctions_node, "heading_supplied", "sanctions"),
            sanctions=self.sanctions(sanctions_node["ladder"]),
            pledge=Pledge(pledge.heading, pledge.paragraphs, pledge.heading_supplied),
            source_path=self.path,
        )

    def flag(self, found: dict[str, Node], key: str, what: str) -> bool:
        return self.boolean(found[key], f"{key} of {what}") if key in found else False

    def block(self, node: Node, what: str) -> TextBlock:
        found = self.mapping(node, what, ("heading", "paragraphs"), ("heading_supplied",))
        return TextBlock(
            heading=self.text(found["heading"], f"heading of {what}"),
            paragraphs=self.paragraphs(found["paragraphs"], what),
            heading_supplied=self.flag(found, "heading_supplied", what),
        )

    def definitions(self, node: Node) -> tuple[Definition, ...]:
        result: list[Definition] = []
        first_line: dict[str, int] = {}
        for n, item in enumerate(self.sequence(node, "definitions"), 1):
            found = self.mapping(
                item, f"definition {n}", ("headword", "text"), ("headword_supplied",)
            )
            headword = self.text(found["headword"], f"headword of definition {n}")
            folded = headword.casefold()
            if folded in first_line:
                self.fail(
                    found["headword"],
                    f"duplicate definition '{headword}' "
                    f"(first defined on line {first_line[folded]})",
                )
            first_line[folded] = _line(found["headword"])
            result.append(
                Definition(
                    headword=headword,
                    text=self.text(found["text"], f"definition '{headword}'"),
                    headword_supplied=self.boolean(
                        found["headword_supplied"], f"headword_supplied of definition '{headword}'"
                    )
                    if "headword_supplied" in found
                    else False,
                )
            )
        return tuple(result)

    def parts(self, node: Node) -> tuple[Part, ...]:
        parts: list[Part] = []
        ids_seen: dict[str, int] = {}
        for n, item in enumerate(self.sequence(node, "parts"), 1):
            found = self.mapping(
                item, f"part {n}", ("id", "heading", "sections"), ("heading_supplied", "intro")
            )
            part_id = self.text(found["id"], f"id of part {n}")
            if not _PART_ID.fullmatch(part_id):
                self.fail(found["id"], f"part id '{part_id}' must be 2 to 6 capital letters")
            self._unique(ids_seen, part_id, found["id"], "part id")
            what = f"part {part_id}"
            sections = tuple(
                self.section(section_node, part_id, ids_seen)
                for section_node in self.sequence(found["sections"], f"sections of {what}")
            )
            parts.append(
                Part(
                    id=part_id,
                    heading=self.text(found["heading"], f"heading of {what}"),
                    sections=sections,
                    intro=self.paragraphs(found["intro"], f"intro of {what}")
                    if "intro" in found
                    else (),
                    heading_supplied=self.flag(found, "heading_supplied", what),
                )
            )
        return tuple(parts)

    def section(self, node: Node, part_id: str, ids_seen: dict[str, int]) -> Section:
        found = self.mapping(
            node,
            f"a section of part {part_id}",
            ("letter", "heading", "clauses"),
            ("heading_supplied",),
        )
        letter = self.text(found["letter"], f"letter of a section of part {part_id}")
        if not _SECTION_LETTER.fullmatch(letter):
            self.fail(found["letter"], f"section letter '{letter}' must be one capital letter")
        section_id = f"{part_id}-{letter}"
        self._unique(ids_seen, section_id, found["letter"], "section")
        pattern = re.compile(re.escape(section_id) + r"\.([1-9][0-9]*)")
        clauses: list[Clause] = []
        for item in self.sequence(found["clauses"], f"clauses of section {section_id}"):
            clause_found = self.mapping(item, f"a clause of section {section_id}", ("id", "text"))
            clause_id = self.text(clause_found["id"], f"id of a clause of section {section_id}")
            if not pattern.fullmatch(clause_id):
                self.fail(
                    clause_found["id"],
                    f"clause id '{clause_id}' does not match its place: "
                    f"expected {section_id}.<number>",
                )
            self._unique(ids_seen, clause_id, clause_found["id"], "clause ID")
            clauses.append(
                Clause(
                    id=clause_id,
                    text=self.text(clause_found["text"], f"clause {clause_id}"),
                    part_id=part_id,
                    section_id=section_id,
                )
            )
        return Section(
            id=section_id,
            letter=letter,
            heading=self.text(found["heading"], f"heading of section {section_id}"),
            clauses=tuple(clauses),
            heading_supplied=self.flag(found, "heading_supplied", f"section {section_id}"),
        )

    def _unique(self, seen: dict[str, int], value: str, node: Node, noun: str) -> None:
        if value in seen:
            self.fail(node, f"duplicate {noun} '{value}' (first used on line {seen[value]})")
        seen[value] = _line(node)

    # -- sanctions --

    def sanctions(self, node: Node) -> tuple[Sanction, ...]:
        sanctions: list[Sanction] = []
        key_lines: dict[str, int] = {}
        escalations: list[tuple[Sanction, Node]] = []
        for position, item in enumerate(self.sequence(node, "the sanctions ladder"), 1):
            found = self.mapping(
                item, f"sanction {position}", ("level", "key", "name", "description", "rules")
            )
            level = self.integer(found["level"], f"level of sanction {position}")
            if level != position:
                self.fail(
                    found["level"],
                    f"sanctions out of order: level {level} where level "
                    f"{position} was expected (levels run 1, 2, 3, ... "
                    f"from the mildest)",
                )
            key = self.text(found["key"], f"key of sanction {position}")
            if not _SANCTION_KEY.fullmatch(key):
                self.fail(found["key"], f"sanction key '{key}' must be lower_case_words")
            self._unique(key_lines, key, found["key"], "sanction key")
            rules, escalate_node = self.rules(found["rules"], key)
            sanction = Sanction(
                level=level,
                key=key,
                name=self.text(found["name"], f"name of sanction '{key}'"),
                description=self.text(found["description"], f"description of sanction '{key}'"),
                rules=rules,
            )
            if escalate_node is not None:
                escalations.append((sanction, escalate_node))
            sanctions.append(sanction)
        levels = {s.key: s.level for s in sanctions}
        for sanction, escalate_node in escalations:
            target = sanction.rules.escalate_to
            if target not in levels:
                self.fail(
                    escalate_node,
                    f"escalate_to of sanction '{sanction.key}' names "
                    f"'{target}', which is not a sanction in the ladder",
                )
            if levels[target] <= sanction.level:
                self.fail(
                    escalate_node,
                    f"escalate_to of sanction '{sanction.key}' must name a "
                    f"higher level, but '{target}' is level {levels[target]}",
                )
        return tuple(sanctions)

    def rules(self, node: Node, key: str) -> tuple[SanctionRules, Node | None]:
        what = f"the rules of sanction '{key}'"
        found = self.mapping(
            node, what, ("standing",), tuple(sorted(RULE_KEYS - {"standing"})), key_noun="rule key"
        )
        standing = self.choice(found["standing"], f"standing in {what}", STANDING_EFFECTS)
        compliance = (
            self.choice(found["compliance"], f"compliance in {what}", COMPLIANCE_MODES)
            if "compliance" in found
            else "none"
        )
        max_per_member = None
        if "max_per_member" in found:
            max_per_member = self.integer(found["max_per_member"], f"max_per_member in {what}")
            if max_per_member < 1:
                self.fail(found["max_per_member"], f"max_per_member in {what} must be at least 1")
        escalate_to = None
        if "escalate_to" in found:
            escalate_to = self.text(found["escalate_to"], f"escalate_to in {what}")
            if max_per_member is None:
                self.fail(
                    found["escalate_to"],
                    f"escalate_to in {what} needs max_per_member "
                    f"(it applies once that many have been given)",
                )
        requires = self.requires(found["requires"], what) if "requires" in found else ()
        flags = {name: self.flag(found, name, what) for name in _BOOLEAN_RULES}
        needs = {
            "review_at_end": "end_date",
            "expires_at_end": "end_date",
            "completion_confirmed": "completion_deadline",
        }
        if compliance in needs and needs[compliance] not in requires:
            self.fail(
                found["compliance"],
                f"compliance '{compliance}' in {what} needs '{needs[compliance]}' in requires",
            )
        if flags["ends_membership"] and standing != "revoked":
            self.fail(
                found["standing"],
                f"{what}: a sanction that ends membership must have standing 'revoked'",
            )
        rules = SanctionRules(
            standing=standing,
            max_per_member=max_per_member,
            escalate_to=escalate_to,
            requires=requires,
            compliance=compliance,
            **flags,
        )
        return rules, found.get("escalate_to")

    def requires(self, node: Node, what: str) -> tuple[str, ...]:
        details: list[str] = []
        for item in self.sequence(node, f"requires in {what}"):
            detail = self.choice(item, f"requires in {what}", REQUIRABLE_DETAILS)
            if detail in details:
                self.fail(item, f"'{detail}' listed twice in requires in {what}")
            details.append(detail)
        if ("start_date" in details) != ("end_date" in details):
            self.fail(node, f"requires in {what}: start_date and end_date come as a pair")
        return tuple(details)

    def choice(self, node: Node, what: str, allowed: tuple[str, ...]) -> str:
        value = self.text(node, what)
        if value not in allowed:
            self.fail(node, f"unknown value '{value}' for {what} (allowed: {', '.join(allowed)})")
        return value


__all__: list[str] = ["RULE_KEYS", "CodeFileError", "load_code", "parse_code"]
