"""The after-action report of a case as a printable page, with a chart drawn on the server (an
SVG, no script), and its CSV. The whole case's figures, so the crisis lead's alone: a 404 to
anyone else, as the API's report is."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from privacy.services import access_record

from .. import access, selectors
from ..models import Case
from ..services import report as report_services
from .common import staff_page

BAR_WIDTH = 300  # px of the longest bar
MEASURES = (
    ("accounted_for", _("Accounted for")),
    ("released", _("Released")),
)
FIGURES = (
    ("median_minutes", _("Median")),
    ("p90_minutes", _("90th percentile")),
    ("slowest_minutes", _("Slowest")),
)


def _report_case(request, case_id: int) -> Case:
    case = selectors.get_case_for(request.user, case_id)
    if not access.can_view_report(request.user):
        raise Http404
    return case


def chart_bars(report: dict) -> list[dict]:
    """The chart's bars: for each measure, its median, 90th percentile and slowest minutes, each
    bar's length relative to the slowest of all (an SVG of fixed width)."""
    longest = max((report[m][f] or 0 for m, _label in MEASURES for f, _name in FIGURES), default=0)
    bars, y = [], 0
    for measure, label in MEASURES:
        for figure, name in FIGURES:
            minutes = report[measure][figure]
            width = round(BAR_WIDTH * minutes / longest) if minutes and longest else 0
            bars.append(
                {"label": f"{label}: {name}", "minutes": minutes, "width": max(width, 1), "y": y}
            )
            y += 28
        y += 12
    return bars


@staff_page
@require_GET
def report_page(request, case_id: int):
    case = _report_case(request, case_id)
    access_record(actor=request.user, action="reunify.case.report_viewed", obj=case)
    report = report_services.case_report(case)
    bars = chart_bars(report)
    context = {
        "case": case,
        "report": report,
        "bars": bars,
        "chart_height": (bars[-1]["y"] + 28) if bars else 0,
        "bar_max": BAR_WIDTH,
        "stats": [(label, report[measure]) for measure, label in MEASURES],
    }
    return render(request, "reunify/report.html", context)


@staff_page
@require_GET
def report_csv(request, case_id: int):
    case = _report_case(request, case_id)
    access_record(actor=request.user, action="reunify.case.report_exported", obj=case)
    response = HttpResponse(
        report_services.case_report_csv(case), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="case-{case.number}-after-action.csv"'
    return response
