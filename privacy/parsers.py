"""Request parsers that refuse a payload carrying a key the district does not collect.

The JSON parser also refuses what no API body needs and the rest of the stack cannot take: a body
nested deeper than MAX_DEPTH (Python's decoder and every recursive walk would run out of stack) and
text that is not Unicode (a lone surrogate such as "\\ud800" is valid JSON syntax, but it cannot be
encoded, so echoing it back in an error message would fail).
"""

import re

from rest_framework import parsers
from rest_framework.exceptions import ParseError

from .errors import NotCollected
from .minimisation import forbidden_keys

# The deepest body the API accepts is an object of scalars; leave room for integrations that nest.
MAX_DEPTH = 32
_SURROGATE = re.compile("[\ud800-\udfff]")


def check_json_shape(data) -> None:
    """Raise ParseError if `data` nests deeper than MAX_DEPTH or holds a lone surrogate.

    Iterative, so that a hostile body cannot exhaust the stack here either."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                raise ParseError(
                    "JSON parse error - a string holds a lone surrogate (not Unicode)."
                )
        elif isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise ParseError(f"JSON parse error - nested deeper than {MAX_DEPTH} levels.")
            items = value.items() if isinstance(value, dict) else ((None, v) for v in value)
            for key, item in items:
                if key is not None:
                    stack.append((key, depth))
                stack.append((item, depth + 1))


class _Guarded:
    """Refuse a body naming what the district does not collect: a JSON key at any depth, a form
    field, a multipart part (a file part too). Query strings get the same check once for the
    whole API (config.api.ForbiddenQueryKeysMiddleware)."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if isinstance(data, parsers.DataAndFiles):
            keys = forbidden_keys(data.data) + forbidden_keys({name: None for name in data.files})
        else:
            keys = forbidden_keys(data)
        if keys:
            raise NotCollected(keys)
        return data


class _ShapedJSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:  # the C decoder counts nesting against the stack limit
            raise ParseError(f"JSON parse error - nested deeper than {MAX_DEPTH} levels.") from exc
        check_json_shape(data)
        return data


class GuardedJSONParser(_Guarded, _ShapedJSONParser):
    pass


class GuardedFormParser(_Guarded, parsers.FormParser):
    pass


class GuardedMultiPartParser(_Guarded, parsers.MultiPartParser):
    pass
