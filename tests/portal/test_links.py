"""Personal sign-in links: one for a guardian, or many at once for a campaign."""

import pytest
from django.db import IntegrityError
from django.test import Client
from django.urls import reverse

from contacts.portal import services
from contacts.portal.lib import keyed_hash
from contacts.portal.models import PortalLink, PortalSession
from privacy.models import AuditEntry
from tests.factories import PersonFactory, StudentContactFactory


def _guardians(count: int) -> list[int]:
    return [StudentContactFactory(person=PersonFactory()).person_id for _ in range(count)]


def test_many_links_one_token_per_guardian_only_hashes_stored(db):
    people = _guardians(5)
    tokens = services.portal_links_issue_many(person_ids=people, actor_label="campaign:7")
    assert set(tokens) == set(people)
    assert len(set(tokens.values())) == 5
    links = {link.person_id: link for link in PortalLink.objects.all()}
    assert set(links) == set(people)
    for person_id, token in tokens.items():
        assert links[person_id].token_hash == keyed_hash("link", token)
        assert token not in links[person_id].token_hash
        assert links[person_id].issued_by == "campaign:7"
        assert links[person_id].used_at is None


def test_each_issued_token_signs_in_its_own_guardian_once(db):
    people = _guardians(3)
    tokens = services.portal_links_issue_many(person_ids=people, actor_label="campaign:7")
    for person_id, token in tokens.items():
        response = Client().post(reverse("portal:link", args=[token]))
        assert response.status_code == 302
        assert PortalSession.objects.filter(person_id=person_id).count() == 1
        again = Client().post(reverse("portal:link", args=[token]))
        assert "expired or was already used" in again.content.decode()


def test_one_audit_entry_per_chunk_naming_the_people_and_links(db):
    people = _guardians(5)
    services.portal_links_issue_many(person_ids=people, actor_label="campaign:7", chunk_size=2)
    entries = list(AuditEntry.objects.filter(action="portal.links.issued").order_by("id"))
    assert [len(entry.after["person_ids"]) for entry in entries] == [2, 2, 1]
    assert [pid for entry in entries for pid in entry.after["person_ids"]] == people
    link_ids = [lid for entry in entries for lid in entry.after["link_ids"]]
    assert sorted(link_ids) == sorted(PortalLink.objects.values_list("pk", flat=True))
    assert {entry.actor_label for entry in entries} == {"campaign:7"}
    assert {entry.object_type for entry in entries} == {"portal.portallink"}


def test_queries_grow_with_chunks_not_with_links(db, django_assert_max_num_queries):
    few, many = _guardians(2), _guardians(40)
    with django_assert_max_num_queries(6) as one_chunk:
        services.portal_links_issue_many(person_ids=few, actor_label="campaign:7")
    with django_assert_max_num_queries(len(one_chunk)):
        services.portal_links_issue_many(person_ids=many, actor_label="campaign:8")
    assert PortalLink.objects.count() == 42


def test_a_guardian_listed_twice_gets_one_link(db):
    [person] = _guardians(1)
    tokens = services.portal_links_issue_many(
        person_ids=[person, person, person], actor_label="campaign:7"
    )
    assert list(tokens) == [person]
    assert PortalLink.objects.count() == 1


def test_nothing_is_issued_for_nobody(db):
    assert services.portal_links_issue_many(person_ids=[], actor_label="campaign:7") == {}
    assert not AuditEntry.objects.filter(action="portal.links.issued").exists()


@pytest.mark.django_db(transaction=True)
def test_an_unknown_person_issues_no_link_at_all():
    people = _guardians(3)
    with pytest.raises(IntegrityError):
        services.portal_links_issue_many(
            person_ids=[*people, 10**9], actor_label="campaign:7", chunk_size=2
        )
    assert PortalLink.objects.count() == 0
    assert not AuditEntry.objects.filter(action="portal.links.issued").exists()
