"""Portal pages. Each view parses input, loads objects through an access helper, calls one
service and renders; domain errors are shown next to their field in the guardian's language."""

from functools import partial

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBadRequest, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from privacy.errors import DomainError

from . import conf, forms, selectors, services
from .access import (
    CHALLENGE_KEY,
    CHOICE_KEY,
    choice_pending,
    forget,
    guardian_required,
    session_of,
    sign_in,
)
from .clientip import client_ip
from .errors import add_to_form, message_for
from .htmx import is_htmx
from .review_selectors import review_requests_of


def _attempt(form, call):
    """(result, status): the service's result and 200, or None and the error's status with the
    error added to the form."""
    try:
        return call(), 200
    except DomainError as error:
        add_to_form(form, error)
        return None, error.status


def _posted(request):
    """The POST data (possibly empty) to bind a form to, or None on GET."""
    return request.POST if request.method == "POST" else None


def _household_update(request, children=()):
    """htmx's answer on the household page: the changed children's cards and the notices."""
    context = {"students": children, "guardian_id": request.guardian.pk}
    return render(request, "portal/_household_update.html", context)


def _signed_in(request, key: str, person):
    response = redirect("portal:household")
    sign_in(request, response, key)
    if person.preferred_language in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, person.preferred_language, samesite="Lax"
        )
    return response


def home(request):
    return redirect("portal:household" if session_of(request) else "portal:sign_in")


@require_http_methods(["GET", "POST"])
def sign_in_view(request):
    form = forms.SignInForm(_posted(request))
    status = 200
    if form.is_valid():
        call = partial(
            services.signin_code_request,
            identifier=form.cleaned_data["identifier"],
            ip=client_ip(request),
        )
        challenge, status = _attempt(form, call)
        if challenge:
            request.session[CHALLENGE_KEY] = challenge
            return redirect("portal:code")
    elif form.is_bound:
        status = 400
    context = {"form": form, "code_pending": CHALLENGE_KEY in request.session}
    return render(request, "portal/sign_in.html", context, status=status)


@require_http_methods(["GET", "POST"])
def code_view(request):
    challenge = request.session.get(CHALLENGE_KEY)
    if not challenge:
        return redirect("portal:sign_in")
    form = forms.CodeForm(_posted(request))
    status = 400 if form.is_bound else 200
    if form.is_valid():
        call = partial(
            services.signin_code_verify, challenge=challenge, code=form.cleaned_data["code"]
        )
        accepted, status = _attempt(form, call)
        if accepted and accepted.session:
            return _signed_in(request, accepted.session_key, accepted.session.person)
        if accepted:
            choice_pending(request, accepted.choice_token)
            return redirect("portal:choose")
    return render(request, "portal/code.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def choose_view(request):
    """Who are you? After a right code on an address that several guardians share."""
    choice = services.signin_choice_get(request.session.get(CHOICE_KEY))
    if choice is None:
        request.session.pop(CHOICE_KEY, None)
        return redirect("portal:sign_in")
    form = forms.ChooseForm(_posted(request))
    status = 400 if form.is_bound else 200
    if form.is_valid():
        call = partial(
            services.signin_choice_make, choice=choice, person_id=form.cleaned_data["person"]
        )
        result, status = _attempt(form, call)
        if result:
            session, key = result
            return _signed_in(request, key, session.person)
    people = services.signin_choice_candidates(choice)
    return render(request, "portal/choose.html", {"form": form, "people": people}, status=status)


LINK_METHODS = ["GET", "HEAD", "POST"]


def link_view(request, token: str):
    """GET and HEAD only show a "Continue" button (mail scanners and link previews follow and
    check links); the POST spends it.

    The path holds a personal token, so this view never logs it: another method is refused here
    rather than by require_http_methods, which logs the path it refuses."""
    if request.method not in LINK_METHODS:
        return HttpResponseNotAllowed(LINK_METHODS)
    if request.method in ("GET", "HEAD"):
        return render(request, "portal/link.html", {"token": token})
    try:
        session, key = services.signin_link_redeem(token=token)
    except DomainError as error:
        # 200, not 400: Django logs 4xx responses with their path, and this path holds a token.
        context = {"token": token, "error": message_for(error)}
        return render(request, "portal/link.html", context)
    return _signed_in(request, key, session.person)


@require_POST
def sign_out(request):
    session = session_of(request)
    if session is not None:
        services.portal_session_end(session=session)
    request.session.flush()
    response = redirect("portal:sign_in")
    forget(response)
    return response


@require_POST
@guardian_required
def sign_out_everywhere(request):
    services.portal_sessions_end_all(person=request.guardian)
    request.session.flush()
    response = redirect("portal:sign_in")
    forget(response)
    return response


@require_POST
def language(request):
    code = request.POST.get("language", "")
    target = request.POST.get("next", "")
    # Back to a page of this site only. A path, never a view name: redirect() would try to look
    # up "next" as one and fail.
    if not target.startswith("/") or not url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    ):
        target = "/portal/"
    response = HttpResponseRedirect(target)
    if code in dict(settings.LANGUAGES):
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, code, samesite="Lax")
    return response


