"""Staff pages: campaigns (data team), the school office's call list, the readiness report.

Thin: parse, load through an access helper (404 for what the staff member may not see), call
one service, render. Pages that show families write the access log.
"""

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from contacts.selectors import schools_visible_to
from privacy.errors import DomainError
from privacy.services import access_record_many

from . import readiness as report
from . import selectors, services
from .forms import OUTCOME_CHOICES, CampaignForm, message_for
from .models import Campaign

LOGIN = "portal:staff_login"
CHANGES = {
    "launch": services.campaign_launch,
    "pause": services.campaign_pause,
    "resume": services.campaign_resume,
    "close": services.campaign_close,
}


def _cell(value) -> str:
    """A CSV cell a spreadsheet will not run as a formula (names come from the SIS and portal)."""
    text = str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _require_manager(user) -> None:
    if not selectors.can_manage_campaigns(user):
        raise Http404


def _school_param(request) -> int | None:
    raw = request.GET.get("school", "")
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) < 19):
        raise Http404
    school = schools_visible_to(request.user).filter(pk=int(raw)).first()
    if school is None:
        raise Http404
    return school.pk


def _days_param(request) -> int | None:
    raw = request.GET.get("days", "")
    if raw and raw.isascii() and raw.isdigit() and 1 <= int(raw) <= 3650:
        return int(raw)
    return None


@never_cache
@login_required(login_url=LOGIN)
def campaign_list(request):
    _require_manager(request.user)
    campaigns = selectors.campaigns_visible_to(request.user).order_by("-created_at", "-id")[:200]
    return render(request, "campaigns/list.html", {"campaigns": campaigns})


@never_cache
@login_required(login_url=LOGIN)
def campaign_new(request):
    _require_manager(request.user)
    status = 200
    if request.method == "POST":
        form = CampaignForm(request.POST)
        if form.is_valid():
            try:
                campaign = services.campaign_create(actor=request.user, **form.service_arguments())
            except DomainError as error:
                form.add_domain_error(error)
            else:
                return redirect("campaigns:detail", pk=campaign.pk)
        status = 400
    else:
        form = CampaignForm(initial=CampaignForm.initial_times())
    return render(request, "campaigns/new.html", {"form": form}, status=status)


def _detail_context(campaign: Campaign) -> dict:
    rows = selectors.campaign_progress(campaign)
    return {
        "campaign": campaign,
        "rows": rows,
        "total": selectors.progress_total(rows),
        "polling": campaign.is_active,
    }


@never_cache
@login_required(login_url=LOGIN)
def campaign_detail(request, pk: int):
    campaign = selectors.get_campaign_for(request.user, pk)
    context = _detail_context(campaign)
    if campaign.status == Campaign.Status.DRAFT:
        context["preview"] = selectors.campaign_preview(campaign)
    return render(request, "campaigns/detail.html", context)


@never_cache
@login_required(login_url=LOGIN)
def campaign_progress(request, pk: int):
    """The progress fragment htmx polls while the campaign sends."""
    campaign = selectors.get_campaign_for(request.user, pk)
    return render(request, "campaigns/_progress.html", _detail_context(campaign))


@require_POST
@login_required(login_url=LOGIN)
def campaign_change(request, pk: int, change: str):
    campaign = selectors.get_campaign_for(request.user, pk)
    service = CHANGES.get(change)
    if service is None:
        raise Http404
    try:
        service(actor=request.user, campaign=campaign)
    except DomainError as error:
        messages.error(request, message_for(error))
    return redirect("campaigns:detail", pk=campaign.pk)


# --- call list -----------------------------------------------------------------------------------


def _call_entries(request):
    if not selectors.can_use_call_list(request.user):
        raise Http404
    entries = list(selectors.call_list_visible_to(request.user, school_id=_school_param(request)))
    student_ids = {link.student_id for e in entries for link in e.person.children_links}
    access_record_many(
        actor=request.user,
        action="campaigns.call_list.viewed",
        object_type="contacts.student",
        object_ids=sorted(student_ids),
    )
    return entries


@never_cache
@login_required(login_url=LOGIN)
def call_list(request):
    entries = _call_entries(request)
    context = {
        "entries": entries,
        "schools": schools_visible_to(request.user).order_by("name"),
        "school_id": _school_param(request),
        "outcomes": OUTCOME_CHOICES,
    }
    return render(request, "campaigns/call_list.html", context)


