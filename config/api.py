"""One exception handler for the API: every error is `{"code", "message", "extra"}`.

A validation error names the field and the reason ("phone: 'x' is not a valid US phone number").
A denied object is a 404, the same as a missing one, so ids cannot be probed.

Also the pieces every list endpoint shares: the paginator; the rule that a list takes only the
query parameters it declares (`ListFilters`: a misspelt or unsupported filter is a 400 naming
it, never silently ignored); and the readers of filter parameters, which answer a bad value with
a 400 that names the parameter instead of passing it to the database. And the one check of query
strings for keys the district does not collect (`ForbiddenQueryKeysMiddleware`), which the
request parsers (privacy/parsers.py) make of bodies.
"""

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.views.defaults import page_not_found, server_error
from rest_framework import exceptions, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from privacy.errors import DomainError, NotCollected
from privacy.minimisation import forbidden_keys

# Ids are BigAutoField: a larger number names no row, and SQLite cannot even bind it.
MAX_ID = 2**63 - 1


class Pagination(LimitOffsetPagination):
    # Without a ceiling `?limit=10**30` reaches the database as a LIMIT it refuses.
    max_limit = 1000

    # DRF reads a limit or offset that is not a whole number as the default page: a script asking
    # for `?offset=-100` or `?limit=ten` would get the first page and take it for the answer.
    # A limit above the ceiling is a whole number and is read as the ceiling (`next` goes on).
    def get_limit(self, request):
        _check_whole(request, self.limit_query_param, positive=True)
        return super().get_limit(request)

    def get_offset(self, request):
        _check_whole(request, self.offset_query_param, positive=False)
        return super().get_offset(request)

    def get_schema_operation_parameters(self, view):
        limit, offset = super().get_schema_operation_parameters(view)
        limit["description"] += (
            f" At most {self.max_limit}; a larger limit is read as {self.max_limit}."
        )
        limit["schema"] |= {"minimum": 1, "maximum": self.max_limit}
        offset["schema"] |= {"minimum": 0}
        return [limit, offset]


# Every list takes these: the paginator's, and DRF's renderer override (`?format=json`).
COMMON_QUERY_PARAMETERS = ("limit", "offset", "format")


def check_query_parameters(request, declared: Iterable[str]) -> None:
    """Refuse a query parameter that is neither common nor one of `declared`: a filter the list
    does not know (`/students/?person=5`) would otherwise be ignored and the whole list taken for
    the answer. A 400 naming the first unknown parameter and what the list takes."""
    allowed = (*COMMON_QUERY_PARAMETERS, *declared)
    unknown = sorted(set(request.query_params) - set(allowed))
    if unknown:
        raise exceptions.ValidationError(
            {unknown[0]: [f"is not a parameter of this list; it takes {', '.join(allowed)}."]}
        )


class ListFilters:
    """Mixin for a list view or viewset: `list_filters` names the query parameters its lists
    read (besides COMMON_QUERY_PARAMETERS); any other is a 400. Checked after authentication
    (an anonymous caller gets a 401 first). A viewset's detail routes are not lists and are not
    checked; its extra list routes (`@action(detail=False)`) are."""

    list_filters: tuple[str, ...] = ()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method in ("GET", "HEAD") and not getattr(self, "detail", False):
            check_query_parameters(request, self.list_filters)


class ForbiddenQueryKeysMiddleware:
    """A query string under the API that names something the district does not collect
    (`POST /api/v1/people/?ssn=…`) is refused as a body holding it is: a 400 `not_collected`
    naming the key, before any view runs."""

    PREFIXES = ("/api/", "/portal/api/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(self.PREFIXES) and request.GET:
            keys = forbidden_keys(request.GET)
            if keys:
                error = NotCollected(keys)
                return JsonResponse(_body(error.code, error.message, error.extra), status=400)
        return self.get_response(request)


def _check_whole(request, name: str, *, positive: bool) -> None:
    raw = request.query_params.get(name, "")
    if not raw:
        return
    # str.isdigit() is also true for "²", which is no number; int() is not used, as it refuses
    # strings of more than 4,300 digits. A string of zeros is 0.
    if not (raw.isascii() and raw.isdigit()) or (positive and not raw.strip("0")):
        least = 1 if positive else 0
        raise exceptions.ValidationError({name: [f"must be a whole number from {least}."]})


def query_id(request, name: str) -> int | None:
    """The id in query parameter `name`; None when it is absent or empty."""
    raw = request.query_params.get(name, "")
    if not raw:
        return None
    # str.isdigit() is also true for "²" and other digits int() refuses; 19 digits hold MAX_ID.
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 19 and 1 <= int(raw) <= MAX_ID):
        raise exceptions.ValidationError({name: ["must be an id (a whole number from 1)."]})
    return int(raw)


