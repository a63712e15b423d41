"""Roles are Django groups. Which school a staff member belongs to lives in contacts
(StaffMembership), since privacy does not know about schools."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import TextChoices


class Role(TextChoices):
    SCHOOL_STAFF = "school_staff", "School staff"
    COUNSELOR = "counselor", "Counselor"
    CRISIS_LEAD = "crisis_lead", "Crisis team lead"
    LEGAL = "legal_officer", "Legal officer"
    DATA_TEAM = "data_team", "District data team"
    ADMIN = "district_admin", "District administrator"


# Roles that see every school's students.
DISTRICT_WIDE = frozenset({Role.CRISIS_LEAD, Role.DATA_TEAM, Role.ADMIN})
# Roles that may change contacts (the parent portal is separate: a guardian is not a user).
CONTACT_EDITORS = frozenset({Role.SCHOOL_STAFF, Role.DATA_TEAM, Role.ADMIN, Role.CRISIS_LEAD})


def roles_of(user: AbstractBaseUser | AnonymousUser) -> frozenset[str]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_reunify_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        if user.is_superuser:
            names.add(Role.ADMIN)
        cached = frozenset(n for n in names if n in Role.values)
        user._reunify_roles = cached
    return cached


def has_role(user, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def is_district_wide(user) -> bool:
    return bool(roles_of(user) & DISTRICT_WIDE)


def can_edit_contacts(user) -> bool:
    return bool(roles_of(user) & CONTACT_EDITORS)
