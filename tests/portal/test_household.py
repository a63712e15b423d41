"""The household page and the changes a guardian makes to their children's contacts."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from alerts.models import Message
from contacts.models import ContactPoint, Person, Student, StudentContact
from privacy.models import AuditEntry
from tests.factories import (
    EmailFactory,
    PersonFactory,
    PhoneFactory,
    StudentContactFactory,
    StudentFactory,
)

HOUSEHOLD = reverse("portal:household")
ADD = reverse("portal:contact_add")


def _add_payload(family, **overrides):
    data = {
        "first_name": "Rosa",
        "last_name": "Diaz",
        "relationship": "grandparent",
        "phone": "312-555-0144",
        "students": [c.pk for c in family.children],
        "emergency": "on",
        "pickup": "on",
    }
    data.update(overrides)
    return data


def test_household_shows_every_child_across_schools_in_priority_order(
    maria_client, parent_of_three, django_assert_max_num_queries
):
    grandma = PersonFactory(first_name="Carmen", last_name="Ruiz")
    StudentContactFactory(
        student=parent_of_three.children[0],
        person=grandma,
        relationship="grandparent",
        legal_guardian=False,
        emergency_priority=3,
    )
    with django_assert_max_num_queries(12):
        page = maria_client.get(HOUSEHOLD).content.decode()
    for name in ("Ana Lopez", "Luis Lopez", "Sofia Lopez", "Lincoln Elementary", "Washington"):
        assert name in page
    ana = page.split("<section")[1]
    assert ana.index("Maria Lopez") < ana.index("Jose Lopez") < ana.index("Carmen Ruiz")


def test_household_page_queries_do_not_grow_with_children_or_contacts(
    maria_client, parent_of_three, django_assert_num_queries
):
    # The portal session with its guardian, the children's contacts with the children, their
    # schools and the adults, and those adults' phones.
    with django_assert_num_queries(3):
        assert maria_client.get(HOUSEHOLD).status_code == 200
    for child in parent_of_three.children:
        for n in range(3):
            extra = PersonFactory(first_name=f"Extra{n}", last_name="Adult")
            PhoneFactory(person=extra)
            StudentContactFactory(student=child, person=extra, legal_guardian=False)
    with django_assert_num_queries(3):
        page = maria_client.get(HOUSEHOLD).content.decode()
    assert page.count("<strong>Extra0 Adult</strong>") == 3


def test_household_rows_are_not_repeated_when_others_are_signed_in_too(
    parent_of_three, as_guardian
):
    # Maria on two devices and Jose, the children's other guardian, on his own: each browser sees
    # its own guardian's page, each contact once.
    maria = as_guardian(parent_of_three.guardian)
    as_guardian(parent_of_three.guardian)
    jose = as_guardian(parent_of_three.other_guardian)
    for browser, signed_in in (
        (maria, parent_of_three.guardian),
        (jose, parent_of_three.other_guardian),
    ):
        response = browser.get(HOUSEHOLD)
        page = response.content.decode()
        assert response.wsgi_request.guardian == signed_in
        assert page.count("<strong>Maria Lopez</strong>") == 3
        assert page.count("<strong>Jose Lopez</strong>") == 3
        assert page.count("<section") == 3


def test_a_guardian_with_no_active_child_is_still_signed_in(
    maria_client, parent_of_three, django_assert_num_queries
):
    for child in parent_of_three.children:
        child.active = False
        child.save()
    # The session with its guardian, and the children's contacts (none, so no phones are read).
    with django_assert_num_queries(2):
        response = maria_client.get(HOUSEHOLD)
    assert response.status_code == 200
    assert response.wsgi_request.guardian == parent_of_three.guardian
    assert "We could not find any children linked to you" in response.content.decode()


def test_a_guardian_barred_from_a_child_does_not_see_that_child(maria_client, parent_of_three):
    ana_link = parent_of_three.links[0]
    assert ana_link.student == parent_of_three.children[0]
    StudentContact.objects.filter(pk=ana_link.pk).update(
        pickup_status="prohibited", emergency_priority=None
    )
    page = maria_client.get(HOUSEHOLD).content.decode()
    assert "Ana Lopez" not in page
    assert "Luis Lopez" in page and "Sofia Lopez" in page


def test_confirm_all_queries_do_not_grow_with_contacts(
    maria_client, parent_of_three, django_assert_max_num_queries
):
    # The portal session, the children's ids, one update and the children's audit entries in
    # one insert: nothing per contact.
    with django_assert_max_num_queries(12) as before:
        assert maria_client.post(reverse("portal:confirm")).status_code == 302
    for child in parent_of_three.children:
        for n in range(3):
            extra = PersonFactory(first_name=f"Extra{n}", last_name="Adult")
            StudentContactFactory(student=child, person=extra, legal_guardian=False)
    with django_assert_max_num_queries(len(before)):
        assert maria_client.post(reverse("portal:confirm")).status_code == 302


def test_a_prohibited_adult_is_never_shown(maria_client, parent_of_three):
    barred = PersonFactory(first_name="Victor", last_name="Barred")
    StudentContactFactory(
        student=parent_of_three.children[0],
        person=barred,
        relationship="other",
        legal_guardian=False,
        pickup_status="prohibited",
    )
    page = maria_client.get(HOUSEHOLD).content.decode()
    assert "Victor" not in page
    # Barring one adult from Ana hides that adult, not Ana.
    assert page.count("<strong>Maria Lopez</strong>") == 3


def test_another_familys_children_are_not_shown(maria_client, parent_of_three, lincoln):
    stranger = StudentFactory(first_name="Zed", last_name="Other", school=lincoln)
    StudentContactFactory(student=stranger, person=PersonFactory())
    assert "Zed" not in maria_client.get(HOUSEHOLD).content.decode()


def test_confirm_all_marks_every_childs_contacts_verified_in_one_tap(maria_client, parent_of_three):
    response = maria_client.post(reverse("portal:confirm"))
    assert response.status_code == 302
    links = StudentContact.objects.filter(student__in=parent_of_three.children)
    assert links.count() == 6 and not links.filter(verified_at__isnull=True).exists()
    audited = AuditEntry.objects.filter(
        action="contacts.student.confirmed",
        actor_label=f"portal:person:{parent_of_three.guardian.pk}",
    )
    assert sorted(int(e.object_id) for e in audited) == sorted(
        s.pk for s in parent_of_three.children
    )


def test_a_new_pickup_adult_is_pending_and_the_other_guardian_is_told(
    maria_client, parent_of_three
):
    response = maria_client.post(ADD, _add_payload(parent_of_three))
    assert response.status_code == 302
    rosa = Person.objects.get(first_name="Rosa")
    links = StudentContact.objects.filter(person=rosa)
    assert links.count() == 3
    assert {link.pickup_status for link in links} == {"pending_review"}
    assert {link.source for link in links} == {"portal"}
    assert {link.emergency_priority for link in links} == {3}
    assert rosa.contact_points.get().value == "+13125550144"
    told = Message.objects.get(template_key="portal.pickup_pending")
    assert told.recipient_person_id == parent_of_three.other_guardian.pk
    assert told.language == "es" and "Rosa Diaz" in told.body
    assert "Pending review" in maria_client.get(HOUSEHOLD).content.decode() or (
        "waiting for school review" in maria_client.get(HOUSEHOLD).content.decode()
    )


def test_an_invalid_phone_is_reported_next_to_the_field_in_spanish(as_guardian, parent_of_three):
    client = as_guardian(parent_of_three.guardian, language="es")
    response = client.post(ADD, _add_payload(parent_of_three, phone="555-12"))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_phone_error"' in html
    assert "no es un número de teléfono válido" in html
    assert not Person.objects.filter(first_name="Rosa").exists()


def test_an_empty_name_is_reported_and_nothing_is_saved(maria_client, parent_of_three):
    response = maria_client.post(ADD, _add_payload(parent_of_three, first_name="  "))
    assert response.status_code == 400
    assert 'id="id_first_name_error"' in response.content.decode()
    assert not Person.objects.filter(last_name="Diaz").exists()


def test_a_duplicate_contact_is_refused(maria_client, parent_of_three):
    response = maria_client.post(ADD, _add_payload(parent_of_three, phone="312-555-0102"))
    assert response.status_code == 409
    assert 'id="id_phone_error"' in response.content.decode()
    assert "already on the list" in response.content.decode()
    assert not Person.objects.filter(first_name="Rosa").exists()


def test_nothing_is_half_saved_when_a_later_step_fails(maria_client, parent_of_three):
    """The link for the third child fails (a rule of contacts.services): no person, no contact
    point, no link, no message survives."""
    sofia = parent_of_three.children[2]
    existing = PersonFactory(first_name="Rosa", last_name="Diaz")
    PhoneFactory(person=existing, value="+13125550155")
    StudentContactFactory(student=sofia, person=existing, legal_guardian=False)
    before = (Person.objects.count(), ContactPoint.objects.count(), StudentContact.objects.count())
    response = maria_client.post(ADD, _add_payload(parent_of_three))
    assert response.status_code == 409
    after = (Person.objects.count(), ContactPoint.objects.count(), StudentContact.objects.count())
    assert before == after
    assert not Message.objects.filter(template_key="portal.pickup_pending").exists()


def _edit_payload(link, **overrides):
    data = {
        "first_name": link.person.first_name,
        "last_name": link.person.last_name,
        "relationship": link.relationship,
        "phone": "+13125550166",
        "emergency_priority": link.emergency_priority or "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_a_priority_clash_is_reported_next_to_the_field(maria_client, carmen):
    url = reverse("portal:contact_edit", args=[carmen.pk])
    response = maria_client.post(url, _edit_payload(carmen, emergency_priority=1))
    assert response.status_code == 409
    html = response.content.decode()
    assert 'id="id_emergency_priority_error"' in html and "call order" in html
    carmen.refresh_from_db()
    assert carmen.emergency_priority == 3


def test_editing_a_contact_changes_phone_and_asks_review_for_pickup(maria_client, carmen):
    url = reverse("portal:contact_edit", args=[carmen.pk])
    response = maria_client.post(url, _edit_payload(carmen, phone="312 555 0177", pickup="on"))
    assert response.status_code == 302
    carmen.refresh_from_db()
    assert carmen.pickup_status == "pending_review"
    assert carmen.person.contact_points.get().value == "+13125550177"
    assert Message.objects.filter(template_key="portal.pickup_pending").count() == 1


def test_a_guardians_own_link_cannot_be_edited_or_removed(maria_client, parent_of_three):
    jose_link = parent_of_three.links[1]
    assert maria_client.get(reverse("portal:contact_edit", args=[jose_link.pk])).status_code == 404
    assert (
        maria_client.post(reverse("portal:contact_remove", args=[jose_link.pk])).status_code == 404
    )


def test_another_familys_contact_is_a_404(maria_client, lincoln):
    other = StudentContactFactory(
        student=StudentFactory(school=lincoln), legal_guardian=False, person=PersonFactory()
    )
    for name in ("portal:contact_edit", "portal:contact_remove", "portal:contact_move"):
        assert maria_client.post(reverse(name, args=[other.pk])).status_code == 404


def test_removing_the_last_pickup_adult_needs_a_confirmation(maria_client, parent_of_three):
    ana = parent_of_three.children[0]
    StudentContact.objects.filter(student=ana).update(pickup_status="not_allowed")
    aunt = StudentContactFactory(
        student=ana, person=PersonFactory(), relationship="aunt_uncle", legal_guardian=False
    )  # pickup allowed
    url = reverse("portal:contact_remove", args=[aunt.pk])
    response = maria_client.post(url, {})
    assert response.status_code == 400
    assert "last adult allowed to pick up" in response.content.decode()
    assert StudentContact.objects.filter(pk=aunt.pk).exists()
    response = maria_client.post(url, {"confirm": "on"})
    assert response.status_code == 302
    assert not StudentContact.objects.filter(pk=aunt.pk).exists()


def test_removing_a_contact_when_others_may_pick_up_needs_no_confirmation(maria_client, carmen):
    response = maria_client.post(reverse("portal:contact_remove", args=[carmen.pk]), {})
    assert response.status_code == 302
    assert not StudentContact.objects.filter(pk=carmen.pk).exists()


def test_call_earlier_moves_a_contact_up(maria_client, carmen, parent_of_three):
    url = reverse("portal:contact_move", args=[carmen.pk])
    assert maria_client.post(url, {"direction": "up"}).status_code == 302
    order = list(
        StudentContact.objects.filter(student=carmen.student, emergency_priority__isnull=False)
        .order_by("emergency_priority")
        .values_list("person_id", flat=True)
    )
    assert order == [
        parent_of_three.guardian.pk,
        carmen.person_id,
        parent_of_three.other_guardian.pk,
    ]


def test_get_on_a_post_only_page_is_not_a_500(maria_client):
    assert maria_client.get(reverse("portal:confirm")).status_code == 405


def test_garbage_input_is_never_a_500(maria_client, parent_of_three, carmen):
    edit = reverse("portal:contact_edit", args=[carmen.pk])
    for payload in (
        {},
        {"students": ["x"], "phone": "☎"},
        _add_payload(parent_of_three, relationship="president"),
        _add_payload(parent_of_three, email="not-an-email"),
    ):
        assert maria_client.post(ADD, payload).status_code == 400
    assert maria_client.post(edit, {"emergency_priority": "abc"}).status_code == 400
    assert Client().get(reverse("portal:contact_edit", args=[999999])).status_code == 302


def test_each_contact_shows_all_their_phones_and_no_emails(maria_client, parent_of_three):
    ana = parent_of_three.children[0]
    two_phones = PersonFactory(first_name="Dos", last_name="Telefonos")
    PhoneFactory(person=two_phones, value="+13125550181")
    PhoneFactory(person=two_phones, value="+13125550182")
    no_phone = PersonFactory(first_name="Sin", last_name="Telefono")
    EmailFactory(person=no_phone, value="sin.telefono@example.org")
    for person in (two_phones, no_phone):
        StudentContactFactory(student=ana, person=person, legal_guardian=False)
    page = maria_client.get(HOUSEHOLD).content.decode()
    card = page.split(f'id="student-{ana.pk}"')[1].split("</section>")[0]
    two = card.split("<strong>Dos Telefonos</strong>")[1].split("</li>")[0]
    assert "(312) 555-0181" in two and "(312) 555-0182" in two
    none = card.split("<strong>Sin Telefono</strong>")[1].split("</li>")[0]
    assert "sin.telefono" not in none and 'dir="ltr"' not in none
    assert card.count("<strong>Dos Telefonos</strong>") == 1


def _page(client) -> str:
    response = client.get(HOUSEHOLD)
    assert response.status_code == 200
    return response.content.decode()


def test_changes_written_behind_the_services_back_show_at_once(maria_client, parent_of_three):
    # Importers write with bulk statements that send no signals; the page must still be fresh.
    assert "Jose Lopez" in _page(maria_client)
    Person.objects.filter(pk=parent_of_three.other_guardian.pk).update(first_name="Joseph")
    page = _page(maria_client)
    assert "Joseph Lopez" in page and "Jose Lopez" not in page

    sofia = parent_of_three.children[2]
    Student.objects.filter(pk=sofia.pk).update(active=False)
    assert f'id="student-{sofia.pk}"' not in _page(maria_client)

    ana = parent_of_three.children[0]
    StudentContact.objects.filter(student=ana, person=parent_of_three.other_guardian).update(
        pickup_status=StudentContact.Pickup.PROHIBITED, emergency_priority=None
    )
    section = _page(maria_client).split(f'id="student-{ana.pk}"')[1].split("</section>")[0]
    assert "Joseph Lopez" not in section


def test_two_guardians_of_the_same_children_each_get_their_own_page(
    maria_client, parent_of_three, as_guardian
):
    jose_client = as_guardian(parent_of_three.other_guardian)
    maria_page, jose_page = _page(maria_client), _page(jose_client)
    you = re.compile(r"<strong>([^<]+)</strong>[^<]*\(you\)")
    assert set(you.findall(maria_page)) == {"Maria Lopez"}
    assert set(you.findall(jose_page)) == {"Jose Lopez"}


def test_a_form_with_several_mistakes_lists_them_all_at_once_in_a_summary(
    maria_client, parent_of_three
):
    payload = _add_payload(parent_of_three, first_name=" ", relationship="", phone="555-12")
    response = maria_client.post(ADD, payload)
    assert response.status_code == 400
    html = response.content.decode()
    summary = re.search(
        r'<div class="errors error-summary" id="error-summary"(.*?)</div>', html, re.S
    )
    assert summary, "no error summary"
    assert 'tabindex="-1" autofocus' in summary.group(1)
    assert summary.start() < html.index('id="id_first_name"')  # above the fields
    links = re.findall(r'<a href="#(id_\w+)">', summary.group(1))
    assert links == ["id_first_name", "id_relationship", "id_phone"]
    for field in ("first_name", "relationship", "phone"):
        assert f'id="id_{field}_error"' in html
    assert "not a valid phone number" in summary.group(1)
    assert not Person.objects.filter(last_name="Diaz").exists()


def test_a_form_without_mistakes_has_no_summary(maria_client):
    assert 'id="error-summary"' not in maria_client.get(ADD).content.decode()


def test_the_relationship_starts_on_a_placeholder_that_must_be_changed(
    maria_client, parent_of_three
):
    html = maria_client.get(ADD).content.decode()
    select = re.search(r'<select name="relationship"[^>]*>(.*?)</select>', html, re.S)
    assert re.search(r"required", html[select.start() : select.start() + 200])
    first = re.search(r"<option[^>]*>[^<]*</option>", select.group(1)).group(0)
    assert first == '<option value="" selected>Choose…</option>'
    assert "selected" not in select.group(1).replace(first, "")
    response = maria_client.post(ADD, _add_payload(parent_of_three, relationship=""))
    assert response.status_code == 400
    assert 'id="id_relationship_error"' in response.content.decode()
    assert not Person.objects.filter(first_name="Rosa").exists()


def _reorders(student) -> int:
    return AuditEntry.objects.filter(
        action="contacts.student_contact.reordered", object_id=str(student.pk)
    ).count()


def test_call_later_on_the_last_contact_changes_nothing_and_audits_nothing(
    maria_client, carmen, parent_of_three
):
    order = [parent_of_three.guardian.pk, parent_of_three.other_guardian.pk, carmen.person_id]
    url = reverse("portal:contact_move", args=[carmen.pk])
    assert maria_client.post(url, {"direction": "down"}).status_code == 302
    assert _call_order_ids(carmen.student) == order
    assert _reorders(carmen.student) == 0


def test_call_earlier_on_the_first_contact_changes_nothing_and_audits_nothing(
    maria_client, carmen, parent_of_three
):
    # Jose, here not a legal guardian, first in the call order: Maria moved to fifth place.
    links = StudentContact.objects.filter(student=carmen.student)
    links.filter(person=parent_of_three.guardian).update(emergency_priority=5)
    jose = links.get(person=parent_of_three.other_guardian)
    StudentContact.objects.filter(pk=jose.pk).update(legal_guardian=False)
    before = _call_order_ids(carmen.student)
    assert before[0] == jose.person_id
    url = reverse("portal:contact_move", args=[jose.pk])
    assert maria_client.post(url, {"direction": "up"}).status_code == 302
    assert _call_order_ids(carmen.student) == before
    assert _reorders(carmen.student) == 0


def test_call_later_on_an_adult_not_in_the_call_order_changes_nothing(maria_client, carmen):
    StudentContact.objects.filter(pk=carmen.pk).update(emergency_priority=None)
    url = reverse("portal:contact_move", args=[carmen.pk])
    assert maria_client.post(url, {"direction": "down"}).status_code == 302
    assert carmen.person_id not in _call_order_ids(carmen.student)
    assert _reorders(carmen.student) == 0


@pytest.mark.parametrize("direction", ["sideways", "", "UP", None])
def test_a_move_other_than_up_or_down_is_a_400_and_changes_nothing(maria_client, carmen, direction):
    before = _call_order_ids(carmen.student)
    url = reverse("portal:contact_move", args=[carmen.pk])
    data = {} if direction is None else {"direction": direction}
    assert maria_client.post(url, data).status_code == 400
    assert _call_order_ids(carmen.student) == before
    assert _reorders(carmen.student) == 0


def _call_order_ids(student) -> list[int]:
    return list(
        StudentContact.objects.filter(student=student, emergency_priority__isnull=False)
        .order_by("emergency_priority")
        .values_list("person_id", flat=True)
    )