def query_text(request, name: str) -> str | None:
    """The text in query parameter `name`; None when it is absent or empty."""
    raw = request.query_params.get(name, "")
    if "\x00" in raw:  # PostgreSQL text cannot hold a NUL: the query would fail, not match nothing
        raise exceptions.ValidationError({name: ["null characters are not allowed."]})
    return raw or None


def query_choice(request, name: str, choices: Iterable[str]) -> str | None:
    """The value of query parameter `name`, one of `choices`; None when it is absent or empty.
    A value outside the set is refused: a misspelt `?status=deliverd` would otherwise match
    nothing and look like an answer."""
    raw = request.query_params.get(name, "")
    if not raw:
        return None
    allowed = list(choices)
    if raw not in allowed:
        raise exceptions.ValidationError({name: [f"must be one of {', '.join(allowed)}."]})
    return raw


def _flatten(detail, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(detail, dict):
        out = []
        for key, value in detail.items():
            if isinstance(key, int):  # a list's errors by position (ListField, many=True)
                out.extend(_flatten(value, f"{prefix}[{key}]"))
                continue
            name = key if key != "non_field_errors" else ""
            out.extend(_flatten(value, f"{prefix}.{name}" if prefix and name else prefix or name))
        return out
    if isinstance(detail, list):
        out = []
        for i, item in enumerate(detail):
            if isinstance(item, dict):
                out.extend(_flatten(item, f"{prefix}[{i}]"))
            else:
                out.extend(_flatten(item, prefix))
        return out
    return [(prefix, str(detail))]


def _body(code: str, message: str, extra: dict | None = None) -> dict:
    return {"code": code, "message": message, "extra": extra or {}}


# Where Django reports a body over DATA_UPLOAD_MAX_MEMORY_SIZE; the API reports it there too.
_too_big_logger = logging.getLogger("django.security.RequestDataTooBig")


def exception_handler(exc, context):
    if isinstance(exc, RequestDataTooBig):
        # The client's mistake, answered with a 400: a warning naming the request, never the
        # body, instead of Django's ERROR with a traceback.
        request = context.get("request")
        _too_big_logger.warning(
            "request body over %s bytes refused: %s %s",
            settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
            getattr(request, "method", "?"),
            getattr(request, "path", "?"),
        )
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        exc = exceptions.ParseError(f"The request body is larger than the {limit} bytes accepted.")
    if isinstance(exc, DomainError):
        return Response(_body(exc.code, exc.message, exc.extra), status=exc.status)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )
    if isinstance(exc, Http404 | exceptions.NotFound):
        return Response(_body("not_found", "Not found."), status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, PermissionDenied):  # contacts/access.py says which change is refused
        exc = exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, exceptions.ValidationError):
        pairs = _flatten(exc.detail)
        message = " ".join(f"{field}: {reason}" if field else reason for field, reason in pairs)
        fields: dict[str, list[str]] = {}
        for field, reason in pairs:
            fields.setdefault(field or "non_field_errors", []).append(reason)
        return Response(_body("invalid", message, {"fields": fields}), status=400)
    response = drf_exception_handler(exc, context)
    if response is not None:
        detail = getattr(exc, "detail", "")
        code = getattr(exc, "default_code", "error")
        response.data = _body(str(code), str(detail))
    return response


def not_found(request, exception):
    """handler404: a URL under the API that no route matches (`/api/v1/people/1.5/`) answers in the
    API's shape, as a missing object does; elsewhere Django's page."""
    if request.path.startswith(("/api/", "/portal/api/")):
        return JsonResponse(_body("not_found", "Not found."), status=404)
    return page_not_found(request, exception)


def crashed(request):
    """handler500: an unexpected error under the API still answers in the API's shape (the
    traceback goes to the log, never to the client); elsewhere Django's page."""
    if request.path.startswith(("/api/", "/portal/api/")):
        body = _body("server_error", "Something went wrong on our side. Please try again.")
        return JsonResponse(body, status=500)
    return server_error(request)
