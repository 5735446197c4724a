"""``flask --app ethics_cases code ...``: check a Code file before it goes live, read one clause."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from . import current_code
from .loader import CodeFileError, load_code

code_cli = AppGroup("code", help="Check and read the Code of Ethics.")


@code_cli.command("check")
@click.argument("path", required=False, type=click.Path(dir_okay=False))
def check(path: str | None) -> None:
    """Validate a Code file (default: the configured one) and print a summary.

    Run it on a new edition before pointing CODE_OF_ETHICS_PATH at it: any problem is printed
    as FILE:LINE: PROBLEM and the command exits with status 1.
    """
    path = path or str(current_app.config["CODE_OF_ETHICS_PATH"])
    try:
        code = load_code(path)
    except CodeFileError as error:
        click.echo(str(error), err=True)
        raise SystemExit(1) from None
    sections = sum(len(part.sections) for part in code.parts)
    click.echo(f"{path}: valid")
    click.echo(f"{code.title}, version {code.version}, effective {code.effective_date}")
    click.echo(f"  parts:       {len(code.parts)}")
    click.echo(f"  sections:    {sections}")
    click.echo(f"  clauses:     {len(code.clauses)}")
    click.echo(f"  sanctions:   {len(code.sanctions)}")
    click.echo(f"  definitions: {len(code.definitions)}")
    click.echo(f"  fingerprint: {code.fingerprint}")


@code_cli.command("show")
@click.argument("clause_id")
def show(clause_id: str) -> None:
    """Print one clause (e.g. MPP-B.1) with its part and section."""
    code = current_code()
    try:
        clause = code.clause(clause_id.strip().upper())
    except KeyError:
        click.echo(
            f"unknown clause {clause_id!r}: clause IDs look like MPP-A.1 (see /code for the list)",
            err=True,
        )
        raise SystemExit(1) from None
    part = code.part_of(clause)
    section = code.section_of(clause)
    click.echo(f"{clause.id}  ({code.title}, version {code.version})")
    click.echo(f"{part.heading} › {section.letter}. {section.heading}")
    click.echo("")
    click.echo(clause.text)
