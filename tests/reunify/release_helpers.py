"""Helpers of the release tests: a case for the Lopez family (tests/reunify/conftest.py), a
default release call, and a real PNG signature as the tablet sends it."""

import base64
import struct
import zlib

from reunify.services import case_open
from reunify.services.release import student_release


def png_data_url(width: int = 40, height: int = 10) -> str:
    """A valid PNG (grey pixels) as a data URL."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    return "data:image/png;base64," + base64.b64encode(png).decode()


def open_lopez_case(lead, family, **kwargs):
    return case_open(actor=lead, guardian_ids=[family.mother.pk], **kwargs).case


def release(actor, case, student, **kwargs):
    """student_release with the usual desk answers: photo ID, comfortable, initials."""
    values = {
        "identity": "photo_id",
        "student_comfortable": True,
        "signature_initials": "RD",
    }
    values.update(kwargs)
    return student_release(actor=actor, case=case, student=student, **values)
