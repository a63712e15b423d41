"""What the OpenAPI schema says about the API beyond its shapes: the one error component, the
error responses an operation gives, and the filter parameters of the lists, described as the
readers in config/api.py accept them (so that schemathesis can reach the filters, and its
status-code check can hold the API to what is written here)."""

from collections.abc import Iterable

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema_serializer,
)
from rest_framework import serializers

from .api import MAX_ID


@extend_schema_serializer(component_name="Error")
class ErrorOut(serializers.Serializer):
    """Every error of the API (config.api.exception_handler)."""

    code = serializers.CharField(help_text="What went wrong, for programs: `invalid`, `not_found`…")
    message = serializers.CharField(help_text="For people; names the field and the reason.")
    extra = serializers.DictField(
        help_text="`field` (the field at fault) or `fields` (each field's reasons); may be empty."
    )


# The default meaning of each error status; an operation may say more (which conflicts).
ERRORS = {
    400: "`invalid`: a field is wrong (`message` names it, `extra.fields` gives the reasons); "
    "`parse_error`: the body is not readable JSON or form data; `not_collected`: the body holds "
    "a key the district does not collect; or a rule of the service, named by its code.",
    401: "`not_authenticated` or `authentication_failed`: no valid token or session "
    "(`WWW-Authenticate: Token`).",
    403: "`permission_denied`: the caller's role may not do this (a signed-in user with no role, "
    "on a collection; a role that may see the object but not change it).",
    404: "`not_found`: no such object, or one the caller may not see.",
    409: "`duplicate`: the value is already taken.",
    415: "`unsupported_media_type`: send JSON, form data or multipart.",
}
BAD_FILTER = {400: "`invalid`: a filter is wrong (`message` names it, `extra.fields` says why)."}


def errors(*statuses: int, say: dict[int, str] | None = None) -> dict[int, OpenApiResponse]:
    """Error responses for `extend_schema(responses=...)`, each the Error component; `say`
    replaces the default description of a status (which conflicts a 409 means, say)."""
    descriptions = ERRORS | (say or {})
    return {
        status: OpenApiResponse(ErrorOut, description=descriptions[status]) for status in statuses
    }


def id_filter(name: str, description: str) -> OpenApiParameter:
    """A filter read by config.api.query_id."""
    schema = {"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_ID}
    return OpenApiParameter(name, schema, description=description)


def text_filter(name: str, description: str) -> OpenApiParameter:
    """A filter read by config.api.query_text (a null character is a 400)."""
    return OpenApiParameter(name, str, description=description)


def choice_filter(name: str, choices: Iterable[str], description: str) -> OpenApiParameter:
    """A filter read by config.api.query_choice."""
    return OpenApiParameter(name, str, enum=list(choices), description=description)


BAD_PAGE = (
    "`invalid`: `limit` or `offset` is not a whole number, or a query parameter is not one this "
    "list takes (`message` names which)."
)
_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}


def paged_lists_refuse_bad_pages(result, generator, request, public):
    """Postprocessing hook: every paginated list answers 400 to a `limit` or `offset` that is not
    a whole number (config.api.Pagination) and to a query parameter it does not declare
    (config.api.ListFilters), whatever else its 400 means; every operation that requires
    authentication answers 401 without it; and every operation that reads a body answers 400 to
    one it cannot parse and 415 to a media type it does not take (DRF's parsers). Reading one
    object is a 404 for every caller who may not see it, a signed-in user with no role included
    (privacy.permissions.IsStaffMember): never a 403."""
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation["responses"]
            if operation.get("security") != [{}] and "401" not in responses:
                responses["401"] = {"description": ERRORS[401], "content": _ERROR}
            if method == "get" and "{" in path and operation.get("security") != [{}]:
                responses.pop("403", None)
            if "requestBody" in operation:
                for status in ("400", "415"):
                    responses.setdefault(
                        status, {"description": ERRORS[int(status)], "content": _ERROR}
                    )
            if not any(p.get("name") == "limit" for p in operation.get("parameters", ())):
                continue
            bad = responses.get("400")
            if bad is None:
                responses["400"] = {"description": BAD_PAGE, "content": _ERROR}
            else:
                bad["description"] = f"{bad['description']} Or {BAD_PAGE}"
    return result
