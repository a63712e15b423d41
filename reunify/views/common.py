"""What the staff views share: the sign-in requirement and htmx's request marker."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.views.decorators.cache import never_cache

from contacts.portal.htmx import htmx_redirect, is_htmx

__all__ = ["htmx_redirect", "is_htmx", "staff_page"]


def staff_page(view):
    """A staff page: signed-in staff only (others go to the staff sign-in), never cached. Who
    sees what is the selectors' decision, not this decorator's."""
    return wraps(view)(never_cache(login_required(login_url="portal:staff_login")(view)))
