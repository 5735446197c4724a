"""Property-based fuzzing of every route: random and hostile input never gives a 500, and a
refused request never leaves a half-written row.

The URL map is walked as in ``test_route_access.py``, so a new route is fuzzed without anyone
adding it here. Each example picks who sends the request (anonymous, the complainant holding a
case grant, the member complained about, a committee member, the chair, an administrator), the
URL's arguments (real ids and references, or garbage), and a body built from the field names the
app's forms and steps use plus random keys, with hostile values (huge, control characters, NUL,
markup, SQL, odd Unicode, numbers, dates) and sometimes a random file or no CSRF token.

``ETHICS_CASES_FUZZ_EXAMPLES`` sets the examples per route (CI default: a few).
"""

from __future__ import annotations

import io
import os
import sys
from typing import Any

import pytest
from flask import Flask, url_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from ethics_cases.cases.access import GRANTS_KEY
from ethics_cases.extensions import db
from ethics_cases.security import Role
from ethics_cases.workflow.procedure import STEPS, TRIGGERS

from .factories.accounts import MemberUserFactory, UserFactory
from .factories.cases import AllegationFactory, CaseFactory, EvidenceFactory, write_evidence_file

pytestmark = pytest.mark.fuzz

EXAMPLES = int(os.environ.get("ETHICS_CASES_FUZZ_EXAMPLES", "4"))
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, database=None, derandomize=not os.environ.get(
        "ETHICS_CASES_FUZZ_RANDOM"),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large],
)

HOSTILE = [
    "", " ", "0", "-1", "99999999999999999999", "1e309", "NaN", "null", "true", "[]", "{}",
    "' OR '1'='1", "1; DROP TABLE cases; --", "<script>alert(1)</script>", "\"><img src=x>",
    "\x00", "a\x00b", "\r\n\r\nSet-Cookie: x=1", "../../etc/passwd", "%00", "%s%s%n",
    "\u202e\u0645\u0631\u062d\u0628\u0627", "🙂" * 50, "\ud7ff", "Ω" * 300, "x" * 70000,
    "2026-02-30", "0000-00-00", "9999-12-31", "1900-01-01", "2026-11-23T25:61:00",
    "EC-2026-0001", "MPP-B.1", "warning", "revocation", "upheld", "complainant", "on", "1",
    "user@example.org", "not-an-email@", "@" * 300,
]
text_values = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=60),
                        st.integers(-2**63, 2**63).map(str))


def _form_field_names() -> list[str]:
    """Every field name of every WTForms form in the app, plus the procedure's fields."""
    import wtforms

    names = {"csrf_token", "reason", "q", "query", "page", "state", "email", "password",
             "files", "file", "body", "votes", "next", "expected_version", "in_reply_to"}
    for module_name, module in list(sys.modules.items()):
        if not module_name.startswith("ethics_cases") or module is None:
            continue
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, wtforms.Form):
                names.update(name for name, item in vars(value).items()
                             if hasattr(item, "field_class"))
    for step in STEPS:
        names.update(step.fields)
    return sorted(names)


@pytest.fixture
def world(app: Flask, db_session, tmp_path):  # type: ignore[no-untyped-def]
    """A case with an allegation, evidence and the people around it."""
    respondent = MemberUserFactory()
    case = CaseFactory(respondent=respondent.member)
    allegation = AllegationFactory(case=case)
    evidence = EvidenceFactory(case=case)
    write_evidence_file(app.config["UPLOAD_FOLDER"], evidence, b"%PDF-1.4\n%%EOF\n")
    people = {
        "anonymous": None,
        "complainant": None,
        "respondent": respondent,
        "committee": UserFactory(roles=[Role.COMMITTEE]),
        "chair": UserFactory(roles=[Role.CHAIR, Role.COMMITTEE]),
        "admin": UserFactory(roles=[Role.ADMIN]),
    }
    return {"case": case, "allegation": allegation, "evidence": evidence, "people": people,
            "ids": [case.id, allegation.id, evidence.id, respondent.id, respondent.member.id]}


def _routes(app: Flask) -> list[tuple[str, str]]:
    return sorted({(rule.endpoint, method) for rule in app.url_map.iter_rules()
                   for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
                   if rule.endpoint != "static"})


def _url_args(draw: Any, app: Flask, endpoint: str, world: dict[str, Any]) -> dict[str, Any]:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    args: dict[str, Any] = {}
    for name, converter in rule._converters.items():  # werkzeug has no public API
        kind = type(converter).__name__
        if kind in ("IntegerConverter",):
            args[name] = draw(st.one_of(st.sampled_from(world["ids"]),
                                        st.integers(0, 2**31 - 1)))
        elif name == "reference":
            args[name] = draw(st.one_of(st.just(world["case"].reference),
                                        st.sampled_from(HOSTILE[:40]).filter(bool)))
        elif name == "trigger":
            args[name] = draw(st.one_of(st.sampled_from(TRIGGERS), st.just("no_such_step")))
        elif name == "name":
            args[name] = draw(st.sampled_from(["about", "respondent", "events", "clauses",
                                               "outcome", "consent", "files", "nope"]))
        else:
            args[name] = draw(st.one_of(st.just("x"), st.text(min_size=1, max_size=40).filter(
                lambda s: "/" not in s and s not in (".", ".."))))
    return args


