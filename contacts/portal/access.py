"""Who is signed in to the portal. The browser's Django session holds a random key; the
PortalSession row (hashed key, expiry, revocation) decides whether it is still good."""

from functools import wraps

from django.shortcuts import redirect
from django.urls import reverse

from .htmx import htmx_redirect, is_htmx
from .models import PortalSession
from .services import portal_session_get

SESSION_KEY = "portal_session_key"
CHALLENGE_KEY = "portal_challenge"


def session_of(request) -> PortalSession | None:
    if not hasattr(request, "_portal_session"):
        request._portal_session = portal_session_get(request.session.get(SESSION_KEY))
    return request._portal_session


def sign_in(request, key: str) -> None:
    # A new Django session id at sign-in, so a planted session cannot be ridden.
    request.session.cycle_key()
    request.session.pop(CHALLENGE_KEY, None)
    request.session[SESSION_KEY] = key


def guardian_required(view):
    """Sets request.guardian and request.portal_session, or sends the browser to sign in."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        session = session_of(request)
        if session is None:
            request.session.pop(SESSION_KEY, None)
            if is_htmx(request):
                return htmx_redirect(reverse("portal:sign_in"))
            return redirect("portal:sign_in")
        request.portal_session = session
        request.guardian = session.person
        return view(request, *args, **kwargs)

    return wrapper
