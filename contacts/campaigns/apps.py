from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "contacts.campaigns"
    label = "campaigns"
    verbose_name = "Verification campaigns"

    def ready(self) -> None:
        from alerts import registry

        from . import messages, responses, staffpages

        messages.register()
        registry.register_reply_handler(responses.FLOW, responses.on_reply, priority=0)
        staffpages.register()
