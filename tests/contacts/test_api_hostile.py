"""Hostile input to every write endpoint of the API (and the filters of its lists): each answer is
a 4xx in the one error shape `{"code", "message", "extra"}`, never a 500, and a refused request
writes nothing."""

import json

import pytest

from contacts.models import ContactPoint, Person, StudentContact
from privacy.models import AuditEntry
from tests.factories import PersonFactory, StudentContactFactory, StudentFactory

pytestmark = pytest.mark.django_db

HUGE = 10**30  # beyond bigint, beyond SQLite's INTEGER
MODELS = (Person, ContactPoint, StudentContact, AuditEntry)


@pytest.fixture
def client(api_as, data_team):
    """The district data team: may write contacts in every school."""
    api = api_as(data_team)
    api.raise_request_exception = False  # a 500 is an answer to assert on, not a test error
    return api


@pytest.fixture
def staff(api_as, lincoln_staff):
    api = api_as(lincoln_staff)
    api.raise_request_exception = False
    return api


def database():
    """Every row that a write endpoint could touch (the data set of a test is small)."""
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in MODELS}


def send(api, method: str, url: str, body=None, *, raw=None, content_type="application/json"):
    data = raw if raw is not None else json.dumps(body)
    return api.generic(method, url, data, content_type=content_type)


def assert_refused(response, status: int | None = None) -> dict:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    if status is not None:
        assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == {"code", "message", "extra"}, body
    assert body["code"] and body["message"], body
    return body


def write_endpoints(family) -> list[tuple[str, str, dict]]:
    """(method, url, a valid body) for every write endpoint, on Lincoln's Ana and her mother."""
    maria = family.guardian
    ana = family.children[0]
    point = maria.contact_points.get(kind="phone")
    link = family.links[0]
    pending = StudentContactFactory(
        student=ana, person=PersonFactory(), relationship="friend", pickup_status="pending_review"
    )
    return [
        ("POST", "/api/v1/people/", {"first_name": "Rosa", "last_name": "Diaz"}),
        ("PATCH", f"/api/v1/people/{maria.pk}/", {"first_name": "Mari"}),
        (
            "POST",
            "/api/v1/contact-points/",
            {"person": maria.pk, "kind": "phone", "value": "312-555-0177"},
        ),
        ("PATCH", f"/api/v1/contact-points/{point.pk}/", {"label": "home"}),
        (
            "POST",
            "/api/v1/student-contacts/",
            {"student": ana.pk, "person": family.guardian.pk, "relationship": "mother"},
        ),
        ("PATCH", f"/api/v1/student-contacts/{link.pk}/", {"lives_with": False}),
        ("POST", f"/portal/api/review/{pending.pk}/", {"decision": "approve"}),
    ]


@pytest.fixture
def endpoints(parent_of_three):
    return write_endpoints(parent_of_three)


# --- bodies that are not an object ------------------------------------------------------------


@pytest.mark.parametrize("body", [[1, 2], ["first_name"], "Rosa", None, 7, 1.5, True, []])
def test_a_body_that_is_not_an_object_is_a_400_and_writes_nothing(client, endpoints, body):
    before = database()
    for method, url, _ in endpoints:
        body_out = assert_refused(send(client, method, url, body), 400)
        assert body_out["code"] == "invalid", (url, body_out)
    assert database() == before


@pytest.mark.parametrize("garbage", [{"a": [1, {"b": None}]}, [[[]]], {"first_name": "x"}, [None]])
def test_nested_garbage_in_any_field_is_a_400_and_writes_nothing(client, endpoints, garbage):
    before = database()
    for method, url, valid in endpoints:
        for field in valid:
            body = assert_refused(send(client, method, url, valid | {field: garbage}), 400)
            assert field in body["extra"]["fields"], (url, body)
    assert database() == before


@pytest.mark.parametrize("scalar", ["", -1, 1e308, -(2**70), True, None])
def test_a_scalar_of_the_wrong_type_in_any_field_is_never_a_server_error(client, endpoints, scalar):
    """Some are fine (DRF reads -1 as the name "-1", true as a boolean); none may be a 500."""
    for method, url, valid in endpoints:
        for field in valid:
            response = send(client, method, url, valid | {field: scalar})
            assert response.status_code < 500, (url, field, scalar, response.content[:200])
            if response.status_code >= 400:
                assert_refused(response)


