"""The Code loader on the real file and on broken copies of it (no Flask involved)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ethics_cases.code.loader import CodeFileError, load_code, parse_code
from ethics_cases.code.model import Code

ROOT = Path(__file__).resolve().parent.parent
CODE_FILE = ROOT / "code_of_ethics.yaml"
SEED_FILE = Path(__file__).resolve().parent / "data" / "code_seed" / "imc_code_of_ethics.txt"
NUMBERED = re.compile(r"^\s+(\d+)\. (.*\S)\s*$")


@pytest.fixture(scope="module")
def code() -> Code:
    return load_code(CODE_FILE)


@pytest.fixture(scope="module")
def seed_lines() -> list[str]:
    return SEED_FILE.read_text(encoding="utf-8").splitlines()


def _seed_clauses(seed_lines: list[str]) -> list[tuple[int, str]]:
    """(number, text) of every numbered clause line of the seed, sanctions excluded."""
    closing = next(i for i, line in enumerate(seed_lines) if line.startswith("Implementing Code"))
    return [
        (int(m.group(1)), m.group(2))
        for line in seed_lines[:closing]
        if (m := NUMBERED.match(line))
    ]


# -- the real file --------------------------------------------------------------------------


def test_every_seed_clause_is_present_verbatim_in_order(code: Code, seed_lines: list[str]) -> None:
    seed = _seed_clauses(seed_lines)
    assert len(seed) == 51
    assert [clause.text for clause in code.clauses] == [text for _, text in seed]
    # each clause keeps the seed's number inside its section
    assert [clause.number for clause in code.clauses] == [number for number, _ in seed]


def test_clause_ids_are_unique_and_follow_the_scheme(code: Code) -> None:
    ids = [clause.id for clause in code.clauses]
    assert len(ids) == len(set(ids))
    for clause in code.clauses:
        assert clause.id == f"{clause.section_id}.{clause.number}"
        assert clause.section_id.startswith(clause.part_id + "-")


@pytest.mark.parametrize(
    ("clause_id", "starts_with"),
    [
        ("MPP-A.1", "Prior to working with a client, IMC professionals will make the principles"),
        ("MPP-B.3", "Members will maintain, store, and appropriately dispose"),
        ("MPP-E.2", "Members will verify that no false or misleading representations"),
        (
            "MCP-C.2",
            "Members will acknowledge, respect, and value diverse cultural differences and"
            " Members will acknowledge",
        ),
        ("MCP-D.2", "IMC professionals will their hold the clients accountable"),
        ("MRP-D.3", "IMC professionals will work with clients to set specific, measurable"),
        (
            "MRP-F.3",
            "IMC professionals will assess the effectiveness of their mentoring strategies",
        ),
    ],
)
def test_known_ids_are_stable(code: Code, clause_id: str, starts_with: str) -> None:
    assert code.clause(clause_id).text.startswith(starts_with)


def test_structure_and_supplied_headings(code: Code) -> None:
    assert [(p.id, p.heading, p.heading_supplied) for p in code.parts] == [
        ("MPP", "Mentoring Practice Principles", False),
        ("MCP", "Mentoring Competency Principles", True),
        ("MRP", "Mentoring Relationship Principles", True),
    ]
    supplied = [s.id for p in code.parts for s in p.sections if s.heading_supplied]
    assert supplied == ["MPP-E", "MRP-F"]
    assert code.section("MPP-C").heading == "Conflict of Interest"
    assert code.sanctions_heading_supplied and code.pledge.heading_supplied


def test_definitions_restore_lost_headwords(code: Code, seed_lines: list[str]) -> None:
    seed_text = {line.strip() for line in seed_lines}
    headwords = {d.headword: d.headword_supplied for d in code.definitions}
    for restored in ("Client", "Mentor", "Sponsor", "Code of Ethics", "Mentoring", "Members"):
        assert headwords[restored] is True
    assert headwords["Mentoring Supervision"] is False
    assert headwords["Accredited & Endorsed Training Centers"] is False
    assert len(code.definitions) == 12
    for definition in code.definitions:
        assert definition.text in seed_text


def test_other_texts_are_verbatim(code: Code, seed_lines: list[str]) -> None:
    seed_text = {line.strip() for line in seed_lines}
    texts = [
        *code.preamble,
        *code.target_audience.paragraphs,
        *code.values.paragraphs,
        *code.closing.paragraphs,
        *code.pledge.paragraphs,
        *code.part("MPP").intro,
    ]
    for text in texts:
        assert text in seed_text
    assert code.pledge.text.startswith("As an IMC professional and member, I commit")
    assert len(code.pledge.paragraphs) == 2


def test_sanctions_ladder_is_verbatim_and_carries_its_rules(
    code: Code, seed_lines: list[str]
) -> None:
    closing = next(i for i, line in enumerate(seed_lines) if line.startswith("Implementing Code"))
    seed_sanctions = [m.group(2) for line in seed_lines[closing:] if (m := NUMBERED.match(line))]
    assert len(code.sanctions) == len(seed_sanctions) == 6
    for sanction, line in zip(code.sanctions, seed_sanctions, strict=True):
        assert re.fullmatch(
            re.escape(sanction.name) + r"\s*[–-]\s*" + re.escape(sanction.description), line
        )
    assert [s.key for s in code.sanctions] == [
        "warning",
        "training",
        "probation",
        "suspension",
        "revocation",
        "legal_referral",
    ]
    assert [s.level for s in code.sanctions] == [1, 2, 3, 4, 5, 6]
    warning = code.sanction("warning")
    assert (warning.rules.max_per_member, warning.rules.escalate_to) == (2, "training")
    assert code.sanction("suspension").rules.requires == ("start_date", "end_date")
    assert code.sanction("suspension").rules.standing == "suspended"
    revocation = code.sanction("revocation").rules
    assert revocation.ends_membership and revocation.ends_credentials
    assert revocation.standing == "revoked"
    assert code.sanction("legal_referral").rules.requires == ("authority", "authority_reference")
    with pytest.raises(KeyError):
        code.sanction("fine")


def test_metadata(code: Code) -> None:
    assert code.title == "IMC Code of Ethics"
    assert code.issuing_body == "International Mentoring Center"
    assert code.version == "2024.1"
    assert code.effective_date.isoformat() == "2024-01-01"


def test_lookup_search_and_neighbours(code: Code) -> None:
    with pytest.raises(KeyError):
        code.clause("MPP-Z.9")
    found = code.search("CONFIDENTIALITY law")
    assert [c.id for c in found] == ["MPP-B.1", "MPP-B.2"]
    # a section heading counts: "Trust" is the heading of MRP-A
    assert code.clause("MRP-A.1") in code.search("trust")
    assert code.search("   ") == ()
    assert code.search("zebra") == ()
    previous, following = code.neighbours(code.clause("MPP-B.1"))
    assert (previous.id, following.id) == ("MPP-A.7", "MPP-B.2")
    assert code.neighbours(code.clauses[0])[0] is None
    assert code.neighbours(code.clauses[-1])[1] is None


def test_objects_are_immutable(code: Code) -> None:
    with pytest.raises(AttributeError):
        code.version = "2025.1"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        code.clauses[0].text = "changed"  # type: ignore[misc]
    assert isinstance(code.parts, tuple) and isinstance(code.parts[0].sections, tuple)


# -- fingerprint and cache --------------------------------------------------------------------


def test_fingerprint_changes_when_one_word_changes(code: Code, tmp_path: Path) -> None:
    original = CODE_FILE.read_text(encoding="utf-8")
    copy = tmp_path / "code.yaml"
    copy.write_text(original, encoding="utf-8")
    assert load_code(copy).fingerprint == code.fingerprint

    changed = original.replace(
        "strictest level of confidentiality", "highest level of confidentiality"
    )
    assert changed != original
    copy.write_text(changed, encoding="utf-8")
    altered = load_code(copy)
    assert altered.fingerprint != code.fingerprint
    assert "highest level" in altered.clause("MPP-B.1").text


def test_fingerprint_ignores_comments_and_layout(code: Code) -> None:
    original = CODE_FILE.read_text(encoding="utf-8")
    reformatted = "# a comment\n" + original.replace("\n\n", "\n\n# another\n")
    assert parse_code(reformatted).fingerprint == code.fingerprint
    assert len(code.fingerprint) == 64
    assert code.to_canonical_json().startswith('{"closing":')


def test_load_is_cached_until_the_file_changes(tmp_path: Path) -> None:
    copy = tmp_path / "code.yaml"
    copy.write_text(CODE_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    first = load_code(copy)
    assert load_code(copy) is first
    copy.write_text(copy.read_text(encoding="utf-8").replace("2024.1", "2024.2"), encoding="utf-8")
    second = load_code(copy)
    assert second is not first and second.version == "2024.2"


# -- bad files ---------------------------------------------------------------------------------


def _line_of(text: str, needle: str) -> int:
    """1-based line number of the last line containing ``needle``."""
    numbers = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    assert numbers, f"{needle!r} not in text"
    return numbers[-1]


def _broken(tmp_path: Path, old: str, new: str) -> tuple[Path, str]:
    original = CODE_FILE.read_text(encoding="utf-8")
    assert original.count(old) == 1, old
    text = original.replace(old, new)
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    return path, text


def _error(path: Path) -> CodeFileError:
    with pytest.raises(CodeFileError) as caught:
        load_code(path)
    return caught.value


@pytest.mark.parametrize(
    ("old", "new", "marker", "problem"),
    [
        pytest.param(
            "      key: training\n",
            "      key: training\n     name: oops\n",
            "     name: oops",
            "YAML syntax error",
            id="syntax-error",
        ),
        pytest.param(
            "      key: probation\n",
            "      key: probation\n      colour: red\n",
            "colour: red",
            "unknown key 'colour' in sanction 3",
            id="unknown-key",
        ),
        pytest.param(
            "      - letter: C\n        heading: Conflict of Interest\n",
            "      - letter: C\n        title: Conflict of Interest\n",
            "title: Conflict of Interest",
            "unknown key 'title' in a section of part MPP",
            id="unknown-key-section",
        ),
        pytest.param(
            "        max_per_member: 2\n",
            "        max_per_member: two\n",
            "max_per_member: two",
            "wrong type for max_per_member in the rules of sanction 'warning': "
            "expected a whole number, found text",
            id="wrong-type",
        ),
        pytest.param(
            '  version: "2024.1"\n',
            "  version: 2024.1\n",
            "version: 2024.1",
            "wrong type for metadata version: expected text, found a number (quote it)",
            id="unquoted-version",
        ),
        pytest.param(
            "            text: Members will clearly, openly and honestly communicate goals,"
            " expectations, and boundaries with the clients.\n",
            '            text: "  "\n',
            'text: "  "',
            "empty text in clause MCP-A.1",
            id="empty-text",
        ),
        pytest.param(
            "          - id: MPP-A.2\n",
            "          - id: MPP-A.1\n",
            "- id: MPP-A.1",
            "duplicate clause ID 'MPP-A.1' (first used on line",
            id="duplicate-id",
        ),
        pytest.param(
            "    - level: 3\n",
            "    - level: 4  # was 3\n",
            "# was 3",
            "sanctions out of order: level 4 where level 3 was expected",
            id="out-of-order",
        ),
        pytest.param(
            "        check_ins: true\n",
            "        check_ins: true\n        curfew: true\n",
            "curfew: true",
            "unknown rule key 'curfew' in the rules of sanction 'probation'",
            id="unknown-rule-key",
        ),
        pytest.param(
            "        standing: suspended\n",
            "        standing: grounded\n",
            "standing: grounded",
            "unknown value 'grounded' for standing in the rules of sanction 'suspension'",
            id="unknown-standing",
        ),
        pytest.param(
            "        requires: [start_date, end_date]\n        compliance: expires_at_end\n",
            "        requires: [start_date]\n        compliance: expires_at_end\n",
            "requires: [start_date]",
            "start_date and end_date come as a pair",
            id="half-a-period",
        ),
        pytest.param(
            "        escalate_to: training\n",
            "        escalate_to: scolding\n",
            "escalate_to: scolding",
            "names 'scolding', which is not a sanction",
            id="bad-escalation",
        ),
    ],
)
def test_bad_file_names_file_line_and_problem(
    tmp_path: Path, old: str, new: str, marker: str, problem: str
) -> None:
    path, text = _broken(tmp_path, old, new)
    error = _error(path)
    expected_line = _line_of(text, marker)
    assert error.path == str(path)
    assert error.line == expected_line, str(error)
    assert str(error).startswith(f"{path}:{expected_line}: ")
    assert problem in str(error)


def test_missing_key_points_at_the_mapping(tmp_path: Path) -> None:
    old = "          - id: MPP-B.2\n            text: IMC professionals will explicitly"
    original = CODE_FILE.read_text(encoding="utf-8")
    start = original.index(old)
    end = original.index("\n", start + len("          - id: MPP-B.2\n"))
    text = original[:start] + "          - id: MPP-B.2" + original[end:]
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    error = _error(path)
    assert error.line == _line_of(text, "- id: MPP-B.2")
    assert error.problem == "missing key 'text' in a clause of section MPP-B"


def test_empty_and_missing_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing yet\n", encoding="utf-8")
    assert str(_error(empty)) == f"{empty}:1: the file is empty; expected the Code as a mapping"
    missing = tmp_path / "nope.yaml"
    error = _error(missing)
    assert error.line is None
    assert str(error).startswith(f"{missing}: cannot read the Code file")


def test_top_level_missing_section(tmp_path: Path) -> None:
    original = CODE_FILE.read_text(encoding="utf-8")
    text = original[: original.index("pledge:\n")]
    path = tmp_path / "no_pledge.yaml"
    path.write_text(text, encoding="utf-8")
    error = _error(path)
    assert error.problem == "missing key 'pledge' in the Code file"
    assert error.line == _line_of(text, "metadata:")
