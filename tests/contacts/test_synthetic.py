"""The synthetic district: deterministic, valid OneRoster, and the family mix it promises."""

import csv
import json
from collections import defaultdict
from pathlib import Path

import pytest

from contacts.lib.phones import normalize_phone
from contacts.lib.synthetic import (
    CONTACTS_HEADER,
    ENROLLMENTS_HEADER,
    ORGS_HEADER,
    USERS_HEADER,
    generate_district,
    read_invalid_numbers,
)
from contacts.models import StudentContact
from privacy.minimisation import forbidden_columns

STUDENTS = 1200


@pytest.fixture(scope="module")
def district(tmp_path_factory):
    out = tmp_path_factory.mktemp("district")
    return generate_district(out, students=STUDENTS, seed=42)


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def header(path: Path) -> tuple[str, ...]:
    with path.open(newline="", encoding="utf-8") as fh:
        return tuple(next(csv.reader(fh)))


@pytest.fixture(scope="module")
def users(district):
    return rows(district.oneroster_dir / "users.csv")


@pytest.fixture(scope="module")
def contacts(district):
    by_student = defaultdict(list)
    for row in rows(district.contacts_csv):
        by_student[row["student_sis_id"]].append(row)
    return by_student


def all_files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_same_seed_gives_the_same_bytes(tmp_path):
    generate_district(tmp_path / "a", students=400, seed=3)
    generate_district(tmp_path / "b", students=400, seed=3)
    a, b = all_files(tmp_path / "a"), all_files(tmp_path / "b")
    assert set(a) == {
        "contacts.csv",
        "invalid_numbers.json",
        "oneroster/enrollments.csv",
        "oneroster/manifest.csv",
        "oneroster/orgs.csv",
        "oneroster/users.csv",
    }
    assert a == b


def test_another_seed_gives_another_district(tmp_path):
    generate_district(tmp_path / "a", students=400, seed=3)
    generate_district(tmp_path / "b", students=400, seed=4)
    for name in ("oneroster/users.csv", "contacts.csv"):
        assert (tmp_path / "a" / name).read_bytes() != (tmp_path / "b" / name).read_bytes()


def test_oneroster_files_have_the_1_1_headers_and_a_bulk_manifest(district):
    folder = district.oneroster_dir
    assert header(folder / "orgs.csv") == ORGS_HEADER
    assert header(folder / "users.csv") == USERS_HEADER
    assert header(folder / "enrollments.csv") == ENROLLMENTS_HEADER
    assert header(district.contacts_csv) == CONTACTS_HEADER
    manifest = {r["propertyName"]: r["value"] for r in rows(folder / "manifest.csv")}
    assert manifest["manifest.version"] == "1.0"
    assert manifest["oneroster.version"] == "1.1"
    assert {k: v for k, v in manifest.items() if v == "bulk"} == {
        "file.orgs": "bulk",
        "file.users": "bulk",
        "file.enrollments": "bulk",
    }
    assert manifest["file.classes"] == "absent"


def test_no_column_asks_for_what_the_district_does_not_collect(district):
    for path in [*district.oneroster_dir.glob("*.csv"), district.contacts_csv]:
        assert forbidden_columns(header(path)) == [], path.name
    for item in json.loads(district.invalid_numbers_json.read_text()):
        assert forbidden_columns(item.keys()) == []


def test_schools_are_sized_by_the_student_count_and_cover_every_level(district):
    orgs = rows(district.oneroster_dir / "orgs.csv")
    schools = [o for o in orgs if o["type"] == "school"]
    assert [o["type"] for o in orgs].count("district") == 1
    assert 2 <= len(schools) <= STUDENTS // 300
    assert len({o["identifier"] for o in schools}) == len(schools)
    assert {s.level for s in district.schools} == {"elementary", "middle", "high"}
    assert schools[0]["identifier"] == "LIN"