def test_deeply_nested_json_is_a_400_not_a_stack_overflow(client, endpoints):
    """json.loads raises RecursionError (not ValueError) past ~1000 levels; it was a 500."""
    before = database()
    for method, url, _ in endpoints:
        for raw in ("[" * 100_000, '{"a":' * 5_000 + "1" + "}" * 5_000, "[" * 40 + "]" * 40):
            body = assert_refused(send(client, method, url, raw=raw), 400)
            assert body["code"] == "parse_error"
            assert "nested deeper than 32 levels" in body["message"]
    assert database() == before


def test_a_lone_surrogate_is_a_400_not_a_500_when_the_error_echoes_it(client, parent_of_three):
    r"""JSON may spell "\ud800", which is not Unicode: an error message that quoted it ("'\ud800'
    is not a valid choice") could not be encoded, and the answer was a 500."""
    maria = parent_of_three.guardian
    before = database()
    for body in (
        {"person": maria.pk, "kind": "\ud800", "value": "3125550177"},
        {"person": maria.pk, "kind": "phone", "value": "x", "immigration\udfff": 1},
        {"person": maria.pk, "kind": "phone", "value": "3125550177", "label": ["\udbff"]},
    ):
        raw = json.dumps(body)  # ensure_ascii: the surrogate travels as a \u escape
        response = send(client, "POST", "/api/v1/contact-points/", raw=raw)
        body_out = assert_refused(response, 400)
        assert body_out["code"] == "parse_error"
        assert "surrogate" in body_out["message"]
    assert database() == before


# --- ids ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad_id", ["abc", "", -1, 0, HUGE, -HUGE, 2**63, 1.5, "1", None, [1]])
def test_a_bad_id_in_a_body_is_refused_and_writes_nothing(client, parent_of_three, bad_id):
    ana = parent_of_three.children[0]
    maria = parent_of_three.guardian
    before = database()
    for url, body in (
        ("/api/v1/contact-points/", {"person": bad_id, "kind": "email", "value": "a@example.org"}),
        ("/api/v1/student-contacts/", {"student": bad_id, "person": maria.pk, "relationship": "aunt_uncle"}),
        ("/api/v1/student-contacts/", {"student": ana.pk, "person": bad_id, "relationship": "aunt_uncle"}),
    ):  # fmt: skip
        response = send(client, "POST", url, body)
        if bad_id == "1":  # DRF reads "1" as 1: maria's id may be 1, which is not an error
            continue
        assert_refused(response)
    if bad_id != "1":
        assert database() == before


@pytest.mark.parametrize(
    "bad_id", ["abc", "-1", "0", str(HUGE), str(2**63), "1.5", "1e3", "%C2%B2", "%00", "9" * 5000]
)
def test_a_bad_id_in_the_url_is_a_json_404(client, bad_id):
    """`1.5` matches no route at all (DRF's ids stop at a dot): Django answered that with an HTML
    page; everything under /api/ now answers in the API's shape."""
    for method in ("GET", "PATCH", "DELETE"):
        for collection in ("people", "contact-points", "student-contacts"):
            if method == "DELETE" and collection == "people":
                continue
            response = send(client, method, f"/api/v1/{collection}/{bad_id}/", {"label": "home"})
            assert assert_refused(response, 404)["code"] == "not_found"
    for collection in ("students", "schools", "alerts/messages"):
        response = client.get(f"/api/v1/{collection}/{bad_id}/")
        assert assert_refused(response, 404)["code"] == "not_found"
    response = send(client, "POST", f"/portal/api/review/{bad_id}/", {"decision": "approve"})
    assert assert_refused(response, 404)["code"] == "not_found"


# --- strings ------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["Ro\x00sa", "\x00", "a" * 10_000, " " * 300, "\u202e" * 101])
def test_null_bytes_and_very_long_strings_are_400s_naming_the_field(client, endpoints, value):
    before = database()
    for method, url, valid in endpoints:
        for field, good in valid.items():
            if not isinstance(good, str) or field == "decision":
                continue
            body = assert_refused(send(client, method, url, valid | {field: value}), 400)
            assert field in body["message"], body
    assert database() == before


def test_an_oversized_phone_or_email_is_a_400(client, parent_of_three):
    maria = parent_of_three.guardian
    before = database()
    for kind, value in (("phone", "3" * 254), ("email", "a" * 250 + "@x.org"), ("email", "İ" * 200 + "@example.org")):  # fmt: skip
        body = {"person": maria.pk, "kind": kind, "value": value}
        response = send(client, "POST", "/api/v1/contact-points/", body)
        assert assert_refused(response, 400)["extra"].get("field", "value") == "value"
    assert database() == before