def _row_counts() -> dict[str, int]:
    tables = [table.name for table in db.metadata.sorted_tables]
    query = " UNION ALL ".join(f"SELECT '{name}', COUNT(*) FROM \"{name}\"" for name in tables)
    return dict(db.session.execute(text(query)).all())  # type: ignore[arg-type]


def _sign_in(client: Any, persona: str, world: dict[str, Any], login_as: Any) -> None:
    user = world["people"][persona]
    if user is not None:
        login_as(client, user)
    elif persona == "complainant":
        import time

        with client.session_transaction() as session:
            session[GRANTS_KEY] = [[world["case"].id, int(time.time()) + 3600]]


def _fuzz_route(app: Flask, client: Any, world: dict[str, Any], login_as: Any, endpoint: str,
                method: str, data: st.DataObject) -> None:
    draw = data.draw
    persona = draw(st.sampled_from(sorted(world["people"])), label="persona")
    with client.session_transaction() as session:
        session.clear()
    _sign_in(client, persona, world, login_as)
    args = _url_args(draw, app, endpoint, world)
    with app.test_request_context():
        url = url_for(endpoint, **args)
    fields = draw(st.dictionaries(st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=12)),
                                  st.one_of(text_values, st.lists(text_values, max_size=3)),
                                  max_size=8), label="fields")
    kwargs: dict[str, Any] = {"method": method}
    if method == "GET":
        kwargs["query_string"] = {k: v for k, v in fields.items() if "\x00" not in str(v)}
    else:
        body = draw(st.sampled_from(["form", "form", "form", "json", "file"]), label="body")
        if body == "json":  # the CSRF token in its header, as a script would send it
            kwargs.update(json=fields, csrf=False,
                          headers={"X-CSRFToken": client.csrf_token()})
        else:
            form: dict[str, Any] = dict(fields)
            if body == "file":
                name = draw(st.sampled_from(["files", "file", "evidence", "document"]))
                content = draw(st.binary(max_size=2000))
                filename = draw(st.sampled_from(["a.pdf", "../../x.pdf", "a.exe", "", "ü.txt",
                                                 "x" * 300 + ".png", "notes.txt"]))
                form[name] = (io.BytesIO(content), filename)
                kwargs["content_type"] = "multipart/form-data"
            kwargs["data"] = form
            kwargs["csrf"] = draw(st.sampled_from([True, True, True, False]), label="csrf")

    with app.app_context():
        before = _row_counts()
        db.session.remove()
    response = client.open(url, **kwargs)
    response.close()  # file downloads hold their file open until closed
    assert response.status_code < 500, (endpoint, method, persona, response.status_code)
    with app.app_context():
        after = _row_counts()
        db.session.remove()
    if response.status_code >= 400:
        changed = {name: (before[name], after[name]) for name in before
                   if before[name] != after[name] and name not in KEPT_ON_REFUSAL.get(endpoint, ())}
        assert changed == {}, (endpoint, method, persona, response.status_code, changed)


FIELD_NAMES: list[str] = []

# Writes that a refusal makes on purpose: the complaint wizard keeps what was typed, valid or
# not, in the server-side draft (so nothing is lost on an error), then answers 422.
KEPT_ON_REFUSAL = {"intake.step": ("complaint_drafts",)}


def _route_params() -> list[Any]:
    from ethics_cases import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x" * 40,
                      "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    FIELD_NAMES.extend(_form_field_names())
    return [pytest.param(endpoint, method, id=f"{method}-{endpoint}")
            for endpoint, method in _routes(app)]


@pytest.mark.parametrize(("endpoint", "method"), _route_params())
def test_hostile_input_never_breaks_a_route(app, client, world, login_as, endpoint, method):
    @FUZZ_SETTINGS
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        _fuzz_route(app, client, world, login_as, endpoint, method, data)

    run()


def test_a_malformed_multipart_field_name_is_refused_not_a_500(client, db_session):
    """Found by the fuzzing: a raw newline inside a part's name made request.form hold the key
    None, and Flask-WTF's CSRF check crashed on it for every POST."""
    body = b'--b\r\nContent-Disposition: form-data; name="\r\n"\r\n\r\nhello\r\n--b--\r\n'
    response = client.post("/complaint/submit", data=body, csrf=False,
                           content_type="multipart/form-data; boundary=b")
    assert response.status_code == 400