def test_students_enrol_once_in_their_school_with_a_plausible_grade(district, users):
    students = {u["sourcedId"]: u for u in users if u["role"] == "student"}
    assert len(students) == STUDENTS == district.students
    enrollments = rows(district.oneroster_dir / "enrollments.csv")
    assert len(enrollments) == STUDENTS
    grades_of = {s.sourced_id: s.grades for s in district.schools}
    for e in enrollments:
        student = students[e["userSourcedId"]]
        assert e["role"] == "student"
        assert e["schoolSourcedId"] == student["orgSourcedIds"]
        assert student["grades"] in grades_of[e["schoolSourcedId"]]
        assert student["identifier"] == student["sourcedId"]
        assert student["identifier"].startswith("S") and len(student["identifier"]) == 8


def test_guardian_and_student_links_agree_on_both_sides(users):
    by_id = {u["sourcedId"]: u for u in users}
    adults = [u for u in users if u["role"] != "student"]
    assert {u["role"] for u in adults} == {"parent", "guardian", "relative"}
    for adult in adults:
        kids = adult["agentSourcedIds"].split(",")
        assert kids and all(by_id[k]["role"] == "student" for k in kids)
        for kid in kids:
            assert adult["sourcedId"] in by_id[kid]["agentSourcedIds"].split(",")


def test_about_one_and_three_quarter_sis_adults_per_student(district, users):
    adults = sum(1 for u in users if u["role"] != "student")
    assert adults == district.sis_adults
    assert 1.6 <= adults / STUDENTS <= 1.9


def test_every_phone_is_a_valid_number(district, users, contacts):
    numbers = [u[c] for u in users for c in ("sms", "phone") if u[c]]
    numbers += [
        r[c]
        for student_rows in contacts.values()
        for r in student_rows
        for c in ("mobile_phone", "home_phone", "work_phone")
        if r[c]
    ]
    assert len(numbers) > STUDENTS
    e164 = [normalize_phone(n) for n in numbers]  # raises on an invalid number
    us = [n for n in e164 if n.startswith("+1")]
    # A district this small only needs the fictional 555-01XX block.
    assert all(n[5:10] == "55501" for n in us)


def test_each_adult_has_their_own_mobile(users):
    mobiles = [normalize_phone(u["sms"]) for u in users if u["sms"]]
    assert len(mobiles) == len(set(mobiles))


def test_siblings_attend_different_schools(users):
    school_of = {u["sourcedId"]: u["orgSourcedIds"] for u in users if u["role"] == "student"}
    spread = [
        u
        for u in users
        if u["role"] == "parent"
        and len({school_of[k] for k in u["agentSourcedIds"].split(",")}) > 1
    ]
    assert len(spread) >= 10


def test_a_prohibited_parent_is_a_sis_guardian_with_no_emergency_priority(users, contacts):
    by_id = {u["sourcedId"]: u for u in users}
    prohibited = [r for rs in contacts.values() for r in rs if r["pickup_status"] == "prohibited"]
    assert prohibited
    for row in prohibited:
        assert row["emergency_priority"] == ""
        assert row["relationship"] in ("mother", "father", "parent")
        parent = by_id[row["adult_sis_id"]]
        assert parent["role"] == "parent"
        assert row["student_sis_id"] in parent["agentSourcedIds"].split(",")
        assert row["receives_notifications"] == "no"


def test_priorities_are_unique_and_start_at_one_for_every_student(contacts):
    for student, student_rows in contacts.items():
        priorities = [int(r["emergency_priority"]) for r in student_rows if r["emergency_priority"]]
        assert sorted(priorities) == list(range(1, len(priorities) + 1)), student


def test_contacts_csv_values_are_the_documented_ones(contacts):
    relationships = set(StudentContact.Relationship.values)
    pickups = set(StudentContact.Pickup.values)
    for student_rows in contacts.values():
        names = [(r["first_name"], r["last_name"]) for r in student_rows]
        assert len(names) == len(set(names))  # an adult not in the SIS is matched by name
        for r in student_rows:
            assert r["relationship"] in relationships
            assert r["pickup_status"] in pickups
            for column in ("legal_guardian", "lives_with", "receives_notifications"):
                assert r[column] in ("yes", "no")