# --- content types ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type,raw,status,code",
    [
        ("text/plain", "first_name=Rosa", 415, "unsupported_media_type"),
        ("application/xml", "<person/>", 415, "unsupported_media_type"),
        ("application/json", "{not json", 400, "parse_error"),
        ("application/json", '{"first_name": NaN}', 400, "parse_error"),
        ("application/json", b'{"first_name": "\xff"}', 400, "parse_error"),
        ("application/json; charset=rot13", "{}", 400, "parse_error"),
        ("multipart/form-data", "--x--", 400, "parse_error"),
    ],
)
def test_wrong_content_types_are_4xx_and_write_nothing(client, endpoints, content_type, raw, status, code):  # fmt: skip
    before = database()
    for method, url, _ in endpoints:
        response = send(client, method, url, raw=raw, content_type=content_type)
        assert assert_refused(response, status)["code"] == code
    assert database() == before


def test_a_null_byte_in_a_form_post_is_a_400(client, parent_of_three):
    before = database()
    for method, url in (("POST", "/api/v1/people/"), ("PATCH", f"/api/v1/people/{parent_of_three.guardian.pk}/")):  # fmt: skip
        raw = "first_name=Ro%00sa&last_name=Diaz"
        response = send(
            client, method, url, raw=raw, content_type="application/x-www-form-urlencoded"
        )
        assert "first_name" in assert_refused(response, 400)["extra"]["fields"]
    assert database() == before


def test_a_form_post_is_read_like_json(client, parent_of_three):
    maria = parent_of_three.guardian
    response = client.post(
        "/api/v1/contact-points/", {"person": maria.pk, "kind": "phone", "value": "312-555-0177"}
    )
    assert response.status_code == 201, response.content
    assert response.json()["value"] == "+13125550177"


# --- keys -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "extra",
    [
        {"immigration_status": "x"},
        {"citizenship": None},
        {"notes": {"countryOfBirth": "x"}},
        {"documents": [{"passport_number": "x"}]},
        {"A-Number": 1},
    ],
)
def test_a_key_the_district_does_not_collect_is_refused_everywhere(client, endpoints, extra):
    before = database()
    for method, url, valid in endpoints:
        body = assert_refused(send(client, method, url, valid | extra), 400)
        assert body["code"] == "not_collected"
        assert "does not collect" in body["message"]
        assert body["extra"]["field"]
    assert database() == before


def test_a_form_post_with_a_forbidden_key_is_refused_everywhere(client, endpoints):
    before = database()
    for method, url, valid in endpoints:
        form = "&".join(f"{k}={v}" for k, v in valid.items()) + "&visa_type=x"
        response = send(
            client, method, url, raw=form, content_type="application/x-www-form-urlencoded"
        )
        assert assert_refused(response, 400)["code"] == "not_collected"
    assert database() == before


def test_unknown_keys_cannot_change_what_an_endpoint_does_not_offer(client, parent_of_three):
    """Keys outside an input serializer are ignored: no moving a link to another student, no
    verifying a phone or changing its owner, no changing the source of a relation."""
    link = parent_of_three.links[0]
    point = parent_of_three.guardian.contact_points.get(kind="phone")
    sofia = parent_of_three.children[2]
    response = send(
        client,
        "PATCH",
        f"/api/v1/student-contacts/{link.pk}/",
        {"student": sofia.pk, "person": parent_of_three.other_guardian.pk, "source": "sis",
         "verified_at": "2030-01-01T00:00:00Z", "id": 1},
    )  # fmt: skip
    assert response.status_code == 200, response.content
    link.refresh_from_db()
    assert (link.student_id, link.person_id, link.source, link.verified_at) == (
        parent_of_three.children[0].pk,
        parent_of_three.guardian.pk,
        "staff",
        None,
    )
    response = send(
        client,
        "PATCH",
        f"/api/v1/contact-points/{point.pk}/",
        {"person": parent_of_three.other_guardian.pk, "kind": "email", "verified_at": "2030-01-01"},
    )
    assert response.status_code == 200, response.content
    point.refresh_from_db()
    assert (point.person_id, point.kind, point.verified_at) == (
        parent_of_three.guardian.pk,
        "phone",
        None,
    )


# --- uniqueness and priorities --------------------------------------------------------------------


