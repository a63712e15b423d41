from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "contacts.portal"
    label = "portal"
    verbose_name = "Parent portal"
