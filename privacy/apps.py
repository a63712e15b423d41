from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = "Privacy"

    def ready(self) -> None:
        from . import alert_templates, checks  # noqa: F401  (checks registers the system check)

        alert_templates.register()
        _register_staff_pages()


def _register_staff_pages() -> None:
    from config.staffnav import register_staff_page

    from .roles import Role

    register_staff_page(
        key="agency_request",
        label=_("An officer is asking for a student or records"),
        url_name="privacy:agency_request_new",
        roles=frozenset(Role.values),
        order=1,
    )
    register_staff_page(
        key="agency_requests",
        label=_("Agency requests"),
        url_name="privacy:agency_request_list",
        roles=frozenset({Role.LEGAL, Role.ADMIN}),
        order=2,
        start_for=frozenset({Role.LEGAL}),
    )