@guardian_required
def household(request):
    children = selectors.household_of(request.guardian)
    context = {"children": children, "guardian_id": request.guardian.pk}
    return render(request, "portal/household.html", context)


@require_POST
@guardian_required
def household_confirm(request):
    services.household_confirm(guardian=request.guardian)
    messages.success(request, _("Thank you. Your children's contacts are confirmed."))
    if is_htmx(request):
        return _household_update(request)
    return redirect("portal:household")


@require_http_methods(["GET", "POST"])
@guardian_required
def contact_add(request):
    students = list(selectors.children_of(request.guardian))
    form = forms.ContactAddForm(_posted(request), students=students)
    status = 400 if form.is_bound else 200
    if form.is_valid():
        data = dict(form.cleaned_data)
        data["students"] = [s for s in students if s.pk in data["students"]]
        call = partial(services.portal_contact_add, guardian=request.guardian, **data)
        added, status = _attempt(form, call)
        if added:
            messages.success(request, _("%(name)s was added.") % {"name": added.display_name})
            return redirect("portal:household")
    return render(request, "portal/contact_form.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@guardian_required
def contact_edit(request, link_id: int):
    link = selectors.get_link_for(request.guardian, link_id)
    phones = [p.value for p in link.person.contact_points.all() if p.kind == "phone"]
    initial = {
        "first_name": link.person.first_name,
        "last_name": link.person.last_name,
        "relationship": link.relationship,
        "phone": phones[0] if phones else "",
        "emergency_priority": link.emergency_priority,
        "pickup": link.pickup_status != "not_allowed",
    }
    form = forms.ContactEditForm(_posted(request), initial=initial)
    status = 400 if form.is_bound else 200
    if form.is_valid():
        call = partial(
            services.portal_contact_update,
            guardian=request.guardian,
            link=link,
            **form.cleaned_data,
        )
        updated, status = _attempt(form, call)
        if updated:
            messages.success(request, _("Saved."))
            return redirect("portal:household")
    context = {"form": form, "link": link}
    return render(request, "portal/contact_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@guardian_required
def contact_remove(request, link_id: int):
    link = selectors.get_link_for(request.guardian, link_id)
    form = forms.RemoveForm(_posted(request))
    status = 200
    if form.is_valid():
        call = partial(
            services.portal_contact_remove,
            guardian=request.guardian,
            link=link,
            confirm=form.cleaned_data["confirm"],
        )
        _done, status = _attempt(form, call)
        if status == 200:
            messages.success(request, _("Removed."))
            return redirect("portal:household")
    context = {"form": form, "link": link}
    return render(request, "portal/contact_remove.html", context, status=status)


@require_POST
@guardian_required
def contact_move(request, link_id: int):
    link = selectors.get_link_for(request.guardian, link_id)
    direction = request.POST.get("direction")
    if direction not in ("up", "down"):
        return HttpResponseBadRequest(_("Choose up or down."))
    try:
        services.portal_contact_move(guardian=request.guardian, link=link, direction=direction)
    except DomainError as error:
        messages.error(request, message_for(error))
    if is_htmx(request):
        return _household_update(
            request, [selectors.household_child_of(request.guardian, link.student_id)]
        )
    return redirect(reverse("portal:household") + f"#student-{link.student_id}")


@require_http_methods(["GET", "POST"])
@guardian_required
def me(request):
    form = forms.OwnContactPointForm(_posted(request))
    status = 400 if form.is_bound else 200
    if form.is_valid():
        call = partial(
            services.own_contact_point_add, guardian=request.guardian, **form.cleaned_data
        )
        point, status = _attempt(form, call)
        if point:
            return redirect("portal:verify", point_id=point.pk)
    points = selectors.own_contact_points(request.guardian)
    return render(request, "portal/me.html", {"form": form, "points": points}, status=status)


@require_http_methods(["GET", "POST"])
@guardian_required
def verify(request, point_id: int):
    point = selectors.get_own_contact_point_for(request.guardian, point_id)
    form = forms.CodeForm(_posted(request))
    status = 400 if form.is_bound else 200
    if form.is_valid():
        call = partial(
            services.own_contact_point_verify,
            guardian=request.guardian,
            point=point,
            code=form.cleaned_data["code"],
        )
        verified, status = _attempt(form, call)
        if verified:
            messages.success(request, _("Confirmed. Thank you."))
            return redirect("portal:me")
    return render(request, "portal/verify.html", {"form": form, "point": point}, status=status)


@require_POST
@guardian_required
def resend(request, point_id: int):
    point = selectors.get_own_contact_point_for(request.guardian, point_id)
    try:
        services.own_contact_point_send_code(guardian=request.guardian, point=point)
        messages.success(request, _("We sent a new code."))
    except DomainError as error:
        messages.error(request, message_for(error))
    return redirect("portal:verify", point_id=point.pk)


@require_POST
@guardian_required
def me_remove(request, point_id: int):
    point = selectors.get_own_contact_point_for(request.guardian, point_id)
    try:
        services.own_contact_point_remove(guardian=request.guardian, point=point)
        messages.success(request, _("Removed."))
    except DomainError as error:
        messages.error(request, message_for(error))
    return redirect("portal:me")


@require_http_methods(["GET", "POST"])
@guardian_required
def preferences(request):
    pref = selectors.preference_of(request.guardian)
    initial = {
        "preferred_language": request.guardian.preferred_language,
        "sms": pref.sms,
        "email": pref.email,
        "voice": pref.voice,
    }
    form = forms.PreferencesForm(_posted(request), initial=initial)
    status = 400 if form.is_bound else 200
    if form.is_valid():
        call = partial(services.preferences_update, guardian=request.guardian, **form.cleaned_data)
        saved, status = _attempt(form, call)
        if saved:
            messages.success(request, _("Saved."))
            response = redirect("portal:preferences")
            lang = form.cleaned_data["preferred_language"]
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, lang, samesite="Lax")
            return response
    return render(request, "portal/preferences.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@guardian_required
def plan(request):
    current = selectors.plan_of(request.guardian)
    initial = {
        "affidavit_on_file": current.affidavit_on_file,
        "affidavit_signed_on": current.affidavit_signed_on,
    }
    form = forms.PlanForm(_posted(request), initial=initial)
    status = 400 if form.is_bound else 200
    if form.is_valid():
        call = partial(
            services.plan_update,
            guardian=request.guardian,
            affidavit_on_file=form.cleaned_data["affidavit_on_file"],
            affidavit_signed_on=form.cleaned_data["affidavit_signed_on"],
            caregiver=form.caregiver(),
        )
        saved, status = _attempt(form, call)
        if saved:
            messages.success(request, _("Saved."))
            return redirect("portal:plan")
    context = {
        "form": form,
        "plan": current,
        "stale": services.affidavit_is_stale(current),
        "max_days": conf.affidavit_max_age().days,
    }
    return render(request, "portal/plan.html", context, status=status)


# --- staff review queue --------------------------------------------------------------------


@never_cache
@login_required(login_url="portal:staff_login")
def review_queue(request):
    links = list(selectors.pending_pickups_visible_to(request.user))
    services.review_queue_viewed(actor=request.user, link_ids=[link.pk for link in links])
    context = {"requests": review_requests_of(links)}
    return render(request, "portal/staff_review.html", context)


@require_POST
@never_cache
@login_required(login_url="portal:staff_login")
def review_decide(request, link_id: int):
    link = selectors.get_pending_pickup_for(request.user, link_id)
    decision = request.POST.get("decision")
    if decision not in ("approve", "reject"):
        return HttpResponseBadRequest(_("Choose approve or reject."))
    approve = decision == "approve"
    try:
        services.pickup_review_decide(actor=request.user, link=link, approve=approve)
    except DomainError as error:
        messages.error(request, message_for(error))
    else:
        names = {"adult": link.person.display_name, "child": link.student.display_name}
        if approve:
            done = _("Approved: %(adult)s may now pick up %(child)s.") % names
        else:
            done = _("Rejected: %(adult)s may not pick up %(child)s.") % names
        messages.success(request, done)
    return redirect("portal:review_queue")
