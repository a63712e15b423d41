from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "contacts"
    verbose_name = "Contacts"

    def ready(self) -> None:
        from alerts import registry

        from . import alerts_hooks

        registry.register_contact_point_listener(alerts_hooks.on_contact_point_event)
        registry.register_channel_resolver(alerts_hooks.next_channel)
