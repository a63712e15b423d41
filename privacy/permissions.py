from rest_framework.permissions import BasePermission

from .roles import roles_of


class IsStaffMember(BasePermission):
    """Any signed-in user with a Reunify role. Object access is checked by the selectors, which
    return only what the actor may see, so a denied object is a 404."""

    def has_permission(self, request, view) -> bool:
        return bool(roles_of(request.user))