def test_duplicate_unique_values_are_409s_and_write_nothing(client, parent_of_three):
    maria = parent_of_three.guardian
    ana = parent_of_three.children[0]
    PersonFactory(sis_id="P-1")
    before = database()
    for url, body, field in (
        ("/api/v1/people/", {"first_name": "A", "last_name": "B", "sis_id": "P-1"}, "sis_id"),
        ("/api/v1/contact-points/", {"person": maria.pk, "kind": "phone", "value": "(312) 555-0101"}, "value"),
        ("/api/v1/contact-points/", {"person": maria.pk, "kind": "email", "value": "MARIA.LOPEZ@example.org"}, "value"),
        ("/api/v1/student-contacts/", {"student": ana.pk, "person": maria.pk, "relationship": "mother"}, "person"),
    ):  # fmt: skip
        body_out = assert_refused(send(client, "POST", url, body), 409)
        assert body_out["code"] == "duplicate"
        assert body_out["extra"]["field"] == field
    jose_phone = parent_of_three.other_guardian.contact_points.get(kind="phone")
    second = ContactPoint.objects.create(
        person=jose_phone.person, kind="phone", value="+13125550177", sms_capable=True
    )
    before = database()
    response = send(
        client, "PATCH", f"/api/v1/contact-points/{second.pk}/", {"value": jose_phone.value}
    )
    assert assert_refused(response, 409)["code"] == "duplicate"
    assert database() == before


def test_a_priority_clash_on_create_is_a_409_and_writes_nothing(client, parent_of_three):
    ana = parent_of_three.children[0]
    rosa = PersonFactory(first_name="Rosa")
    before = database()
    body = {
        "student": ana.pk,
        "person": rosa.pk,
        "relationship": "aunt_uncle",
        "emergency_priority": 1,
    }
    body_out = assert_refused(send(client, "POST", "/api/v1/student-contacts/", body), 409)
    assert body_out["code"] == "priority_taken"
    assert body_out["extra"]["field"] == "emergency_priority"
    body["pickup_status"] = "prohibited"
    body["emergency_priority"] = 5
    body_out = assert_refused(send(client, "POST", "/api/v1/student-contacts/", body), 400)
    assert body_out["code"] == "prohibited_emergency_contact"
    assert database() == before


@pytest.mark.parametrize("priority", [0, -1, 100, HUGE, "1st", 1.5, True, [1]])
def test_an_out_of_range_priority_is_a_400(client, parent_of_three, priority):
    link = parent_of_three.links[1]
    before = database()
    response = send(
        client, "PATCH", f"/api/v1/student-contacts/{link.pk}/", {"emergency_priority": priority}
    )
    assert "emergency_priority" in assert_refused(response, 400)["message"]
    assert database() == before


# --- another school's objects ---------------------------------------------------------------------


def test_another_schools_objects_are_404_for_every_write(api_as, washington_staff, parent_of_three):
    """Washington's staff may not touch Lincoln-only records: 404 (never 403), nothing changed."""
    api = api_as(washington_staff)
    api.raise_request_exception = False
    lincoln_only = StudentContactFactory(
        student=StudentFactory(school=parent_of_three.children[0].school), relationship="aunt_uncle"
    )
    point = ContactPoint.objects.create(
        person=lincoln_only.person, kind="email", value="tia@example.org"
    )
    before = database()
    for method, url, body in (
        ("PATCH", f"/api/v1/people/{lincoln_only.person_id}/", {"first_name": "X"}),
        ("PATCH", f"/api/v1/contact-points/{point.pk}/", {"label": "home"}),
        ("DELETE", f"/api/v1/contact-points/{point.pk}/", None),
        ("PATCH", f"/api/v1/student-contacts/{lincoln_only.pk}/", {"lives_with": False}),
        ("DELETE", f"/api/v1/student-contacts/{lincoln_only.pk}/", None),
        ("POST", "/api/v1/contact-points/", {"person": lincoln_only.person_id, "kind": "email", "value": "b@example.org"}),
        ("POST", "/api/v1/student-contacts/", {"student": lincoln_only.student_id, "person": lincoln_only.person_id, "relationship": "other"}),
        ("GET", f"/api/v1/students/{lincoln_only.student_id}/", None),
    ):  # fmt: skip
        response = send(api, method, url, body)
        assert assert_refused(response, 404)["code"] == "not_found", (method, url)
    assert database() == before


