"""The after-action report: times to account for and release each student, messages by status
and failure reason, overrides and refusals, DRILL marking, CSV; a constant number of queries."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alerts.models import Message
from reunify.models import Case, CaseStudent, Release
from reunify.services.report import _p90, case_report, case_report_csv
from tests.factories import StudentContactFactory, StudentFactory

from .release_helpers import open_lopez_case, release

pytestmark = pytest.mark.django_db


@pytest.fixture
def finished_case(crisis_lead, lincoln_staff, lopez_family, counselors):
    case = open_lopez_case(crisis_lead, lopez_family)
    ana, luis, _ = lopez_family.children
    with pytest.raises(Exception):  # noqa: B017 - the refusal itself is what the report shows
        release(lincoln_staff, case, ana, person=lopez_family.uncle)
    release(lincoln_staff, case, ana, person=lopez_family.aunt)
    release(crisis_lead, case, luis, person=lopez_family.neighbour, override_reason="Mother asked")
    # Ana was released 30 minutes after the opening, Luis 60.
    Case.objects.filter(pk=case.pk).update(opened_at=case.opened_at - timedelta(minutes=60))
    first = Release.objects.get(case_student__student=ana)
    CaseStudent.objects.filter(pk=first.case_student_id).update(
        settled_at=first.handed_over_at - timedelta(minutes=30)
    )
    Message.objects.filter(cause_id=case.pk).update(status="failed", error_code="landline")
    case.refresh_from_db()
    return case


def test_report_times_messages_overrides_and_refusals(finished_case):
    report = case_report(finished_case)
    released = report["released"]
    assert released["count"] == 2 and released["of"] == 3
    assert 59 <= released["slowest_minutes"] <= 61
    assert released["median_minutes"] is not None and released["p90_minutes"] is not None
    assert report["accounted_for"]["count"] == 2
    assert report["messages"]["failed"] >= 1
    assert "landline" in report["messages"]["failed_by_reason"]
    assert [o["kind"] for o in report["overrides"]] == ["override"]
    assert report["overrides"][0]["reason"].endswith("Mother asked")
    [refused] = report["refused_releases"]
    assert refused["code"] == "release_prohibited" and refused["adult"] == "Pedro Lopez"
    assert report["still_in_care"] == 1
    assert report["marker"] == ""


def test_p90_is_the_nearest_rank():
    assert _p90([]) is None
    assert _p90([5.0]) == 5.0
    assert _p90([float(n) for n in range(1, 11)]) == 9.0


def test_a_drill_report_says_drill_in_every_csv_row(crisis_lead, lopez_family, counselors):
    case = open_lopez_case(crisis_lead, lopez_family, drill=True)
    rows = [r for r in csv.reader(io.StringIO(case_report_csv(case))) if r]
    assert rows[0][0] == "marker"
    assert all(row[0] == "DRILL" for row in rows[1:])
    assert case_report(case)["marker"] == "DRILL"


def test_report_queries_do_not_grow_with_students(crisis_lead, lopez_family, counselors, lincoln):
    case = open_lopez_case(crisis_lead, lopez_family)
    with CaptureQueriesContext(connection) as few:
        case_report(case)
    for _ in range(5):
        child = StudentFactory(school=lincoln)
        StudentContactFactory(student=child, person=lopez_family.mother)
        CaseStudent.objects.create(case=case, student=child, identified_at=case.opened_at)
    with CaptureQueriesContext(connection) as more:
        case_report(case)
    assert len(more) == len(few)


def test_report_and_csv_endpoints(api_as, crisis_lead, finished_case, lincoln_staff):
    client = api_as(crisis_lead)
    body = client.get(f"/api/v1/cases/{finished_case.pk}/report/")
    assert body.status_code == 200 and body.json()["released"]["count"] == 2
    exported = client.get(f"/api/v1/cases/{finished_case.pk}/report.csv")
    assert exported.status_code == 200 and exported["Content-Type"].startswith("text/csv")
    assert "Ana Lopez" in exported.content.decode()
    assert client.get("/api/v1/cases/424242/report/").status_code == 404


def test_csv_cells_never_start_a_formula(crisis_lead, lopez_family, counselors):
    lopez_family.children[0].first_name = "=HYPERLINK(1)"
    lopez_family.children[0].save()
    case = open_lopez_case(crisis_lead, lopez_family)
    text = case_report_csv(case)
    assert "'=HYPERLINK(1)" in text


def test_the_report_is_the_leads_alone(api_as, client_for, finished_case, lincoln_staff):
    """The whole case's figures: staff who see some of its students get a 404, from the API and
    the page."""
    client = api_as(lincoln_staff)
    assert client.get(f"/api/v1/cases/{finished_case.pk}/report/").status_code == 404
    assert client.get(f"/api/v1/cases/{finished_case.pk}/report.csv").status_code == 404
    page = client_for(lincoln_staff)
    assert page.get(f"/staff/crisis/cases/{finished_case.pk}/report/").status_code == 404
    assert page.get(f"/staff/crisis/cases/{finished_case.pk}/report.csv").status_code == 404
    assert (
        "report-link" not in page.get(f"/staff/crisis/cases/{finished_case.pk}/").content.decode()
    )


def test_the_report_page_shows_the_chart_the_table_and_the_refusals(
    client_for, crisis_lead, finished_case
):
    client = client_for(crisis_lead)
    assert "report-link" in client.get(f"/staff/crisis/cases/{finished_case.pk}/").content.decode()
    text = client.get(f"/staff/crisis/cases/{finished_case.pk}/report/").content.decode()
    # Released after 30 and 60 minutes: the slowest bar is the longest (300 px), the median
    # (45 minutes) three quarters of it.
    assert '<svg class="chart"' in text and 'width="300"' in text and 'width="225"' in text
    assert "Ana Lopez" in text and "Luis Lopez" in text
    assert "<code>landline</code>" in text
    assert "Mother asked" in text  # the override's reason
    assert "do not release to this adult" in text  # the refused release
    exported = client.get(f"/staff/crisis/cases/{finished_case.pk}/report.csv")
    assert exported["Content-Type"].startswith("text/csv") and b"Ana Lopez" in exported.content


def test_the_report_page_is_in_the_staff_members_language(client_for, crisis_lead, finished_case):
    text = client_for(crisis_lead, "vi").get(f"/staff/crisis/cases/{finished_case.pk}/report/")
    assert 'lang="vi"' in text.content.decode() and "Báo cáo" in text.content.decode()
