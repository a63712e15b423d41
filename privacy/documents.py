"""Checking an uploaded document by its content, not its name: JPEG, PNG or PDF, at most
MAX_BYTES. The officer's file name is kept only as a label."""

import hashlib
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile

from .errors import DomainError

MAX_BYTES = 10 * 1024 * 1024
# The first bytes each accepted kind of file starts with.
SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
)
NAME_SUFFIXES = {
    "image/jpeg": (".jpg", ".jpeg", ".jfif"),
    "image/png": (".png",),
    "application/pdf": (".pdf",),
}


@dataclass(frozen=True)
class CheckedDocument:
    upload: UploadedFile
    content_type: str
    size: int
    sha256: str
    original_name: str


def _content_type(head: bytes) -> str | None:
    for signature, content_type in SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None


def check_document(upload: UploadedFile, *, field: str = "documents") -> CheckedDocument:
    """The upload's kind, size and digest. Raises DomainError naming `field` for a file that is
    empty, larger than 10 MB, not a JPEG, PNG or PDF by its content, or whose name says another
    kind than its content (a renamed file is refused rather than guessed at)."""
    name = (upload.name or "").rsplit("/", 1)[-1][:200]
    if upload.size is None or upload.size == 0:
        raise DomainError(f"{field}: '{name}' is empty.", field=field)
    if upload.size > MAX_BYTES:
        raise DomainError(f"{field}: '{name}' is larger than 10 MB.", field=field)
    upload.seek(0)
    content_type = _content_type(upload.read(8))
    if content_type is None:
        raise DomainError(
            f"{field}: '{name}' is not a JPEG, PNG or PDF file (checked by its content).",
            field=field,
        )
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    known = {s for suffixes in NAME_SUFFIXES.values() for s in suffixes}
    if suffix in known and suffix not in NAME_SUFFIXES[content_type]:
        raise DomainError(
            f"{field}: '{name}' is named {suffix} but its content is {content_type}.", field=field
        )
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedDocument(upload, content_type, upload.size, digest.hexdigest(), name)
