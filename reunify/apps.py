from django.apps import AppConfig


class ReunifyConfig(AppConfig):
    name = "reunify"
    verbose_name = "Reunification"

    def ready(self) -> None:
        from alerts import registry
        from alerts.templates import register_templates
        from contacts.selectors import register_student_scope

        from . import messages, messages_release, selectors, services

        register_templates(messages.TEMPLATES)
        register_student_scope(selectors.counselor_student_scope)
        registry.register_reply_handler(messages.PICKUP_FLOW, services.pickup_reply, priority=100)
        registry.register_fallback_exhausted_listener(
            messages.PICKUP_FLOW, services.pickup_unreachable
        )
        messages_release.register()
        _register_staff_pages()
        _register_retention()


def _register_retention() -> None:
    """Closed cases are purged PRIVACY_CASE_RETENTION_DAYS after closing (docs/privacy.md)."""
    from privacy.services.retention import retention_register

    from .services.retention import cases_purge_closed_before

    retention_register(
        "reunify.cases",
        purge=cases_purge_closed_before,
        days_setting="PRIVACY_CASE_RETENTION_DAYS",
    )


def _register_staff_pages() -> None:
    """The crisis pages in the staff navigation: the lead starts on the dashboard and opens
    cases, a counselor starts on their task list, school staff see the dashboard of their
    school's cases (the selectors scope what each sees)."""
    from django.utils.translation import gettext_lazy as _

    from config.staffnav import register_staff_page
    from privacy.roles import Role

    leads = {Role.CRISIS_LEAD, Role.ADMIN}
    register_staff_page(
        key="crisis_dashboard",
        label=_("Crisis dashboard"),
        url_name="reunify:dashboard",
        roles=leads | {Role.SCHOOL_STAFF},
        order=10,
        start_for={Role.CRISIS_LEAD},
    )
    register_staff_page(
        key="case_open",
        label=_("Open a case"),
        url_name="reunify:case_search",
        roles=leads,
        order=11,
    )
    register_staff_page(
        key="event_open",
        label=_("Open a school event"),
        url_name="reunify:event_start",
        roles=leads,
        order=12,
    )
    register_staff_page(
        key="counselor_tasks",
        label=_("My tasks"),
        url_name="reunify:tasks",
        roles={Role.COUNSELOR},
        order=5,
        start_for={Role.COUNSELOR},
    )