@never_cache
@login_required(login_url=LOGIN)
def call_list_csv(request):
    entries = _call_entries(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="call-list.csv"'
    writer = csv.writer(response)
    writer.writerow(
        [_("School"), _("Guardian"), _("Children"), _("Phone numbers"), _("Campaign"), _("Outcome")]
    )
    for entry in entries:
        writer.writerow(
            [
                _cell(entry.school.name),
                _cell(entry.person.display_name),
                _cell("; ".join(link.student.display_name for link in entry.person.children_links)),
                "; ".join(point.value for point in entry.person.phones),
                _cell(entry.campaign.name),
                entry.get_response_display() if entry.response else "",
            ]
        )
    return response


@require_POST
@login_required(login_url=LOGIN)
def call_record(request, pk: int):
    entry = selectors.get_call_list_entry_for(request.user, pk)
    try:
        services.call_outcome_record(
            actor=request.user, recipient=entry, outcome=request.POST.get("outcome", "")
        )
    except DomainError as error:
        return HttpResponseBadRequest(message_for(error))
    messages.success(request, _("Outcome recorded."))
    school = request.POST.get("school", "")
    target = redirect("campaigns:call_list")
    if school.isascii() and school.isdigit():
        target["Location"] += f"?school={school}"
    return target


# --- readiness -------------------------------------------------------------------------------


def _require_reader(user) -> None:
    if not schools_visible_to(user).exists():
        raise Http404


@never_cache
@login_required(login_url=LOGIN)
def readiness(request):
    _require_reader(request.user)
    result = report.readiness_report(request.user, days=_days_param(request))
    bars = report.chart_bars(result)
    context = {
        "report": result,
        "bars": bars,
        "chart_height": max(1, len(bars)) * 28 + 8,
        "can_target": selectors.can_manage_campaigns(request.user),
    }
    return render(request, "campaigns/readiness.html", context)


@never_cache
@login_required(login_url=LOGIN)
def readiness_csv(request):
    _require_reader(request.user)
    result = report.readiness_report(request.user, days=_days_param(request))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="readiness.csv"'
    writer = csv.writer(response)
    writer.writerow(
        [
            _("School"),
            _("Students"),
            _("Verified in the last %(days)s days") % {"days": result.days},
            _("Share verified (%)"),
            _("Contact points invalid or opted out"),
            _("All adults in one household"),
            _("No backup pickup adult"),
        ]
    )
    for row in [*result.schools, result.total]:
        writer.writerow(
            [
                _cell(row.school.name) if row.school else _("District"),
                row.students,
                row.verified,
                row.verified_percent,
                row.invalid_points,
                row.one_household,
                row.no_backup,
            ]
        )
    return response


def _measure(measure: str) -> str:
    if measure not in report.MEASURES:
        raise Http404
    return measure


@never_cache
@login_required(login_url=LOGIN)
def readiness_list(request, measure: str):
    _require_reader(request.user)
    measure = _measure(measure)
    school_id = _school_param(request)
    students = report.readiness_students(
        request.user, measure=measure, school_id=school_id, days=_days_param(request)
    )
    page = Paginator(students, 100).get_page(request.GET.get("page"))
    access_record_many(
        actor=request.user,
        action="campaigns.readiness.viewed",
        object_type="contacts.student",
        object_ids=[s.pk for s in page],
    )
    context = {
        "measure": measure,
        "page": page,
        "school_id": school_id,
        "can_target": selectors.can_manage_campaigns(request.user),
    }
    return render(request, "campaigns/readiness_list.html", context)


@require_POST
@login_required(login_url=LOGIN)
def readiness_target(request, measure: str):
    """Start a draft campaign for exactly the families behind one number of the report."""
    _require_manager(request.user)
    measure = _measure(measure)
    form = CampaignForm(initial=CampaignForm.initial_times())
    times = form.initial
    ids = list(
        report.readiness_students(
            request.user, measure=measure, school_id=_school_param(request)
        ).values_list("pk", flat=True)
    )
    try:
        campaign = services.campaign_create(
            actor=request.user,
            name=request.POST.get("name", "").strip()
            or _("Targeted: %(measure)s") % {"measure": measure},
            scope=Campaign.Scope.STUDENTS,
            student_ids=ids,
            channels=["sms", "email", "voice"],
            opens_at=times["opens_at"],
            closes_at=times["closes_at"],
            reminder_days=[3, 7],
        )
    except DomainError as error:
        messages.error(request, message_for(error))
        return redirect("campaigns:readiness")
    return redirect("campaigns:detail", pk=campaign.pk)
