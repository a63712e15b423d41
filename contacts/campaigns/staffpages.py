"""The campaign pages in the staff shell's navigation."""

from django.utils.translation import gettext_lazy as _

from config.staffnav import register_staff_page
from privacy.roles import DISTRICT_WIDE, Role


def register() -> None:
    register_staff_page(
        key="campaigns",
        label=_("Campaigns"),
        url_name="campaigns:list",
        roles=frozenset({Role.DATA_TEAM, Role.ADMIN}),
        order=40,
        start_for=frozenset({Role.DATA_TEAM}),
    )
    register_staff_page(
        key="call_list",
        label=_("Call list"),
        url_name="campaigns:call_list",
        roles=frozenset({Role.SCHOOL_STAFF, Role.DATA_TEAM, Role.ADMIN}),
        order=45,
    )
    register_staff_page(
        key="readiness",
        label=_("Readiness"),
        url_name="campaigns:readiness",
        roles=frozenset({Role.SCHOOL_STAFF, *DISTRICT_WIDE}),
        order=50,
    )
