"""Decision, sanction and dismissal letters: Jinja2 text templates rendered to PDF (fpdf2).

``generate_for_step`` runs inside the step's transaction (from the workflow listener): it
writes each PDF under ``LETTERS_FOLDER`` (outside the web root, random names), adds a
``CaseLetter`` row with the file's SHA-256, and deletes the files again if the transaction
rolls back, so a letter exists exactly when the step that issued it does.

Templates: ``templates/letters/<kind>.txt`` (an administrator's copy in
``<instance>/templates/letters/`` wins). Blank lines separate paragraphs; a line starting with
``## `` is a heading. Letters addressed to the respondent name the complainant only through
``complainant_display_name`` (withheld when the complainant asked).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from flask import Flask, current_app
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from ..cases.identity import complainant_display_for, redact_for
from ..code import current_code
from ..extensions import db
from ..pdf import DocumentPDF
from ..workflow.context import StepContext
from .models import LETTER_KINDS, CaseLetter

PACKAGE_TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "letters"
_WRITTEN_KEY = "letters_written"


def letters_folder(app: Flask | None = None) -> Path:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    folder = app.config.get("LETTERS_FOLDER") or os.path.join(app.instance_path, "letters")
    return Path(str(folder))


def letter_path(letter: CaseLetter) -> Path:
    return letters_folder() / letter.stored_name


def _environment(app: Flask) -> jinja2.Environment:
    env = app.extensions.get("letters_jinja")
    if env is None:
        override = app.config.get("LETTER_TEMPLATE_DIR") or os.path.join(
            app.instance_path, "templates", "letters")
        loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(override)),
                                      jinja2.FileSystemLoader(str(PACKAGE_TEMPLATES))])
        env = app.jinja_env.overlay(loader=loader, autoescape=False)
        app.extensions["letters_jinja"] = env
    return env


# -- PDF --------------------------------------------------------------------------------------


class _Letter(DocumentPDF):
    def __init__(self) -> None:
        super().__init__()
        self.footer_text = ""

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font(self.family_name, "", 8)
        self.set_text_color(90, 90, 90)
        self.cell(0, 5, self.text_of(f"{self.footer_text}   Page {self.page_no()}/{{nb}}"),
                  align="C")
        self.set_text_color(0, 0, 0)



def render_pdf(*, association: str, title: str, reference: str, date_line: str,
               addressee: str, body: str) -> bytes:
    pdf = _Letter()
    pdf.footer_text = f"{association} - {title} - {reference} - Confidential"
    pdf.set_title(f"{title} {reference}")
    pdf.set_author(association)
    pdf.set_margins(22, 20, 22)
    pdf.set_auto_page_break(True, margin=22)
    pdf.add_page()
    pdf.set_text_color(31, 58, 96)
    pdf.write_block(association, 14, bold=True, after=1)
    pdf.write_block("Ethics Committee", 10, after=6)
    pdf.set_text_color(0, 0, 0)
    pdf.write_block(f"{date_line}\nOur reference: {reference}\nConfidential", 10, after=5)
    if addressee:
        pdf.write_block(addressee, 10.5, after=6)
    pdf.write_block(title, 15, bold=True, after=4)
    for paragraph in body.strip().split("\n\n"):
        paragraph = paragraph.strip("\n")
        if not paragraph.strip():
            continue
        if paragraph.startswith("## "):
            pdf.write_block(paragraph[3:].strip(), 11.5, bold=True, after=2)
        else:
            pdf.write_block(paragraph, 10.5, after=3)
    return bytes(pdf.output())


# -- which letters each step issues -----------------------------------------------------------


@dataclass(frozen=True)
class PlannedLetter:
    kind: str
    recipient: str  # respondent | complainant


def planned_letters(ctx: StepContext, new_state: str) -> list[PlannedLetter]:
    """The letters a step issues (the table is the code: short, and each rule says why)."""
    trigger = ctx.trigger
    plan: list[PlannedLetter] = []
    if trigger == "dismiss":  # the complainant is told why, and how to appeal
        plan.append(PlannedLetter("dismissal", "complainant"))
    elif trigger == "decide":  # both parties learn the panel's findings
        plan += [PlannedLetter("decision", "respondent"), PlannedLetter("outcome", "complainant")]
    elif trigger == "decide_appeal":
        appeal_against = ctx.details.get("against") or _appeal_against(ctx)
        if appeal_against == "dismissal":
            plan.append(PlannedLetter("appeal_decision", "complainant"))
        else:
            plan += [PlannedLetter("appeal_decision", "respondent"),
                     PlannedLetter("outcome", "complainant")]
    elif trigger == "accept_agreement":  # resolved by agreement: the complainant hears the end
        plan.append(PlannedLetter("outcome", "complainant"))
    if "effective_from" in ctx.details:  # a sanction took effect (take_effect ran)
        plan.append(PlannedLetter("sanction", "respondent"))
    return plan


def _appeal_against(ctx: StepContext) -> str | None:
    from ..workflow.models import Appeal

    appeal_id = ctx.details.get("appeal_id")
    appeal = db.session.get(Appeal, appeal_id) if appeal_id else None
    return appeal.against if appeal else None


def letter_context(ctx: StepContext, recipient: str, new_state: str) -> dict[str, Any]:
    """What a letter template sees. Respondent letters get the complainant's display name
    (withheld when asked) and reasons passed through ``redact_for``."""
    from ..workflow import guards
    from ..workflow.models import AllegationFinding, Appeal

    case = ctx.case
    code = current_code()
    viewer = "respondent" if recipient == "respondent" else "complainant"

    def safe(text: str | None) -> str:
        return redact_for(viewer, case, text or "") if viewer == "respondent" else (text or "")

    findings = []
    rows = db.session.scalars(select(AllegationFinding).where(
        AllegationFinding.case_id == case.id, AllegationFinding.round == ctx.flow.hearing_round))
    by_allegation = {row.allegation_id: row for row in rows}
    for allegation in case.allegations:
        clause_text = code.clause(allegation.clause_id).text if code.has_clause(
            allegation.clause_id) else ""
        row = by_allegation.get(allegation.id)
        findings.append({"clause_id": allegation.clause_id, "clause_text": clause_text,
                         "breached": None if row is None else row.breached})
    sanction = guards.current_sanction(ctx)
    sanction_name = ""
    if sanction is not None:
        try:
            sanction_name = code.sanction(sanction.key).name
        except KeyError:
            sanction_name = sanction.key
    appeal = None
    if ctx.details.get("appeal_id"):
        appeal = db.session.get(Appeal, ctx.details["appeal_id"])
    member = case.respondent
    return {
        "case": case, "recipient": recipient, "new_state": new_state, "now": ctx.now,
        "reason": safe(ctx.reason), "findings": findings, "sanction": sanction,
        "sanction_name": sanction_name, "sanction_details": dict(sanction.details) if sanction
        else {}, "appeal": appeal, "due_at": case.due_at,
        "complainant_display_name": complainant_display_for(viewer, case).name,
        "respondent_name": case.respondent_name,
        "respondent_membership_number": member.membership_number if member else "",
        "association": current_app.config.get("ASSOCIATION_NAME", ""),
    }


def _addressee(ctx: StepContext, recipient: str) -> str:
    case = ctx.case
    if recipient == "respondent":
        member = case.respondent
        return (f"{member.full_name}\nMembership number {member.membership_number}"
                if member else case.respondent_name)
    return case.complainant_name


def _cleanup_on_rollback(session: Session, previous: Any) -> None:
    """The whole transaction rolled back: its letters never existed, so neither do their
    files. (A savepoint's rollback is handled by ``discard_written_since``.)"""
    if getattr(previous, "nested", False):
        return
    discard_written_since(session, 0)


def discard_written_since(session: Any, mark: int) -> None:
    written = session.info.get(_WRITTEN_KEY, [])
    for path in written[mark:]:
        with contextlib.suppress(OSError):
            os.unlink(path)
    del written[mark:]


def written_mark(session: Any) -> int:
    return len(session.info.get(_WRITTEN_KEY, []))


def _forget_on_commit(session: Session) -> None:
    """Committed for good (not a savepoint's release, which fires this event too)."""
    if not session.in_transaction():
        session.info.pop(_WRITTEN_KEY, None)


_listening = False


def _listen_once() -> None:
    global _listening
    if not _listening:
        event.listen(Session, "after_soft_rollback", _cleanup_on_rollback)
        event.listen(Session, "after_commit", _forget_on_commit)
        _listening = True


def issue(ctx: StepContext, planned: PlannedLetter, new_state: str) -> CaseLetter:
    """Render, write and record one letter in the current transaction."""
    _listen_once()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    context = letter_context(ctx, planned.recipient, new_state)
    body = _environment(app).get_template(f"{planned.kind}.txt").render(
        **context, config=app.config)
    title = LETTER_KINDS[planned.kind]
    pdf = render_pdf(association=context["association"], title=title,
                     reference=ctx.case.reference, date_line=f"{ctx.now:%-d %B %Y}",
                     addressee=_addressee(ctx, planned.recipient), body=body)
    folder = letters_folder(app)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stored_name = f"{secrets.token_hex(16)}.pdf"
    path = folder / stored_name
    with open(path, "xb") as handle:
        handle.write(pdf)
    db.session.info.setdefault(_WRITTEN_KEY, []).append(str(path))
    letter = CaseLetter(
        case_id=ctx.case.id, kind=planned.kind, recipient=planned.recipient,
        trigger=ctx.trigger, stored_name=stored_name, sha256=hashlib.sha256(pdf).hexdigest(),
        size=len(pdf), generated_at=ctx.now,
        filename=f"{ctx.case.reference}-{planned.kind.replace('_', '-')}-"
                 f"{planned.recipient}-{ctx.now:%Y%m%d}.pdf",
    )
    db.session.add(letter)
    return letter


def generate_for_step(ctx: StepContext, new_state: str) -> list[CaseLetter]:
    letters = [issue(ctx, planned, new_state) for planned in planned_letters(ctx, new_state)]
    if letters:
        db.session.flush()
        ctx.details["letters"] = [{"id": letter.id, "kind": letter.kind, "to": letter.recipient,
                                   "sha256": letter.sha256} for letter in letters]
    return letters


def letters_for(case_id: int, recipient: str | None = None) -> list[CaseLetter]:
    query = select(CaseLetter).where(CaseLetter.case_id == case_id)
    if recipient is not None:
        query = query.where(CaseLetter.recipient == recipient)
    return list(db.session.scalars(query.order_by(CaseLetter.generated_at, CaseLetter.id)))


def delete_letter_files(case_id: int) -> int:
    """For retention: delete the PDF files of a case's letters (they name the parties). The
    rows stay, with their SHA-256, as proof of what was issued; a download then answers 404.
    Runs in the caller's transaction; files are removed at once (a PDF cannot be un-deleted,
    so call it last, just before committing). Returns the number of files deleted."""
    deleted = 0
    for letter in letters_for(case_id):
        path = letter_path(letter)
        if path.is_file():
            path.unlink()
            deleted += 1
    return deleted
