"""Template tags of the staff shell (registered as the "staff" library in settings.TEMPLATES).

`{% staff_header as header %}` builds the header of staff/base.html from the request: who is
signed in, their roles in the reader's language, the registered pages their roles may use
(config.staffnav) and the prominent entries. A tag rather than a context processor, so that
pages that are not staff pages (the parent portal) never pay for it.
"""

from dataclasses import dataclass, field

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from config import staffnav
from privacy.roles import Role, roles_of

register = template.Library()

# Role names as staff read them, translated (privacy.roles.Role's labels are not).
ROLE_NAMES = {
    Role.SCHOOL_STAFF: _("School staff"),
    Role.COUNSELOR: _("Counselor"),
    Role.CRISIS_LEAD: _("Crisis team lead"),
    Role.LEGAL: _("Legal officer"),
    Role.DATA_TEAM: _("District data team"),
    Role.ADMIN: _("District administrator"),
}


@dataclass(frozen=True)
class NavLink:
    key: str
    label: str
    url: str
    current: bool


@dataclass
class StaffHeader:
    signed_in: bool
    district: str = ""
    # Each language named in itself ("Español"), never translated into the reader's.
    languages: list[tuple[str, str]] = field(default_factory=lambda: list(settings.LANGUAGES))
    name: str = ""
    role_names: list[str] = field(default_factory=list)
    links: list[NavLink] = field(default_factory=list)
    prominent: list[NavLink] = field(default_factory=list)


def role_names(roles) -> list[str]:
    """The roles' names in the reader's language, in the order Role declares them."""
    return [str(ROLE_NAMES.get(role, role)) for role in Role.values if role in roles]


def header_for(request) -> StaffHeader:
    """The header for this request; a signed-out one when rendered without a request."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return StaffHeader(signed_in=False, district=settings.DISTRICT_NAME)
    match = getattr(request, "resolver_match", None)
    current = match.view_name if match else ""
    links = [
        NavLink(page.key, str(page.label), reverse(page.url_name), page.url_name == current)
        for page in staffnav.pages_for(user)
    ]
    return StaffHeader(
        signed_in=True,
        district=settings.DISTRICT_NAME,
        name=user.get_full_name() or user.get_username(),
        role_names=role_names(roles_of(user)),
        links=[link for link in links if link.key not in staffnav.PROMINENT_KEYS],
        prominent=[link for link in links if link.key in staffnav.PROMINENT_KEYS],
    )


@register.simple_tag(takes_context=True)
def staff_header(context) -> StaffHeader:
    return header_for(context.get("request"))
