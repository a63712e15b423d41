"""The staff pages of privacy: the agency request intake (every staff role), and the legal
office's list, review and decision pages and document downloads (legal officers only; 404 for
anyone else). Thin: parse, access helper, one service, render."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import selectors, services
from .directory import directory
from .errors import DomainError
from .forms import AgencyRequestForm, DecisionForm
from .roles import roles_of
from .services.agency import Intake

LOGIN_URL = "portal:staff_login"


def staff_required(view):
    """Signed-in staff with any Reunify role; anyone else is sent to sign in or gets a 404."""

    @login_required(login_url=LOGIN_URL)
    def wrapper(request, *args, **kwargs):
        if not roles_of(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def _phones() -> dict:
    return {
        "legal_phone": settings.LEGAL_OFFICE_PHONE,
        "safety_phone": settings.SAFETY_DEPARTMENT_PHONE,
    }


# The services' errors, said in the reader's language on the page (the API keeps the English
# message and the code). A service's field is renamed to the form field it concerns.
FIELD_OF = {"what": "disclosed", "basis": "disclosure_basis", "basis_detail": "decision_basis"}
PAGE_MESSAGES = {
    "documents": _(
        "This file cannot be kept: send a JPEG, PNG or PDF of at most 10 MB (checked by its "
        "content, not its name). Nothing was saved."
    ),
    "supervisor_phone": _("This is not a valid phone number."),
    "school": _("Choose the school where the officer is."),
    "student_ids": _("Choose the students asked for, or write down the records asked for."),
    "document_other": _("Say what kind of document was shown."),
    "decision_basis": _("Write down the legal basis of the decision."),
    "disclosure_basis": _("Choose the FERPA basis for what is given."),
    "disclosed": _("Write down what is given."),
    "guardian_notice_reason": _("Say which order forbids telling the family."),
    "outcome": _("Choose a decision."),
}


def _add_error(form, error: DomainError) -> None:
    field = FIELD_OF.get(error.field, error.field)
    if field in form.fields:
        form.add_error(field, PAGE_MESSAGES.get(field, error.message))
    elif field in PAGE_MESSAGES:  # the uploaded files, which the form does not parse
        form.add_error(None, PAGE_MESSAGES[field])
    else:
        form.add_error(None, _("This request is no longer at a step where this can be done."))


@staff_required
@require_http_methods(["GET", "POST"])
def agency_request_new(request):
    """An officer is asking for a student or records: what to do now, and what to write down."""
    schools = directory().schools_for(request.user)
    school_id = _int(request.GET.get("school")) or (schools[0][0] if len(schools) == 1 else None)
    query = request.GET.get("q", "").strip()[:100]
    found = directory().students_search(request.user, school_id, query) if school_id else []
    if request.method == "POST":
        posted = [_int(v) for v in request.POST.getlist("student_ids")]
        found = [*found, *directory().students_visible(request.user, [p for p in posted if p])]
    form = AgencyRequestForm(
        request.POST if request.method == "POST" else None,
        schools=schools,
        students=found,
        initial={"school": school_id},
    )
    status = 200
    if form.is_bound:
        status = 400
        if form.is_valid():
            data = dict(form.cleaned_data)
            school = data.pop("school")
            try:
                created = services.agency_request_receive(
                    actor=request.user,
                    intake=Intake(school_id=school, **data),
                    documents=request.FILES.getlist("documents"),
                )
            except DomainError as error:
                _add_error(form, error)
            else:
                return redirect("privacy:agency_request_received", pk=created.pk)
    context = {"form": form, "query": query, "school_id": school_id, "schools": schools}
    return render(request, "privacy/agency_request_new.html", context | _phones(), status=status)


def _int(raw) -> int | None:
    raw = str(raw or "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else None


@staff_required
@require_GET
def agency_request_received(request, pk: int):
    agency_request = selectors.get_filed_agency_request_for(request.user, pk)
    context = {"agency_request": agency_request} | _phones()
    return render(request, "privacy/agency_request_received.html", context)


@staff_required
@require_GET
def agency_request_list(request):
    requests = selectors.agency_requests_visible_to(request.user).order_by("-received_at", "-id")
    if not selectors.is_legal_officer(request.user):
        raise Http404
    rows = list(requests[:200])
    names = directory().school_names({r.school_id for r in rows})
    context = {"rows": [(r, names.get(r.school_id, "")) for r in rows]}
    return render(request, "privacy/agency_request_list.html", context)


@staff_required
@require_GET
def agency_request_detail(request, pk: int):
    agency_request = selectors.get_agency_request_for(request.user, pk)
    return _detail(request, agency_request, DecisionForm())


def _detail(request, agency_request, form, status=200):
    student_ids = [s.student_id for s in agency_request.students.all()]
    context = {
        "agency_request": agency_request,
        "students": list(directory().student_refs(student_ids).values()),
        "school": directory()
        .school_names([agency_request.school_id])
        .get(agency_request.school_id, ""),
        "form": form,
    }
    return render(request, "privacy/agency_request_detail.html", context, status=status)


@staff_required
@require_POST
def agency_request_act(request, pk: int, step: str):
    """Start the review, decide or close (legal officers only: 404 for anyone else)."""
    agency_request = selectors.get_agency_request_for(request.user, pk)
    form = DecisionForm(request.POST if step == "decide" else None)
    try:
        if step == "review":
            services.agency_request_review_start(actor=request.user, request=agency_request)
        elif step == "close":
            services.agency_request_close(actor=request.user, request=agency_request)
        elif form.is_valid():
            services.agency_request_decide(
                actor=request.user, request=agency_request, **form.cleaned_data
            )
        else:
            return _detail(request, agency_request, form, status=400)
    except DomainError as error:
        if step == "decide":
            _add_error(form, error)
            return _detail(request, agency_request, form, status=error.status)
        messages.error(request, error.message)
    return redirect("privacy:agency_request_detail", pk=agency_request.pk)


@staff_required
@require_GET
def agency_document_download(request, pk: int):
    """A document the officer showed, for legal officers only; every download is logged."""
    document = selectors.get_agency_document_for(request.user, pk)
    try:
        handle = services.agency_document_open(actor=request.user, document=document)
    except DomainError:
        raise Http404 from None
    response = FileResponse(
        handle,
        content_type=document.content_type,
        as_attachment=True,
        filename=f"agency-request-{document.request_id}-{document.pk}{document.extension}",
    )
    response["Cache-Control"] = "private, no-store"
    return response
