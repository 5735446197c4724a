"""The IMC Code of Ethics: loaded once at start, cited everywhere by clause ID.

``current_code()`` is the one way the rest of the app reaches the Code; it is the immutable
object loaded from ``CODE_OF_ETHICS_PATH`` when the app was created, so no request ever parses
YAML. An invalid Code stops ``create_app`` with the loader's ``<file>:<line>: <problem>``.
"""

from __future__ import annotations

from flask import Flask, current_app

from .loader import CodeFileError, load_code, parse_code
from .model import (
    STANDING_EFFECTS,
    STANDING_LABELS,
    Clause,
    Code,
    Definition,
    Part,
    Pledge,
    Sanction,
    SanctionRules,
    Section,
)

EXTENSION_KEY = "ethics_code"

__all__ = [
    "STANDING_EFFECTS",
    "STANDING_LABELS",
    "Clause",
    "Code",
    "CodeFileError",
    "Definition",
    "Part",
    "Pledge",
    "Sanction",
    "SanctionRules",
    "Section",
    "current_code",
    "init_app",
    "load_code",
    "parse_code",
]


def init_app(app: Flask) -> None:
    """Load the configured Code into ``app.extensions``; refuse to start if it is invalid."""
    path = str(app.config["CODE_OF_ETHICS_PATH"])
    app.extensions[EXTENSION_KEY] = load_code(path)  # raises CodeFileError: <file>:<line>: ...


def current_code() -> Code:
    """The Code the running app was started with."""
    return current_app.extensions[EXTENSION_KEY]
