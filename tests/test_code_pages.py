"""The public Code pages, the ``flask code`` commands, and refusing to start on a bad Code."""

from __future__ import annotations

import itertools
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from ethics_cases import create_app
from ethics_cases.code import CodeFileError, current_code, load_code
from ethics_cases.code.views import highlight

CODE_FILE = Path(__file__).resolve().parent.parent / "code_of_ethics.yaml"


class _Headings(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.levels: list[int] = []
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if re.fullmatch(r"h[1-6]", tag):
            self.levels.append(int(tag[1]))
        for name, value in attrs:
            if name == "id" and value:
                self.ids.append(value)


def _parse(html: str) -> _Headings:
    parser = _Headings()
    parser.feed(html)
    return parser


# -- /code ---------------------------------------------------------------------------------


def test_code_page_shows_the_whole_code_to_anyone(client) -> None:
    code = load_code(CODE_FILE)
    response = client.get("/code")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1>IMC Code of Ethics</h1>" in html
    assert code.version in html and code.fingerprint in html
    assert 'action="/code/search"' in html
    for clause in code.clauses:
        assert f'id="{clause.id}"' in html
        assert f'href="/code/{clause.id}"' in html
    assert html.count('class="clause"') == 51
    for definition in code.definitions:
        assert f"<dt>{definition.headword.replace('&', '&amp;')}" in html
    for sanction in code.sanctions:
        assert sanction.description in html
    assert code.pledge.paragraphs[1] in html
    assert "Continuous Professional Development" in html
    assert html.count("added heading</span>") >= 6


def test_code_page_contents_link_to_every_section(client) -> None:
    html = client.get("/code").get_data(as_text=True)
    parsed = _parse(html)
    code = load_code(CODE_FILE)
    for part in code.parts:
        assert f'href="#{part.id}"' in html and part.id in parsed.ids
        for section in part.sections:
            assert f'href="#{section.id}"' in html and section.id in parsed.ids
    assert len(parsed.ids) == len(set(parsed.ids)), "duplicate HTML ids"


def test_code_page_headings_do_not_skip_levels(client) -> None:
    levels = _parse(client.get("/code").get_data(as_text=True)).levels
    assert levels[0] == 1 and levels.count(1) == 1
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1, levels


def test_code_stylesheet_is_served_publicly(client) -> None:
    response = client.get("/code/assets/code.css")
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    assert ".code-toc" in response.get_data(as_text=True)
    again = client.get("/code/assets/code.css", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    page = client.get("/code").get_data(as_text=True)
    assert f'href="/code/assets/code.css?v={response.headers["ETag"].strip(chr(34))}"' in page


# -- /code/<clause_id> -----------------------------------------------------------------------


def test_clause_permalink(client) -> None:
    response = client.get("/code/MPP-B.2")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<h1 id="clause-title">Clause MPP-B.2</h1>' in html
    assert "IMC professionals will explicitly communicate to clients and sponsors" in html
    assert "B. Confidentiality" in html and "Mentoring Practice Principles" in html
    assert 'href="/code#MPP-B.2"' in html
    assert 'href="/code/MPP-B.1" rel="prev"' in html
    assert 'href="/code/MPP-B.3" rel="next"' in html


def test_first_and_last_clause_have_one_neighbour(client) -> None:
    first = client.get("/code/MPP-A.1").get_data(as_text=True)
    assert 'rel="prev"' not in first and 'href="/code/MPP-A.2" rel="next"' in first
    last = client.get("/code/MRP-F.3").get_data(as_text=True)
    assert 'href="/code/MRP-F.2" rel="prev"' in last and 'rel="next"' not in last


def test_clause_id_in_other_case_redirects_to_the_permalink(client) -> None:
    response = client.get("/code/mpp-b.2")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/code/MPP-B.2")


@pytest.mark.parametrize("clause_id", ["MPP-Z.1", "MPP-A.99", "nonsense", "MPP-A"])
def test_unknown_clause_is_404(client, clause_id: str) -> None:
    response = client.get(f"/code/{clause_id}")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


# -- /code/search ----------------------------------------------------------------------------


def test_search_finds_a_clause_by_a_word_of_its_text(client) -> None:
    response = client.get("/code/search", query_string={"q": "disengage"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "1 clause matches" in html
    assert 'href="/code/MPP-C.4"' in html
    assert "Members will <mark>disengage</mark> from the client relationship" in html


def test_search_needs_every_word_and_keeps_code_order(client) -> None:
    html = client.get("/code/search", query_string={"q": "Confidential LAW"}).get_data(as_text=True)
    found = re.findall(r'class="clause-ref" href="/code/([A-Z]+-[A-Z]\.\d+)"', html)
    assert found == ["MPP-B.1", "MPP-B.2"]
    assert "<mark>confidentiality</mark>" in html


def test_search_without_results_or_query(client) -> None:
    none = client.get("/code/search", query_string={"q": "zebra"}).get_data(as_text=True)
    assert "No clause matches “zebra”" in none
    empty = client.get("/code/search").get_data(as_text=True)
    assert "Type one or more words" in empty and "<mark>" not in empty


def test_search_escapes_the_query(client) -> None:
    html = client.get("/code/search", query_string={"q": "<script>x</script>"}).get_data(
        as_text=True
    )
    assert "<script>x</script>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html


def test_highlight_escapes_text_and_marks_whole_words() -> None:
    marked = highlight("a <b> & Confidentiality, confidential", ("confidential",))
    assert str(marked) == (
        "a &lt;b&gt; &amp; <mark>Confidentiality</mark>, <mark>confidential</mark>"
    )
    assert str(highlight("x < y", ())) == "x &lt; y"


# -- the app and the CLI -----------------------------------------------------------------------


def test_current_code_is_the_loaded_code(app, app_ctx) -> None:
    code = current_code()
    assert code is load_code(app.config["CODE_OF_ETHICS_PATH"])
    assert code.clause("MPP-A.3").id == "MPP-A.3"


def _broken_copy(tmp_path: Path) -> tuple[Path, int]:
    text = CODE_FILE.read_text(encoding="utf-8").replace("    - level: 2\n", "    - level: 3\n")
    path = tmp_path / "broken_code.yaml"
    path.write_text(text, encoding="utf-8")
    line = text.splitlines().index("    - level: 3") + 1
    return path, line


def test_app_refuses_to_start_on_an_invalid_code(tmp_path: Path, app_config) -> None:
    path, line = _broken_copy(tmp_path)
    with pytest.raises(CodeFileError) as caught:
        create_app({**app_config, "CODE_OF_ETHICS_PATH": str(path)})
    assert str(caught.value).startswith(f"{path}:{line}: sanctions out of order")


def test_a_flask_command_refuses_an_invalid_code_in_one_line(tmp_path: Path, app_config) -> None:
    from click.testing import CliRunner
    from flask.cli import FlaskGroup

    path, line = _broken_copy(tmp_path)
    broken = {**app_config, "CODE_OF_ETHICS_PATH": str(path)}
    result = CliRunner().invoke(FlaskGroup(create_app=lambda: create_app(broken)), ["routes"])
    assert result.exit_code == 1
    [message] = result.output.strip().splitlines()
    assert message.startswith(f"Error: Refusing to start: {path}:{line}: sanctions out of order")


def test_cli_check_prints_a_summary(runner) -> None:
    code = load_code(CODE_FILE)
    result = runner.invoke(args=["code", "check"])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output
    for label, count in [
        ("parts", 3),
        ("sections", 15),
        ("clauses", 51),
        ("sanctions", 6),
        ("definitions", 12),
    ]:
        assert re.search(rf"{label}:\s+{count}\n", result.output), result.output
    assert f"fingerprint: {code.fingerprint}" in result.output


def test_cli_check_reports_a_bad_file(runner, tmp_path: Path) -> None:
    path, line = _broken_copy(tmp_path)
    result = runner.invoke(args=["code", "check", str(path)])
    assert result.exit_code == 1
    assert f"{path}:{line}: sanctions out of order" in result.output


def test_cli_show_prints_one_clause(runner) -> None:
    result = runner.invoke(args=["code", "show", "mpp-c.4"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("MPP-C.4")
    assert "Mentoring Practice Principles › C. Conflict of Interest" in result.output
    assert "Members will disengage from the client relationship" in result.output


def test_cli_show_refuses_an_unknown_clause(runner) -> None:
    result = runner.invoke(args=["code", "show", "XYZ-Q.9"])
    assert result.exit_code == 1
    assert "unknown clause 'XYZ-Q.9'" in result.output
