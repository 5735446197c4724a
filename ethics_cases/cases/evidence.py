"""Evidence files: checked by content, stored outside the web root under random names.

Nothing a complainant sends is trusted: the type is detected from the bytes (the ``filetype``
signatures; plain text only if it is UTF-8 without NUL bytes), the file name's extension must
agree with it, the name is sanitised for display and never used on disk, and files are only
ever served as downloads.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

import filetype
from flask import current_app
from werkzeug.utils import secure_filename

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_TOTAL_BYTES = 25 * 1024 * 1024
MAX_FILES = 10

# Detected content type → the extensions a file of that type may carry.
ALLOWED_TYPES: dict[str, frozenset[str]] = {
    "application/pdf": frozenset({"pdf"}),
    "image/png": frozenset({"png"}),
    "image/jpeg": frozenset({"jpg", "jpeg"}),
    "image/gif": frozenset({"gif"}),
    "image/webp": frozenset({"webp"}),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": frozenset(
        {"docx"}
    ),
    "application/vnd.oasis.opendocument.text": frozenset({"odt"}),
    "text/plain": frozenset({"txt", "text", "eml", "csv", "md"}),
}
ALLOWED_EXTENSIONS_TEXT = "PDF, Word (.docx), OpenDocument (.odt), plain text, PNG, JPEG, GIF, WebP"

# Served with their own type (browsers display them safely); everything else as octet-stream.
SAFE_INLINE_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg", "image/gif",
                               "image/webp"})


class EvidenceRejected(ValueError):
    """An upload refused, with a message for the person who sent it."""


@dataclass(frozen=True)
class StoredFile:
    stored_name: str
    original_filename: str
    sha256: str
    size: int
    content_type: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def evidence_folder() -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "evidence"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def path_of(stored_name: str) -> Path:
    if not stored_name or not all(c in "0123456789abcdef" for c in stored_name):
        raise ValueError("not a stored evidence name")  # never a path from outside
    return evidence_folder() / stored_name


def display_name(filename: str | None) -> str:
    name = secure_filename(filename or "")
    return name[:200] or "document"


def detect_type(filename: str, data: bytes) -> str:
    """The content type of ``data``, if allowed and consistent with the file name's extension."""
    name = display_name(filename)
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    kind = filetype.guess(data)
    if kind is not None:
        content_type = kind.mime
    elif _is_plain_text(data):
        content_type = "text/plain"
    else:
        content_type = ""
    if content_type not in ALLOWED_TYPES:
        raise EvidenceRejected(
            f"“{name}” is not a type of file we accept. Please send {ALLOWED_EXTENSIONS_TEXT}."
        )
    if extension not in ALLOWED_TYPES[content_type]:
        raise EvidenceRejected(
            f"“{name}” does not contain what its name says (it looks like "
            f"{_describe(content_type)}). Please check the file and send it again."
        )
    return content_type


def _is_plain_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    # HTML renamed to .txt would be harmless as a download, but it is not what people mean by
    # a text document and may be an attempt to get markup served: refuse it.
    head = text.lstrip()[:200].lower()
    return not head.startswith(("<!doctype html", "<html", "<script", "<svg"))


def _describe(content_type: str) -> str:
    return {
        "application/pdf": "a PDF",
        "text/plain": "plain text",
    }.get(content_type, content_type.rpartition("/")[2].split(".")[-1].upper() + " file")


def read_upload(stream: IO[bytes], filename: str | None) -> tuple[str, bytes]:
    """Read at most one byte past the limit, so an oversized file is refused without
    reading it all."""
    name = display_name(filename)
    data = stream.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise EvidenceRejected(
            f"“{name}” is larger than {human_size(MAX_FILE_BYTES)}. Please send a smaller "
            "file, or split it."
        )
    if not data:
        raise EvidenceRejected(f"“{name}” is empty.")
    return name, data


def store_bytes(filename: str, data: bytes) -> StoredFile:
    """Check and write one file; return what the database row needs.

    The file is written before any row refers to it (never a row without its file); callers
    delete it with ``delete_stored`` if their transaction fails.
    """
    content_type = detect_type(filename, data)
    stored_name = secrets.token_hex(16)
    target = path_of(stored_name)
    temporary = target.with_name(stored_name + ".part")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    os.replace(temporary, target)
    return StoredFile(
        stored_name=stored_name,
        original_filename=display_name(filename),
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        content_type=content_type,
    )


def check_limits(existing_count: int, existing_bytes: int, new_sizes: list[int]) -> None:
    if existing_count + len(new_sizes) > MAX_FILES:
        raise EvidenceRejected(
            f"You can attach up to {MAX_FILES} files; you already have {existing_count}."
        )
    if existing_bytes + sum(new_sizes) > MAX_TOTAL_BYTES:
        raise EvidenceRejected(
            f"All files together may be at most {human_size(MAX_TOTAL_BYTES)}."
        )


def delete_stored(stored_name: str) -> None:
    with contextlib.suppress(FileNotFoundError, ValueError):
        path_of(stored_name).unlink()


def download_type(content_type: str) -> str:
    return content_type if content_type in SAFE_INLINE_TYPES else "application/octet-stream"


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"
