from django.apps import AppConfig


class ReunifyConfig(AppConfig):
    name = "reunify"
    verbose_name = "Reunification"
