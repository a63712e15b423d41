"""Staff review of pickup adults added in the portal: page and API, scoped to the school."""

from django.urls import reverse

from privacy.models import AuditEntry


def _login(client, user):
    # Re-read the user: the session's auth hash is checked against the stored password.
    client.force_login(type(user).objects.get(pk=user.pk))


def test_staff_see_only_their_schools_pending_adults(client, pending, lincoln_staff):
    _login(client, lincoln_staff)
    page = client.get(reverse("portal:review_queue")).content.decode()
    assert page.count("Rosa Diaz") == 2
    assert "Ana Lopez" in page and "Luis Lopez" in page and "Sofia Lopez" not in page


def test_staff_approve_from_the_page(client, pending, lincoln_staff):
    _login(client, lincoln_staff)
    link = pending[0]
    response = client.post(reverse("portal:review_decide", args=[link.pk]), {"decision": "approve"})
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.pickup_status == "allowed"
    assert AuditEntry.objects.filter(action="portal.pickup.approved", actor=lincoln_staff).exists()


def test_staff_of_another_school_get_a_404(client, pending, washington_staff):
    _login(client, washington_staff)
    lincoln_link = pending[0]
    url = reverse("portal:review_decide", args=[lincoln_link.pk])
    assert client.post(url, {"decision": "approve"}).status_code == 404
    lincoln_link.refresh_from_db()
    assert lincoln_link.pickup_status == "pending_review"


def test_the_review_page_needs_a_staff_sign_in(client, pending):
    response = client.get(reverse("portal:review_queue"))
    assert response.status_code == 302 and "/portal/staff/login/" in response["Location"]


def test_api_lists_and_rejects(api_as, pending, lincoln_staff, django_assert_max_num_queries):
    api = api_as(lincoln_staff)
    with django_assert_max_num_queries(8):
        listed = api.get(reverse("portal:api_review_queue"))
    assert listed.status_code == 200
    ids = [row["id"] for row in listed.json()["results"]]
    assert ids == [pending[0].pk, pending[1].pk]
    url = reverse("portal:api_review_decide", args=[pending[1].pk])
    response = api.post(url, {"decision": "reject"}, format="json")
    assert response.status_code == 200 and response.json()["pickup_status"] == "not_allowed"
    again = api.post(url, {"decision": "approve"}, format="json")
    assert again.status_code == 404  # no longer in the queue


def test_api_decision_on_another_school_is_a_404(api_as, pending, washington_staff):
    url = reverse("portal:api_review_decide", args=[pending[0].pk])
    response = api_as(washington_staff).post(url, {"decision": "approve"}, format="json")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_api_bad_decision_is_a_400(api_as, pending, lincoln_staff):
    url = reverse("portal:api_review_decide", args=[pending[0].pk])
    response = api_as(lincoln_staff).post(url, {"decision": "maybe"}, format="json")
    assert response.status_code == 400


def test_a_counselor_cannot_review(api_as, pending, counselor_at_lincoln):
    api = api_as(counselor_at_lincoln)
    assert api.get(reverse("portal:api_review_queue")).json()["results"] == []
    url = reverse("portal:api_review_decide", args=[pending[0].pk])
    assert api.post(url, {"decision": "approve"}, format="json").status_code == 404


def test_a_crisis_lead_sees_every_school(api_as, pending, crisis_lead):
    assert len(api_as(crisis_lead).get(reverse("portal:api_review_queue")).json()["results"]) == 3


def test_viewing_the_queue_is_written_to_the_access_log(client, api_as, pending, lincoln_staff):
    from privacy.models import AccessLogEntry

    _login(client, lincoln_staff)
    client.get(reverse("portal:review_queue"))
    shown = set(
        AccessLogEntry.objects.filter(
            actor=lincoln_staff, action="portal.review_queue.viewed"
        ).values_list("object_id", flat=True)
    )
    assert shown == {str(link.student_id) for link in pending[:2]}
    api_as(lincoln_staff).get("/portal/api/review/")
    assert AccessLogEntry.objects.filter(action="portal.review_queue.viewed").count() == 4


def test_a_tampered_decision_on_the_page_changes_nothing(client, pending, lincoln_staff):
    _login(client, lincoln_staff)
    link = pending[0]
    response = client.post(reverse("portal:review_decide", args=[link.pk]), {"decision": "maybe"})
    assert response.status_code == 400
    link.refresh_from_db()
    assert link.pickup_status == "pending_review"


def test_the_review_page_is_never_kept_by_a_browser_or_proxy(client, pending, lincoln_staff):
    _login(client, lincoln_staff)
    response = client.get(reverse("portal:review_queue"))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
