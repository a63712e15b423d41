"""Who is signed in to the portal. The browser holds a random key in its own HttpOnly cookie;
the PortalSession row (hashed key, expiry, revocation) decides whether it is still good. Django's
session holds only the short sign-in state (the code challenge, the choice of guardian)."""

from functools import wraps

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from . import conf
from .htmx import htmx_redirect, is_htmx
from .models import PortalSession
from .selectors import portal_session_get

COOKIE_NAME = "portal_session"
CHALLENGE_KEY = "portal_challenge"
CHOICE_KEY = "portal_choice"


def session_of(request) -> PortalSession | None:
    """The browser's live portal session, looked up once per request."""
    if not hasattr(request, "portal_session"):
        request.portal_session = portal_session_get(request.COOKIES.get(COOKIE_NAME))
    return request.portal_session


def sign_in(request, response, key: str) -> None:
    """Give the browser the new session's key. Django's session gets a new id as well, so a
    planted session cannot be ridden, and the finished sign-in challenge is dropped."""
    request.session.cycle_key()
    request.session.pop(CHALLENGE_KEY, None)
    request.session.pop(CHOICE_KEY, None)
    response.set_cookie(
        COOKIE_NAME,
        key,
        max_age=int(conf.session_age().total_seconds()),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def forget(response) -> None:
    response.delete_cookie(COOKIE_NAME, samesite="Lax")


def choice_pending(request, token: str) -> None:
    """The code was right but the address is shared: keep the choice token (never in a URL) until
    the guardian says who they are; the code's challenge is spent."""
    request.session.pop(CHALLENGE_KEY, None)
    request.session[CHOICE_KEY] = token


def guardian_required(view):
    """Sets request.guardian and request.portal_session, or sends the browser to sign in.

    A signed-in page holds a family's names and phone numbers: no browser or proxy may keep a
    copy (a shared computer's back button after signing out)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        session = session_of(request)
        if session is None:
            if is_htmx(request):
                response = htmx_redirect(reverse("portal:sign_in"))
            else:
                response = redirect("portal:sign_in")
            if COOKIE_NAME in request.COOKIES:
                forget(response)
            return response
        request.guardian = session.person
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        return response

    return wrapper
