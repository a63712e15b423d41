"""Small files for upload tests: real magic bytes, tiny bodies."""

from django.core.files.uploadedfile import SimpleUploadedFile

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def png(name="warrant.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def pdf(name="warrant.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def fake_pdf(name="warrant.pdf"):
    """A text file that only says it is a PDF."""
    return SimpleUploadedFile(name, b"this is not a pdf at all", content_type="application/pdf")