def test_put_is_not_offered_and_answers_in_the_api_shape(client, endpoints):
    before = database()
    for _, url, valid in endpoints:
        if "/portal/" in url or url.endswith("/v1/people/") or url.count("/") < 5:
            continue
        response = send(client, "PUT", url, valid)
        assert assert_refused(response, 405)["code"] == "method_not_allowed"
    assert database() == before


def test_review_decision_refuses_anything_but_approve_or_reject(client, endpoints):
    _, url, _ = endpoints[-1]
    before = database()
    for body in ({"decision": "APPROVE"}, {"decision": ["approve"]}, {"decision": None}, {}):
        assert "decision" in assert_refused(send(client, "POST", url, body), 400)["message"]
    assert database() == before


# --- filters and pages of the lists ---------------------------------------------------------------


@pytest.mark.parametrize(
    "url,param",
    [
        ("/api/v1/contact-points/?person={}", "person"),
        ("/api/v1/student-contacts/?student={}", "student"),
        ("/api/v1/alerts/messages/?recipient_person_id={}", "recipient_person_id"),
        ("/api/v1/alerts/messages/?contact_point_id={}", "contact_point_id"),
        ("/api/v1/alerts/messages/summary/?contact_point_id={}", "contact_point_id"),
    ],
)
@pytest.mark.parametrize(
    "value", ["%C2%B2", "%D9%A3", str(HUGE), str(2**63), "9" * 5000, "-1", "0", "x"]
)
def test_a_bad_id_filter_is_a_400_naming_it(client, parent_of_three, url, param, value):
    """ "²".isdigit() is True but int("²") fails, and 10**30 overflows SQLite: both were 500s."""
    body = assert_refused(client.get(url.format(value)), 400)
    assert body["code"] == "invalid"
    assert body["message"].startswith(f"{param}:")
    assert param in body["extra"]["fields"]


@pytest.mark.parametrize("param", ["status", "channel", "lane", "error_code"])
@pytest.mark.parametrize("path", ["", "summary/", "recipients/"])
def test_a_value_outside_a_filters_set_is_a_400_naming_it(client, param, path):
    """The schema lists the values; a misspelt `?status=deliverd` matched nothing, a 200 that
    looked like an answer."""
    for value in ("deliverd", "SENT", "sent%00", "%C3%A9"):
        body = assert_refused(client.get(f"/api/v1/alerts/messages/{path}?{param}={value}"), 400)
        assert body["message"].startswith(f"{param}: must be one of ")
        assert param in body["extra"]["fields"]


def test_a_good_id_filter_still_filters(client, parent_of_three):
    maria = parent_of_three.guardian
    rows = client.get(f"/api/v1/contact-points/?person={maria.pk}").json()["results"]
    assert {row["person"] for row in rows} == {maria.pk}
    assert client.get("/api/v1/contact-points/?person=").json()["count"] == 3


@pytest.mark.parametrize(
    "url,param",
    [
        ("/api/v1/students/?school=%00", "school"),
        ("/api/v1/alerts/messages/?status=a%00b", "status"),
        ("/api/v1/alerts/messages/recipients/?template_key=%00", "template_key"),
    ],
)
def test_a_null_byte_in_a_text_filter_is_a_400(client, parent_of_three, url, param):
    """PostgreSQL cannot hold a NUL in text: the query failed there with a 500."""
    body = assert_refused(client.get(url), 400)
    assert body["message"].startswith(f"{param}:")


@pytest.mark.parametrize("url", ["/api/v1/students/", "/api/v1/people/", "/portal/api/review/", "/api/v1/alerts/messages/recipients/"])  # fmt: skip
def test_a_huge_page_limit_is_capped_not_a_500(client, parent_of_three, url):
    """LIMIT 10**30 reached the database (SQLite: datatype mismatch; PostgreSQL: out of range)."""
    for query in (f"limit={HUGE}", f"offset={HUGE}", f"limit={HUGE}&offset={HUGE}", "limit=", "offset=", "offset=" + "9" * 5000, "limit=" + "9" * 5000):  # fmt: skip
        response = client.get(f"{url}?{query}")
        assert response.status_code == 200, (query, response.content[:200])
    response = client.get(f"{url}?limit={HUGE}")
    assert f"limit={HUGE}" not in (response.json()["next"] or "")


