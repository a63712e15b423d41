"""Data minimisation: the district protects this information by never collecting it.

One list of what the system must never hold, and one function that tells whether a name (a model
field, an API key, an import column) asks for it. Used by the system check, the API parsers and
the importers, so the three agree.
"""

import re
from collections.abc import Iterable, Mapping
from typing import Any

# Each entry is a sequence of words; a name matches when these words stand next to each other in
# it (after splitting on punctuation and camelCase), so "visa" matches "visa_type" or "VisaType"
# but not "advisable".
FORBIDDEN_WORDS: tuple[tuple[str, ...], ...] = (
    ("immigration",),
    ("immigrant",),
    ("undocumented",),
    ("citizenship",),
    ("citizen",),
    ("nationality",),
    ("country", "of", "birth"),
    ("birth", "country"),
    ("birthcountry",),
    ("countryofbirth",),
    ("visa",),
    ("a", "number"),
    ("anumber",),
    ("alien",),
    ("passport",),
    ("ssn",),
    ("social", "security"),
    ("socialsecurity",),
    ("green", "card"),
    ("greencard",),
    ("uscis",),
)

NOT_COLLECTED_MESSAGE = "'{key}' is not accepted: the district does not collect this information."

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SPLIT = re.compile(r"[^a-z0-9]+")


def _words(name: str) -> list[str]:
    return [w for w in _SPLIT.split(_CAMEL.sub(" ", name).lower()) if w]


def is_forbidden_name(name: str) -> bool:
    """True when `name` asks for information the district does not collect."""
    words = _words(str(name))
    for pattern in FORBIDDEN_WORDS:
        n = len(pattern)
        for i in range(len(words) - n + 1):
            if tuple(words[i : i + n]) == pattern:
                return True
    return False


def forbidden_keys(data: Any, prefix: str = "") -> list[str]:
    """Every key, at any depth of a JSON-like payload, that asks for forbidden information."""
    found: list[str] = []
    if isinstance(data, Mapping):
        for key, value in data.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if is_forbidden_name(str(key)):
                found.append(path)
            found.extend(forbidden_keys(value, path))
    elif isinstance(data, list | tuple):
        for i, item in enumerate(data):
            found.extend(forbidden_keys(item, f"{prefix}[{i}]"))
    return found


def forbidden_columns(columns: Iterable[str]) -> list[str]:
    return [c for c in columns if c and is_forbidden_name(c)]
