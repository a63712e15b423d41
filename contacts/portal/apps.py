from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "contacts.portal"
    label = "portal"
    verbose_name = "Parent portal"

    def ready(self):
        from config.staffnav import register_staff_page
        from privacy.roles import CONTACT_EDITORS, Role

        # The office's queue of pickup adults added by guardians: the start page of school
        # staff. Every role that may change contacts sees it (pending_pickups_visible_to).
        register_staff_page(
            key="pickup_review",
            label=_("Pickup adults to review"),
            url_name="portal:review_queue",
            roles=set(CONTACT_EDITORS),
            order=20,
            start_for={Role.SCHOOL_STAFF},
        )
