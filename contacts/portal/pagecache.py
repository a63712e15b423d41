"""Cached rendering of the page guardians open most (the household page).

A page is cached under a digest of everything that decides its HTML: the template, the language,
the path, the signed-in guardian and the plain values the view passes in. An entry therefore
never goes stale: a change to any value on the page (by the guardian, by staff, by an importer's
bulk write) is a different key, so nothing has to be invalidated. Entries live in each process's
memory (the "portal_pages" cache, bounded, least recently used dropped first) and are not shared
between guardians; a restart, as after a deploy with new templates, starts empty.

CSRF tokens differ per browser and per response: the page is rendered with a marker in their
place and the request's own token (contacts/portal/csrf.py) goes in on the way out. A page
carrying a one-time message (after a POST) is rendered normally and not cached.
"""

import hashlib
import secrets

from django.contrib.messages import get_messages
from django.core.cache import caches
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import get_language

from .csrf import masked_csrf_token

CACHE = "portal_pages"
_CSRF_MARKER = f"csrf{secrets.token_hex(16)}"


def _key(request, template_name: str, context: dict) -> str:
    guardian = getattr(request, "guardian", None)
    shown = (
        template_name,
        get_language(),
        request.get_full_path(),
        guardian.pk if guardian is not None else None,
        sorted(context.items()),
    )
    return "portal-page:" + hashlib.sha256(repr(shown).encode()).hexdigest()


def render_cached(request, template_name: str, context: dict) -> HttpResponse:
    """render(), served from the page cache when this exact page was rendered before. `context`
    must hold only plain values whose repr() shows everything the template reads from them."""
    if len(get_messages(request)):
        return render(request, template_name, context)
    cache = caches[CACHE]
    key = _key(request, template_name, context)
    page = cache.get(key)
    if page is None:
        page = render_to_string(
            template_name, {**context, "csrf_token": _CSRF_MARKER}, request=request
        )
        cache.set(key, page)
    return HttpResponse(page.replace(_CSRF_MARKER, masked_csrf_token(request)))
