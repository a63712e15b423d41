from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission

from .roles import roles_of


class IsStaffMember(BasePermission):
    """Any signed-in user with a Reunify role. Object access is checked by the selectors, which
    return only what the actor may see, so a denied object is a 404.

    Without credentials the answer is a 401 (DRF's NotAuthenticated, with the token scheme's
    `WWW-Authenticate`). A signed-in user with no role gets a 403 on a collection and a 404 on
    anything under an object's id (a viewset's detail routes, and every view whose URL names an
    object), as every object is one they may not see."""

    def has_permission(self, request, view) -> bool:
        if roles_of(request.user):
            return True
        if request.user.is_authenticated and names_an_object(view):
            raise NotFound
        return False


def names_an_object(view) -> bool:
    """Whether the request is about one object: a viewset's detail route, or a URL with an id."""
    return bool(getattr(view, "detail", False) or getattr(view, "kwargs", None))