@pytest.mark.parametrize("url", ["/api/v1/students/", "/portal/api/review/"])
@pytest.mark.parametrize(
    "query,param",
    [("limit=-1", "limit"), ("limit=0", "limit"), ("limit=ten", "limit"), ("limit=%C2%B2", "limit"),
     ("offset=x", "offset"), ("offset=-100", "offset"), ("offset=1.5", "offset")],
)  # fmt: skip
def test_a_page_limit_or_offset_that_is_not_a_whole_number_is_a_400_naming_it(
    client, parent_of_three, url, query, param
):
    """DRF read these as the first page, which a script would take for the answer."""
    body = assert_refused(client.get(f"{url}?{query}"), 400)
    assert body["message"].startswith(f"{param}:")


def test_a_whole_page_offset_still_pages(client, parent_of_three):
    first = client.get("/api/v1/students/?limit=1").json()
    second = client.get("/api/v1/students/?limit=1&offset=1").json()
    assert first["count"] == second["count"] >= 2
    assert first["results"][0]["id"] != second["results"][0]["id"]


# --- a new adult inside a link (POST /student-contacts/ with new_person) -----------------------


def new_person_body(family) -> dict:
    return {
        "student": family.children[0].pk,
        "relationship": "aunt_uncle",
        "new_person": {
            "first_name": "Rosa",
            "last_name": "Diaz",
            "contact_points": [{"kind": "phone", "value": "312-555-0177"}],
        },
    }


NEW_PERSON_PATHS = [
    ("new_person", "first_name"),
    ("new_person", "last_name"),
    ("new_person", "preferred_language"),
    ("new_person", "contact_points"),
    ("new_person", "contact_points", 0, "kind"),
    ("new_person", "contact_points", 0, "value"),
    ("new_person", "contact_points", 0, "label"),
]


def _set(body: dict, path: tuple, value) -> dict:
    out = json.loads(json.dumps(body))
    target = out
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return out


def _dotted(path: tuple) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


@pytest.mark.parametrize("value", [{"a": [1]}, [[[]]], None, "Ro\x00sa", "a" * 10_000])
def test_hostile_values_inside_a_new_adult_are_400s_naming_the_field_and_write_nothing(
    client, parent_of_three, value
):
    valid = new_person_body(parent_of_three)
    before = database()
    for path in NEW_PERSON_PATHS:
        response = send(client, "POST", "/api/v1/student-contacts/", _set(valid, path, value))
        body = assert_refused(response, 400)
        named = [body["extra"].get("field", "")] + list(body["extra"].get("fields", {}))
        assert any(name.startswith(_dotted(path)) for name in named), (path, body)
    assert database() == before


@pytest.mark.parametrize("scalar", ["", -1, 1e308, -(2**70), True])
def test_a_scalar_of_the_wrong_type_inside_a_new_adult_is_never_a_server_error(
    client, parent_of_three, scalar
):
    valid = new_person_body(parent_of_three)
    for path in NEW_PERSON_PATHS:
        response = send(client, "POST", "/api/v1/student-contacts/", _set(valid, path, scalar))
        assert response.status_code < 500, (path, scalar, response.content[:200])
        if response.status_code >= 400:
            assert_refused(response)
        else:  # DRF reads True as the name "True": a new adult, removed for the next path
            StudentContact.objects.filter(pk=response.json()["id"]).delete()


def test_a_forbidden_key_inside_a_new_adult_is_refused(client, parent_of_three):
    valid = new_person_body(parent_of_three)
    before = database()
    for path in (("new_person", "ssn"), ("new_person", "contact_points", 0, "passport_no")):
        body = assert_refused(send(client, "POST", "/api/v1/student-contacts/", _set(valid, path, "1")), 400)  # fmt: skip
        assert (body["code"], body["extra"]["field"]) == ("not_collected", _dotted(path))
    assert database() == before


def test_too_many_contact_points_for_a_new_adult_is_a_400(client, parent_of_three):
    points = [{"kind": "phone", "value": f"312-555-01{n:02d}"} for n in range(11)]
    valid = _set(new_person_body(parent_of_three), ("new_person", "contact_points"), points)
    before = database()
    body = assert_refused(send(client, "POST", "/api/v1/student-contacts/", valid), 400)
    assert "new_person.contact_points" in body["message"]
    assert database() == before


def test_a_forbidden_key_in_the_query_string_of_any_write_is_refused(client, endpoints):
    before = database()
    for method, url, valid in endpoints:
        body = assert_refused(send(client, method, f"{url}?socialSecurity=1", valid), 400)
        assert (body["code"], body["extra"]["field"]) == ("not_collected", "socialSecurity")
    assert database() == before
