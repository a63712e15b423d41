"""System check: `manage.py check` fails if any model field asks for forbidden information."""

from django.apps import apps
from django.core import checks

from .minimisation import is_forbidden_name


@checks.register(checks.Tags.models)
def check_no_forbidden_fields(app_configs=None, **kwargs):
    errors = []
    models = (
        [m for config in app_configs for m in config.get_models()]
        if app_configs
        else apps.get_models()
    )
    for model in models:
        for field in model._meta.get_fields():
            names = {field.name, getattr(field, "column", None) or ""}
            for name in names:
                if name and is_forbidden_name(name):
                    errors.append(
                        checks.Error(
                            f"{model._meta.label}.{name} would hold information the district "
                            "does not collect (immigration status, citizenship, country of birth, "
                            "visa, A-number, passport or social security number).",
                            hint="Remove the field. Reunify protects this by never asking.",
                            obj=model,
                            id="privacy.E001",
                        )
                    )
    return errors
