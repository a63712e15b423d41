"""The household page's forms with htmx: a request marked HX-Request gets back only the changed
child's card (and the notices), a plain form POST still gets its redirect."""

import re

from django.contrib.staticfiles import finders
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contacts.models import StudentContact
from contacts.portal import services
from tests.factories import PersonFactory, PhoneFactory, StudentContactFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


def _call_order(student) -> list[str]:
    return list(
        StudentContact.objects.filter(student=student, emergency_priority__isnull=False)
        .order_by("emergency_priority")
        .values_list("person__first_name", flat=True)
    )


def _card(html: str, student) -> str:
    found = re.search(rf'<section class="card" id="student-{student.pk}".*?</section>', html, re.S)
    assert found, f"no card for student {student.pk}"
    return found.group(0)


def test_call_earlier_with_htmx_answers_with_only_the_childs_card(maria_client, carmen):
    url = reverse("portal:contact_move", args=[carmen.pk])
    response = maria_client.post(url, {"direction": "up"}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and "<header" not in html
    assert html.count("<section") == 1
    card = _card(html, carmen.student)
    assert card.index("Jose Lopez") > card.index("Carmen Ruiz") > card.index("Maria Lopez")
    assert '<div id="messages" role="status" hx-swap-oob="innerHTML">' in html
    assert _call_order(carmen.student) == ["Maria", "Carmen", "Jose"]


def test_the_htmx_card_is_the_same_markup_as_on_the_full_page(maria_client, carmen):
    url = reverse("portal:contact_move", args=[carmen.pk])
    partial = maria_client.post(url, {"direction": "up"}, **HTMX).content.decode()
    page = maria_client.get(reverse("portal:household")).content.decode()
    # Each rendering masks the CSRF token anew.
    token = re.compile(r'(name="csrfmiddlewaretoken" value=)"\w+"')
    assert token.sub(r"\1", _card(partial, carmen.student)) == token.sub(
        r"\1", _card(page, carmen.student)
    )


def test_the_card_costs_the_same_reads_however_many_contacts(maria_client, carmen):
    for _ in range(3):
        StudentContactFactory(
            student=carmen.student, person=PhoneFactory().person, legal_guardian=False
        )
    url = reverse("portal:contact_move", args=[carmen.pk])
    with CaptureQueriesContext(connection) as plain:
        maria_client.post(url, {"direction": "up"})
    with CaptureQueriesContext(connection) as partial:
        maria_client.post(url, {"direction": "down"}, **HTMX)
    # The child's contacts with the child, its school and the adults, and their phones (the
    # household page's queries, for one child).
    assert len(partial) == len(plain) + 2


def test_call_later_without_htmx_redirects_back_to_the_child(maria_client, carmen):
    jose = StudentContact.objects.get(student=carmen.student, person__first_name="Jose")
    jose.legal_guardian = False
    jose.save()
    response = maria_client.post(
        reverse("portal:contact_move", args=[jose.pk]), {"direction": "down"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:household") + f"#student-{carmen.student_id}"
    assert _call_order(carmen.student) == ["Maria", "Carmen", "Jose"]


def test_confirm_with_htmx_answers_with_the_thank_you_notice_only(maria_client, parent_of_three):
    response = maria_client.post(reverse("portal:confirm"), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<section" not in html and "<html" not in html
    assert re.search(
        r'<div id="messages" role="status" hx-swap-oob="innerHTML"><ul class="messages">'
        r'<li class="success">Thank you\. Your children&#x27;s contacts are confirmed\.</li>',
        html,
    )
    links = StudentContact.objects.filter(student__in=parent_of_three.children)
    assert not links.filter(verified_at__isnull=True).exists()
    # The notice was shown in this answer: it does not come back on the next page.
    assert "Thank you" not in maria_client.get(reverse("portal:household")).content.decode()


def test_confirm_without_htmx_redirects_and_shows_the_notice(maria_client, parent_of_three):
    response = maria_client.post(reverse("portal:confirm"))
    assert response.status_code == 302 and response["Location"] == reverse("portal:household")
    html = maria_client.get(response["Location"]).content.decode()
    assert '<div id="messages" role="status"><ul class="messages"><li class="success">' in html


def test_a_failed_move_is_reported_in_the_guardians_language(
    as_guardian, parent_of_three, carmen, monkeypatch
):
    # Carmen is removed (in another tab, say) between loading her link and reordering.
    real_move = services.portal_contact_move

    def removed_meanwhile(*, guardian, link, direction):
        StudentContact.objects.filter(pk=link.pk).delete()
        return real_move(guardian=guardian, link=link, direction=direction)

    monkeypatch.setattr(services, "portal_contact_move", removed_meanwhile)
    client = as_guardian(parent_of_three.guardian, language="es")
    url = reverse("portal:contact_move", args=[carmen.pk])
    response = client.post(url, {"direction": "up"}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<li class="error">No se pudo guardar. Revise el dato e inténtelo de nuevo.</li>' in html
    assert "Carmen" not in _card(html, carmen.student)

    carmen.save()  # back, to fail again without htmx
    response = client.post(url, {"direction": "up"})
    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    assert "No se pudo guardar. Revise el dato e inténtelo de nuevo." in html
    assert _call_order(carmen.student) == ["Maria", "Jose"]


def test_a_signed_out_htmx_request_loads_the_sign_in_page_whole(db, carmen):
    url = reverse("portal:contact_move", args=[carmen.pk])
    response = Client().post(url, {"direction": "up"}, **HTMX)
    assert response.status_code == 200 and response.content == b""
    assert response["HX-Redirect"] == reverse("portal:sign_in")
    response = Client().post(url, {"direction": "up"})
    assert response.status_code == 302 and response["Location"] == reverse("portal:sign_in")


def test_another_familys_contact_is_a_404_with_htmx_too(maria_client, lincoln):
    other = StudentContactFactory(legal_guardian=False, person=PersonFactory())
    url = reverse("portal:contact_move", args=[other.pk])
    assert maria_client.post(url, {"direction": "up"}, **HTMX).status_code == 404


def test_htmx_is_vendored_and_loaded_deferred_on_every_page(maria_client):
    assert finders.find("portal/htmx.min.js")
    html = maria_client.get(reverse("portal:household")).content.decode()
    assert '<script src="/static/portal/htmx.min.js" defer></script>' in html
    assert "cdn" not in html.lower() and "unpkg" not in html


def test_the_move_and_confirm_forms_still_post_without_javascript(maria_client, carmen):
    html = maria_client.get(reverse("portal:household")).content.decode()
    move = reverse("portal:contact_move", args=[carmen.pk])
    assert f'<form method="post" action="{move}" hx-post="{move}"' in html
    confirm = reverse("portal:confirm")
    assert f'<form method="post" action="{confirm}" class="card" hx-post="{confirm}"' in html
    assert html.count('name="csrfmiddlewaretoken"') >= 3
