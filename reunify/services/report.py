"""The after-action report of a case: its timeline; the time from opening to each student being
accounted for and released (median, 90th percentile, slowest); adults contacted, replies,
messages sent, delivered and failed by reason; overrides and refused releases with their
reasons. A drill's report says DRILL on every page and row. JSON for the API and CSV; the
pages draw the chart and the printable page from the same data.

Reads only (a report writes nothing but the caller's access record). A constant number of
queries, whatever the number of students.
"""

import csv
import io
import math
from statistics import median

from django.db.models import Count

from alerts.models import InboundMessage, Message

from ..messages import CAUSE_TYPE
from ..models import Case, CaseStudent, Outreach, Release, ReleaseApproval, TimelineEntry

REFUSALS = ("release.refused", "release.prohibited_attempt", "release.held")


def _minutes(start, end) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds() / 60, 1)


def _p90(values: list[float]) -> float | None:
    """The 90th percentile, nearest rank."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def _stats(rows: list[dict], key: str) -> dict:
    values = [row[key] for row in rows if row[key] is not None]
    slowest = max((row for row in rows if row[key] is not None), key=lambda r: r[key], default=None)
    return {
        "count": len(values),
        "of": len(rows),
        "median_minutes": round(median(values), 1) if values else None,
        "p90_minutes": _p90(values),
        "slowest_minutes": slowest[key] if slowest else None,
        "slowest_student": slowest["name"] if slowest else None,
    }


def student_rows(case: Case) -> list[dict]:
    students = case.students.select_related("student__school").order_by(
        "student__last_name", "student__first_name", "pk"
    )
    releases = {
        r.case_student_id: r
        for r in Release.objects.filter(case=case).select_related("person", "handed_over_by")
    }
    rows = []
    for cs in students:
        release = releases.get(cs.pk)
        released_at = release.handed_over_at if release else None
        accounted = [t for t in (cs.accounted_at, cs.settled_at) if t is not None]
        accounted_at = min(accounted) if accounted else None
        rows.append(
            {
                "case_student": cs.pk,
                "student": cs.student_id,
                "name": cs.student.display_name,
                "school": cs.student.school.name,
                "grade": cs.student.grade,
                "status": cs.status,
                "accounted_where": cs.accounted_where,
                "accounted_at": accounted_at,
                "minutes_to_accounted": _minutes(case.opened_at, accounted_at),
                "released_at": released_at,
                "minutes_to_released": _minutes(case.opened_at, released_at),
                "released_to": release.taken_by if release else "",
                "authorization": release.authorization if release else "",
            }
        )
    return rows


def _messages(case: Case) -> dict:
    base = Message.objects.filter(cause_type=CAUSE_TYPE, cause_id=case.pk)
    by_status = dict(base.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    failed = dict(
        base.filter(status=Message.Status.FAILED)
        .values_list("error_code")
        .annotate(n=Count("pk"))
        .values_list("error_code", "n")
    )
    sent = sum(
        by_status.get(s, 0)
        for s in (Message.Status.SENT, Message.Status.DELIVERED, Message.Status.FAILED)
    )
    replies = InboundMessage.objects.filter(
        in_reply_to__cause_type=CAUSE_TYPE, in_reply_to__cause_id=case.pk
    ).count()
    return {
        "written": sum(by_status.values()),
        "sent": sent,
        "delivered": by_status.get(Message.Status.DELIVERED, 0),
        "failed": by_status.get(Message.Status.FAILED, 0),
        "failed_by_reason": {reason or "unknown": n for reason, n in sorted(failed.items())},
        "queued": by_status.get(Message.Status.QUEUED, 0)
        + by_status.get(Message.Status.SENDING, 0),
        "replies": replies,
    }


def _outreach(case: Case) -> dict:
    rows = Outreach.objects.filter(case=case)
    contacted = rows.exclude(status=Outreach.Status.QUEUED)
    return {
        "adults_contacted": contacted.values("person_id").distinct().count(),
        "answered_coming": rows.filter(status=Outreach.Status.COMING).count(),
        "answered_declined": rows.filter(status=Outreach.Status.DECLINED).count(),
        "no_answer": rows.filter(status=Outreach.Status.NO_ANSWER).count(),
        "unreachable": rows.filter(status=Outreach.Status.UNREACHABLE).count(),
    }


def _entry(entry: TimelineEntry) -> dict:
    return {
        "at": entry.at,
        "actor": entry.actor_label,
        "action": entry.action,
        "text": entry.text,
        "student": entry.case_student.student.display_name if entry.case_student_id else "",
    }


def case_report(case: Case) -> dict:
    """The after-action report as one JSON-ready dict."""
    rows = student_rows(case)
    timeline = list(case.timeline.select_related("case_student__student").order_by("at", "id"))
    approvals = ReleaseApproval.objects.filter(case=case).select_related(
        "approved_by", "case_student__student", "person"
    )
    return {
        "case": case.pk,
        "number": case.number,
        "drill": case.drill,
        "marker": "DRILL" if case.drill else "",
        "kind": case.kind,
        "status": case.status,
        "opened_at": case.opened_at,
        "closed_at": case.closed_at,
        "close_note": case.close_note,
        "students": rows,
        "accounted_for": _stats(rows, "minutes_to_accounted"),
        "released": _stats(rows, "minutes_to_released"),
        "still_in_care": sum(1 for r in rows if r["status"] not in CaseStudent.SETTLED),
        "outreach": _outreach(case),
        "messages": _messages(case),
        "overrides": [
            {
                "at": a.approved_at,
                "kind": a.kind,
                "student": a.case_student.student.display_name,
                "adult": a.person.display_name if a.person else a.adult_name,
                "approved_by": a.approved_by.get_full_name() or a.approved_by.get_username(),
                "reason": a.reason,
            }
            for a in approvals
        ],
        "refused_releases": [
            {
                **_entry(e),
                "code": e.data.get("code", ""),
                "adult": e.data.get("adult", ""),
                "reason": e.data.get("reason", ""),
            }
            for e in timeline
            if e.action in REFUSALS
        ],
        "timeline": [_entry(e) for e in timeline],
    }


CSV_COLUMNS = [
    "marker",
    "case",
    "student",
    "name",
    "school",
    "grade",
    "status",
    "accounted_where",
    "accounted_at",
    "minutes_to_accounted",
    "released_at",
    "minutes_to_released",
    "released_to",
    "authorization",
]


def case_report_csv(case: Case) -> str:
    """One row per student (DRILL in every row of a drill), then the summary figures."""
    report = case_report(case)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in report["students"]:
        values = {**row, "marker": report["marker"], "case": report["number"]}
        writer.writerow([_cell(values.get(column, "")) for column in CSV_COLUMNS])
    writer.writerow([])
    writer.writerow(
        [
            report["marker"],
            "summary",
            "median_minutes",
            "p90_minutes",
            "slowest_minutes",
            "slowest_student",
        ]
    )
    for label in ("accounted_for", "released"):
        s = report[label]
        writer.writerow(
            [
                report["marker"],
                label,
                s["median_minutes"],
                s["p90_minutes"],
                s["slowest_minutes"],
                _cell(s["slowest_student"] or ""),
            ]
        )
    m = report["messages"]
    writer.writerow(
        [
            report["marker"],
            "messages",
            "sent",
            m["sent"],
            "delivered",
            m["delivered"],
            "failed",
            m["failed"],
            "replies",
            m["replies"],
        ]
    )
    for reason, n in m["failed_by_reason"].items():
        writer.writerow([report["marker"], "failed_by_reason", reason, n])
    for o in report["overrides"]:
        writer.writerow(
            [
                report["marker"],
                "override",
                _cell(o["student"]),
                _cell(o["adult"]),
                _cell(o["approved_by"]),
                _cell(o["reason"]),
            ]
        )
    for r in report["refused_releases"]:
        writer.writerow(
            [
                report["marker"],
                "refused",
                _cell(r["student"]),
                _cell(r["adult"]),
                r["code"],
                _cell(r["reason"]),
            ]
        )
    return out.getvalue()


def _cell(value) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (CSV injection)."""
    text = (
        value.isoformat()
        if hasattr(value, "isoformat")
        else str(value if value is not None else "")
    )
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
