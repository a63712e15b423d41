"""The OpenAPI schema (/api/schema/) tells the whole truth: every filter a list reads, the page
limit's ceiling, and the errors each operation gives, all in one Error component. The fuzz test
(test_api_fuzz.py) can only hold the API to what is written here, so nothing may drop out."""

import re

import pytest

from alerts.models import Channel, ErrorCode, Lane, Message
from alerts.services.outbox import CAUSE_TYPE_PATTERN
from config.api import MAX_ID

pytestmark = pytest.mark.django_db

ID = {"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_ID}
TEXT = {"type": "string"}
MESSAGE_FILTERS = {
    "status": {"type": "string", "enum": sorted(Message.Status.values)},
    "channel": {"type": "string", "enum": sorted(Channel.values)},
    "lane": {"type": "string", "enum": sorted(Lane.values)},
    "error_code": {"type": "string", "enum": sorted(ErrorCode.values)},
    "purpose": TEXT,
    "template_key": TEXT,
    "recipient_person_id": ID,
    "contact_point_id": ID,
    "cause_type": {"type": "string", "pattern": CAUSE_TYPE_PATTERN},
    "cause_id": ID,
}
# Each filter the views read through config.api.query_id, query_text or query_choice.
FILTERS = {
    "/api/v1/students/": {"school": TEXT, "guardian": ID},
    "/api/v1/contact-points/": {"person": ID},
    "/api/v1/student-contacts/": {"student": ID},
    "/api/v1/alerts/messages/": MESSAGE_FILTERS,
    "/api/v1/alerts/messages/summary/": MESSAGE_FILTERS,
    "/api/v1/alerts/messages/recipients/": MESSAGE_FILTERS,
    "/api/v1/cases/{case_id}/release-options/": {"student": ID, "q": TEXT},
    "/api/v1/cases/{case_id}/release-adults/": {"q": TEXT},
}
PAGINATED = [
    "/api/v1/schools/",
    "/api/v1/students/",
    "/api/v1/people/",
    "/api/v1/contact-points/",
    "/api/v1/student-contacts/",
    "/api/v1/alerts/messages/",
    "/api/v1/alerts/messages/recipients/",
    "/portal/api/review/",
    "/api/v1/campaigns/",
    "/api/v1/agency-requests/",
    "/api/v1/disclosures/",
    "/api/v1/cases/",
    "/api/v1/cases/{id}/timeline/",
    "/api/v1/tasks/",
]
# Operations whose errors are their own. Creating a campaign, opening or previewing a case and
# recording an agency's request name no object to load (an unknown guardian or school is a 400);
# a preview writes nothing, so nothing conflicts. An event's check-in link needs no sign-in: its
# signed token is the key (a bad one is a 400), and a closed event is a 409. A correction of a
# release is appended to it, whatever state the case is in.
OWN_ERRORS = {
    ("post", "/api/v1/campaigns/"): {400, 401, 403, 415},
    ("post", "/api/v1/campaigns/{id}/launch/"): {400, 401, 403, 404, 409},
    ("post", "/api/v1/cases/"): {400, 401, 403, 409, 415},
    ("post", "/api/v1/cases/preview/"): {400, 401, 403, 415},
    ("post", "/api/v1/cases/{case_id}/releases/{release_id}/corrections/"): {
        400,
        401,
        403,
        404,
        415,
    },
    ("post", "/api/v1/agency-requests/"): {400, 401, 403, 415},
    ("get", "/api/v1/checkin/{token}/"): {400, 409},
    ("post", "/api/v1/checkin/{token}/"): {400, 409, 415},
}
ERROR = {"$ref": "#/components/schemas/Error"}
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def query_parameters(schema, path: str) -> dict[str, dict]:
    parameters = schema["paths"][path]["get"].get("parameters", [])
    return {p["name"]: p["schema"] for p in parameters if p["in"] == "query"}


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def statuses(operation) -> set[int]:
    return {int(status) for status in operation["responses"]}


@pytest.mark.parametrize("path", FILTERS)
def test_the_schema_lists_each_filter_a_list_reads(schema, path):
    documented = query_parameters(schema, path)
    for name, expected in FILTERS[path].items():
        assert documented.get(name) == expected, (path, name, documented.get(name))


@pytest.mark.parametrize("path", PAGINATED)
def test_the_schema_gives_the_page_limits_ceiling(schema, path):
    documented = query_parameters(schema, path)
    assert documented["limit"] == {"type": "integer", "minimum": 1, "maximum": 1000}
    assert documented["offset"] == {"type": "integer", "minimum": 0}


def test_no_operation_documents_a_query_parameter_it_does_not_read(schema):
    for path, method, operation in operations(schema):
        names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        expected = set(FILTERS.get(path, {})) | (
            {"limit", "offset"} if path in PAGINATED else set()
        )
        assert names == (expected if method == "get" else set()), (method, path)


def test_every_error_response_is_the_one_error_component(schema):
    for path, _method, operation in operations(schema):
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                assert response["content"]["application/json"]["schema"] == ERROR, (path, status)
    error = schema["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"code", "message", "extra"}


def test_each_operation_documents_the_errors_it_gives(schema):
    """401 everywhere (no token or session); 403 for a collection or a change the caller's role
    may not make, but not for reading one object (a 404 for every caller who may not see it, a
    signed-in user with no role included: tests/test_permission_matrix.py); 404 wherever an object
    is loaded; 400 wherever a filter, a page or a body is read; 415 and 409 where a body is
    written, and also where an object's state can refuse a change that takes no body (a case
    already closed, a task already done)."""
    for path, method, operation in operations(schema):
        documented = statuses(operation)
        own = (method, path) in OWN_ERRORS
        if "{" in path and "requestBody" not in operation and not own:
            documented.discard(409)
        expected = {401, 403}
        if method == "get" and "{" in path:
            expected.remove(403)
        if "{" in path or (method == "post" and path != "/api/v1/people/"):
            expected.add(404)  # POST loads the student, person or link it names
        paged = method == "get" and path in PAGINATED
        if path in FILTERS or "requestBody" in operation or paged:
            expected.add(400)
        if "requestBody" in operation:
            expected |= {409, 415} if (method, path) != ("patch", "/api/v1/people/{id}/") else {415}
        expected = OWN_ERRORS.get((method, path), expected)
        assert {s for s in documented if s >= 400} == expected, (method, path, documented)


def test_a_method_the_schema_does_not_list_is_a_405_in_the_api_shape(api_as, data_team, schema):
    """What schemathesis's unsupported_method check does, in the ordinary suite: the routing
    refuses every method the schema leaves out, before any object is looked up."""
    api = api_as(data_team)
    for path, item in schema["paths"].items():
        url = re.sub(r"\{\w+\}", "1", path)
        for method in sorted(METHODS - set(item)):
            response = api.generic(method.upper(), url, "{}", content_type="application/json")
            assert response.status_code == 405, (method, url, response.status_code)
            assert response.json()["code"] == "method_not_allowed"
            allowed = {m.strip().lower() for m in response["Allow"].split(",")}
            assert allowed - {"head", "options"} == set(item) & METHODS, (url, allowed)


@pytest.mark.parametrize("path", PAGINATED)
def test_each_list_says_a_bad_page_is_a_400(schema, path):
    assert (
        "`limit` or `offset` is not a whole number"
        in (schema["paths"][path]["get"]["responses"]["400"]["description"])
    )