def test_extra_pickup_adults_outside_the_sis_come_after_the_guardians(contacts):
    extras = [r for rs in contacts.values() for r in rs if not r["adult_sis_id"]]
    assert {"neighbor", "friend", "aunt_uncle"} <= {r["relationship"] for r in extras}
    allowed = [r for r in extras if r["pickup_status"] == "allowed" and r["emergency_priority"]]
    assert allowed and all(int(r["emergency_priority"]) >= 2 for r in allowed)
    two_guardian_extras = [
        r
        for rs in contacts.values()
        if sum(1 for x in rs if x["legal_guardian"] == "yes" and x["emergency_priority"]) == 2
        for r in rs
        if not r["adult_sis_id"] and r["emergency_priority"]
    ]
    assert two_guardian_extras and all(
        int(r["emergency_priority"]) >= 3 for r in two_guardian_extras
    )


def test_some_children_have_a_single_guardian_and_no_other_adult(contacts):
    alone = [rs for rs in contacts.values() if len(rs) == 1]
    assert len(alone) >= 10
    for (row,) in alone:
        assert row["adult_sis_id"] and row["legal_guardian"] == "yes"
        assert row["emergency_priority"] == "1" and row["pickup_status"] == "allowed"


def test_household_landlines_are_phones_that_take_no_sms(users):
    with_landline = [u for u in users if u["phone"]]
    assert len(with_landline) >= 50
    assert any(not u["sms"] for u in with_landline)  # some adults have only the landline
    # A household's landline is shared; a mobile never is a landline.
    mobiles = {normalize_phone(u["sms"]) for u in users if u["sms"]}
    assert not mobiles & {normalize_phone(u["phone"]) for u in with_landline}


def test_guardians_prefer_es_ar_vi_and_en_and_students_speak_the_family_language(users, contacts):
    adults = [u for u in users if u["role"] != "student"]
    assert {u["metadata.language"] for u in adults} == {"en", "es", "ar", "vi"}
    by_id = {u["sourcedId"]: u for u in users}
    for u in users:
        if u["role"] != "student":
            continue
        if any(r["relationship"] == "foster" for r in contacts[u["sourcedId"]]):
            continue  # foster parents need not share the child's home language
        languages = {by_id[g]["metadata.language"] for g in u["agentSourcedIds"].split(",")}
        assert u["metadata.language"] in languages


def test_a_few_relatives_abroad_have_international_numbers(contacts):
    abroad = [
        normalize_phone(r["mobile_phone"])
        for rs in contacts.values()
        for r in rs
        if r["mobile_phone"].startswith("+") and not r["mobile_phone"].startswith("+1")
    ]
    assert abroad
    assert any(n.startswith("+52") for n in abroad)  # the uncle in Mexico of the first family
    assert len(set(abroad)) <= STUDENTS // 20


def test_invalid_numbers_belong_to_sis_adults_and_are_listed_for_the_seeder(district, users):
    pairs = read_invalid_numbers(district.invalid_numbers_json)
    assert pairs == district.invalid_numbers
    assert 2 <= len(pairs) <= STUDENTS // 50
    mobiles = {u["sourcedId"]: normalize_phone(u["sms"]) for u in users if u["sms"]}
    for sis_id, phone in pairs:
        assert mobiles[sis_id] == phone


def test_without_contacts_the_oneroster_files_are_the_same(tmp_path):
    full = generate_district(tmp_path / "a", students=300, seed=9)
    bare = generate_district(tmp_path / "b", students=300, seed=9, contacts=False)
    assert not bare.contacts_csv.exists()
    assert all_files(full.oneroster_dir) == all_files(bare.oneroster_dir)
    assert bare.oneroster_rows == 1 + len(bare.schools) + 300 + bare.sis_adults + 300


def test_a_one_student_district_still_works(tmp_path):
    district = generate_district(tmp_path, students=1, seed=1)
    assert district.students == 1 and len(rows(district.oneroster_dir / "enrollments.csv")) == 1


def test_beyond_the_fictional_block_numbers_stay_valid_and_unique():
    import random

    from contacts.lib.synthetic import _PhoneBook

    book = _PhoneBook(random.Random(1))
    fictional = len(book.areas) * 100
    book.next = fictional - 3
    numbers = [book.take().e164 for _ in range(6)]
    assert [n[8:10] == "01" for n in numbers] == [True] * 3 + [False] * 3
    assert len(set(numbers)) == 6
    assert [normalize_phone(n) for n in numbers] == numbers
