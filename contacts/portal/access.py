"""Who is signed in to the portal. The browser holds a random key in its own HttpOnly cookie;
the PortalSession row (hashed key, expiry, revocation) decides whether it is still good.

The key is kept out of Django's session so that the pages a guardian opens most read no session
row at all: one indexed lookup of the PortalSession row per request, which the household page
joins into its own query. Django's session still holds the short sign-in state (the code
challenge)."""

from functools import partial, wraps

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
    if not hasattr(request, "_portal_session"):
        request._portal_session = portal_session_get(request.COOKIES.get(COOKIE_NAME))
    return request._portal_session


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


# What add_never_cache_headers() sends, spelled out once instead of parsed and merged on every
# signed-in response. A date in the past says "expired" as well as Django's "now" does.
_NEVER_CACHE = {
    "Cache-Control": "max-age=0, no-cache, no-store, must-revalidate, private",
    "Expires": "Thu, 01 Jan 1970 00:00:00 GMT",
}


def _never_cached(response) -> None:
    if "Cache-Control" in response.headers or "Expires" in response.headers:
        add_never_cache_headers(response)  # merged with what the view said
    else:
        for header, value in _NEVER_CACHE.items():
            response.headers[header] = value


def guardian_required(view=None, *, combined=None):
    """Sets request.guardian and request.portal_session, or sends the browser to sign in.

    `combined(key)`, if given, does the view's one database step in the same statement that
    finds the session, and returns (the live session or None, the step's result); the view finds
    the latter in request.combined. It must read or change nothing when the key is no live
    session's: the browser is then sent to sign in.

    A signed-in page holds a family's names and phone numbers: no browser or proxy may keep a
    copy (a shared computer's back button after signing out)."""
    if view is None:
        return partial(guardian_required, combined=combined)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if combined is not None:
            request._portal_session, request.combined = combined(request.COOKIES.get(COOKIE_NAME))
        session = session_of(request)
        if session is None:
            if is_htmx(request):
                response = htmx_redirect(reverse("portal:sign_in"))
            else:
                response = redirect("portal:sign_in")
            if COOKIE_NAME in request.COOKIES:
                forget(response)
            return response
        request.portal_session = session
        request.guardian = session.person
        response = view(request, *args, **kwargs)
        _never_cached(response)
        return response

    return wrapper
