"""Schemathesis against the project's own OpenAPI schema (/api/schema/), in process through the
WSGI app: every operation, with data that fits the schema and data that does not, as the
district data team and as a school staff member, with every filter the schema documents. No
request may get a 500; every status must be one the operation documents; a success must match
its documented schema; an error must be `{"code", "message", "extra"}`; and an operation must
refuse the request without the token or with a wrong one (a 401, documented on every operation).

Not checked: that schema-violating input is refused (schemathesis's negative_data_rejection). The
paginator reads a bad `limit` or `offset` as the default page, as DRF does, and DRF serializers
read `5` as the text "5" and "yes" as true; both are lenient by design.

Deterministic (derandomized Hypothesis, no example database) and bounded (FUZZ_EXAMPLES per
operation, mode and caller), so it runs in the ordinary suite. For a longer run:
`REUNIFY_FUZZ_EXAMPLES=500 .venv/bin/pytest tests/contacts/test_api_fuzz.py -p no:cacheprovider`.
"""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import EmailFactory, PersonFactory, PhoneFactory, StudentContactFactory

# Django's own WSGI handler: config.wsgi adds the deployment's startup check for real SMS and
# email transports, which the tests replace with their local fakes.
application = get_wsgi_application()

pytestmark = pytest.mark.django_db

FUZZ_EXAMPLES = int(os.environ.get("REUNIFY_FUZZ_EXAMPLES", "12"))
FUZZ_SETTINGS = settings(
    max_examples=FUZZ_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],  # a failure is reported as found, not shrunk
    suppress_health_check=list(HealthCheck),
)


def error_has_the_project_shape(ctx, response, case):
    """Every 4xx answer names a code, a message and extra data, the one shape of the API."""
    if 400 <= response.status_code < 500:
        where = f"{case.method} {case.formatted_path} -> {response.status_code}"
        content_type = {k.lower(): v for k, v in response.headers.items()}.get("content-type")
        assert "application/json" in str(content_type), f"{where}: {content_type}"
        body = response.json()
        assert isinstance(body, dict), f"{where}: the body is not an object"
        assert {"code", "message", "extra"} <= set(body), f"{where}: {sorted(body)}"
    return True


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    content_type_conformance,
    response_headers_conformance,
    ignored_auth,
]


@pytest.fixture
def seeded(lincoln, washington, parent_of_three):
    """A little of everything, so that some generated ids name real rows."""
    uncle = PersonFactory(first_name="Tomas", preferred_language="es")
    PhoneFactory(person=uncle, value="+525512345678")
    EmailFactory(person=uncle)
    StudentContactFactory(
        student=parent_of_three.children[0],
        person=uncle,
        relationship="aunt_uncle",
        legal_guardian=False,
        pickup_status="pending_review",
        source="portal",
    )
    return parent_of_three


@pytest.fixture
def api_schema():
    # As Django's test client does: the WSGI app must not close the test's connection (and its
    # transaction) at the end of each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/", application)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _sign_in(schema, user) -> None:
    """Every generated request carries the user's token, as the auth the schema declares: the
    auth check then also sends each request without it and with a wrong one, and expects it
    refused (a 401)."""
    key = Token.objects.create(user=user).key

    @schema.auth(refresh_interval=None)
    class TokenAuth:
        def get(self, case, ctx):
            return key

        def set(self, case, data, ctx):
            case.headers = {**(case.headers or {}), "Authorization": f"Token {data}"}


def _fuzz(operation, mode: GenerationMode, sent: set, path_parameters=None) -> bool:
    """Run the operation's examples, adding the query parameters sent to `sent`; False when the
    mode has nothing to generate (a negative case for an operation without parameters or body)."""
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)

    @FUZZ_SETTINGS
    @given(case=strategy)
    def run(case):
        sent.update((operation.label, name) for name in case.query or {})
        case.call_and_validate(checks=CHECKS, additional_checks=[error_has_the_project_shape])

    try:
        run()
    except Unsatisfiable:
        return False
    except Exception as exc:
        exc.add_note(f"while fuzzing {operation.label} ({mode})")
        raise
    return True


@pytest.mark.parametrize("persona", ["data_team", "lincoln_staff"])
def test_no_api_request_gets_a_server_error(request, persona, seeded, api_schema):
    user = request.getfixturevalue(persona)
    _sign_in(api_schema, user)
    # Real ids for the {id} of each path: a Lincoln student's adult, link and phone.
    link = seeded.links[0]
    real = {
        "students": link.student_id,
        "people": link.person_id,
        "contact-points": link.person.contact_points.first().pk,
        "student-contacts": link.pk,
        "schools": link.student.school_id,
    }
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 20
    runs = 0
    sent: set[tuple[str, str]] = set()
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            runs += _fuzz(operation, mode, sent)
        collection = operation.path.removeprefix("/api/v1/").split("/")[0]
        if "{id}" in operation.path and collection in real:
            runs += _fuzz(operation, GenerationMode.POSITIVE, sent, {"id": real[collection]})
    assert runs >= 2 * len(operations)
    # Every documented filter and page parameter was exercised, with good values and bad.
    documented = {(op.label, parameter.name) for op in operations for parameter in op.query}
    assert ("GET /api/v1/contact-points/", "person") in documented
    assert documented - sent == set()
