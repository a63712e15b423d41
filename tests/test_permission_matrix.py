"""The permission matrix (docs/permissions.md), probed from the outside: every API operation of
the OpenAPI schema that takes an object id, and every staff page whose URL takes one, called as
every role against objects that role must not see. Each answer is a 404 — the same as an id that
does not exist — never a 403 and never the object: zero leaks.

The world: Washington Middle School holds the hidden objects (a family, its case, its tasks, a
release, a guardian's code, an agency request, a campaign, a message); the school staff and the
counselor serve Lincoln Elementary only, and the counselor is in no case."""

import re
from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from alerts.models import Message
from contacts.campaigns.services.lifecycle import campaign_create
from contacts.models import StudentContact
from privacy.roles import Role
from privacy.services.agency import Intake, agency_request_receive
from reunify.models import CaseStudent, Task
from reunify.services import case_open
from reunify.services.release import release_code_request, student_release
from tests.factories import (
    PersonFactory,
    PhoneFactory,
    StudentContactFactory,
    StudentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ROLES = ["school_staff", "counselor", "crisis_lead", "legal", "data_team", "admin", "no_role"]
# Who must not see each kind of object (docs/permissions.md, docs/privacy.md, docs/campaigns.md).
CONTACTS = {"school_staff", "counselor", "legal", "no_role"}
HIDDEN = {
    "school": CONTACTS,
    "student": CONTACTS,
    "person": CONTACTS,
    "contact_point": CONTACTS,
    "student_contact": CONTACTS,
    "review_link": CONTACTS,
    "message": CONTACTS,
    "case": {"school_staff", "counselor", "legal", "data_team", "no_role"},
    "case_student": {"school_staff", "counselor", "legal", "data_team", "no_role"},
    "task": {"school_staff", "counselor", "legal", "data_team", "no_role"},
    "release": {"school_staff", "counselor", "legal", "data_team", "no_role"},
    "code": {"school_staff", "counselor", "legal", "data_team", "no_role"},
    "agency_request": {"school_staff", "counselor", "crisis_lead", "data_team", "no_role"},
    "campaign": {"school_staff", "counselor", "crisis_lead", "legal", "no_role"},
}
# Which object a path's id names: the resource before it in the path.
API_RESOURCES = {
    "schools": "school",
    "students": "student",
    "people": "person",
    "contact-points": "contact_point",
    "student-contacts": "student_contact",
    "review": "review_link",
    "alerts/messages": "message",
    "cases": "case",
    "tasks": "task",
    "releases": "release",
    "release-codes": "code",
    "agency-requests": "agency_request",
    "campaigns": "campaign",
}
# The staff pages' URL parameters, by the namespace of the pattern and the parameter's name.
PAGE_PARAMETERS = {
    ("reunify", "case_id"): "case",
    ("reunify", "case_student_id"): "case_student",
    ("reunify", "task_id"): "task",
    ("campaigns", "pk"): "campaign",
    ("privacy", "pk"): "agency_request",
    ("portal", "link_id"): "review_link",
}
PUBLIC = {"/api/v1/checkin/{token}/"}  # the signed token is the key; no object id
# Where the staff pages are (the portal's own pages are a guardian's, scoped to their household).
STAFF = ("staff/", "privacy/", "portal/staff/")


@pytest.fixture
def world(
    lincoln,
    washington,
    lincoln_staff,
    washington_staff,
    counselor_at_lincoln,
    crisis_lead,
    data_team,
):
    mother = PersonFactory(first_name="Hoa", last_name="Tran")
    phone = PhoneFactory(person=mother, value="+13125550181")
    aunt = PersonFactory(first_name="Lan", last_name="Tran")
    PhoneFactory(person=aunt, value="+13125550182")
    pending = PersonFactory(first_name="Minh", last_name="Do")
    children = [
        StudentFactory(first_name="Bao", last_name="Tran", school=washington, grade="07"),
        StudentFactory(first_name="Mai", last_name="Tran", school=washington, grade="08"),
    ]
    for child in children:
        StudentContactFactory(student=child, person=mother, emergency_priority=None)
        StudentContactFactory(
            student=child,
            person=aunt,
            relationship="aunt_uncle",
            legal_guardian=False,
            emergency_priority=1,
            pickup_status=StudentContact.Pickup.ALLOWED,
        )
    review = StudentContactFactory(
        student=children[0],
        person=pending,
        relationship="other",
        legal_guardian=False,
        emergency_priority=2,
        pickup_status=StudentContact.Pickup.PENDING,
    )
    case = case_open(actor=crisis_lead, guardian_ids=[mother.pk]).case
    release = student_release(
        actor=crisis_lead,
        case=case,
        student=children[0],
        person=aunt,
        identity="photo_id",
        student_comfortable=True,
        signature_initials="LT",
    ).release
    code = release_code_request(
        actor=crisis_lead, case=case, student=children[1], guardian=mother, adult_name="Nga Vo"
    )
    agency = agency_request_receive(
        actor=washington_staff,  # its filer sees the confirmation page; nobody else here does
        intake=Intake(
            school_id=washington.pk,
            officer_name="J. Smith",
            agency="An agency",
            purpose="Asked for a student",
            document_kind="none",
            student_ids=[children[0].pk],
        ),
    )
    now = timezone.now()
    campaign = campaign_create(
        actor=data_team,
        name="Autumn check",
        scope="schools",
        school_ids=[washington.pk],
        channels=["sms"],
        opens_at=now,
        closes_at=now + timedelta(days=14),
    )
    ids = {
        "school": washington.pk,
        "student": children[0].pk,
        "person": mother.pk,
        "contact_point": phone.pk,
        "student_contact": StudentContact.objects.get(student=children[0], person=mother).pk,
        "review_link": review.pk,
        "message": Message.objects.filter(recipient_person_id=aunt.pk).first().pk,
        "case": case.pk,
        "case_student": CaseStudent.objects.get(case=case, student=children[1]).pk,
        "task": Task.objects.filter(case_student__case=case).first().pk,
        "release": release.pk,
        "code": code.pk,
        "agency_request": agency.pk,
        "campaign": campaign.pk,
    }
    actors = {
        "school_staff": lincoln_staff,
        "counselor": counselor_at_lincoln,
        "crisis_lead": crisis_lead,
        "legal": UserFactory(username="legal.office", roles=[Role.LEGAL]),
        "data_team": data_team,
        "admin": UserFactory(username="district.admin", roles=[Role.ADMIN]),
        "no_role": UserFactory(username="nobody"),
    }
    return ids, actors


def _api_operations():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, item in schema["paths"].items():
        if "{" not in path or path in PUBLIC:
            continue
        for method in ("get", "post", "patch", "put", "delete"):
            if method in item:
                yield method, path


def _api_url(path: str, ids: dict) -> tuple[str, set[str]]:
    """The path with each id replaced by the hidden object it names, and those objects' kinds."""
    kinds = set()

    def fill(match):
        resource = match.group(1)
        kind = next(k for r, k in API_RESOURCES.items() if resource.endswith(r))
        kinds.add(kind)
        return f"{match.group(1)}/{ids[kind]}"

    return re.sub(r"([\w/.-]+?)/\{\w+\}", fill, path), kinds


def test_every_api_operation_on_an_object_a_role_may_not_see_is_a_404(world):
    ids, actors = world
    probed, leaks = 0, []
    for method, path in _api_operations():
        url, kinds = _api_url(path, ids)
        for role in ROLES:
            if not any(role in HIDDEN[kind] for kind in kinds):
                continue
            client = APIClient()
            client.force_authenticate(actors[role])
            response = getattr(client, method)(url, {}, format="json")
            probed += 1
            if response.status_code != 404:
                leaks.append((role, method.upper(), url, response.status_code))
    assert probed > 200  # every operation with an id, for each role that may not see it
    assert leaks == [], "\n".join(map(str, leaks))


def _page_routes(resolver=None, prefix="", namespace=""):
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _page_routes(entry, route, entry.namespace or namespace)
        elif isinstance(entry, URLPattern) and "<int:" in route and route.startswith(STAFF):
            yield namespace, route


def test_every_staff_page_of_an_object_a_role_may_not_see_is_a_404(world, client):
    ids, actors = world
    probed, leaks, unmapped = 0, [], []
    for namespace, route in _page_routes():
        names = re.findall(r"<int:(\w+)>", route)
        kinds = [PAGE_PARAMETERS.get((namespace, name)) for name in names]
        if None in kinds:
            unmapped.append(route)
            continue
        for name, kind in zip(names, kinds, strict=True):
            route = route.replace(f"<int:{name}>", str(ids[kind]))
        url = "/" + route
        url = re.sub(r"<str:\w+>", "x", url)
        for role in ROLES:
            if not any(role in HIDDEN[kind] for kind in kinds):
                continue
            client.force_login(actors[role])
            for method in ("get", "post"):
                response = getattr(client, method)(url)
                probed += 1
                if response.status_code not in (404, 405):
                    leaks.append((role, method.upper(), url, response.status_code))
    assert unmapped == [], unmapped
    assert probed > 50
    assert leaks == [], "\n".join(map(str, leaks))
