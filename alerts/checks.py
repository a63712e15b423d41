"""`manage.py check --deploy`: outside the embedded install, messages need real transports."""

from django.core import checks

from . import conf


@checks.register("alerts", deploy=True)
def check_delivery_transports(app_configs=None, **kwargs):
    errors = []
    problem = conf.delivery_problem()
    if problem:
        errors.append(
            checks.Error(
                problem,
                hint="The web and worker processes refuse to start until these are set.",
                id="alerts.E001",
            )
        )
    console = conf.console_channels_outside_demo()
    if console:
        errors.append(
            checks.Error(
                f"{', '.join(console)} go to the console transport: no family is reached.",
                hint="Unset ALERTS_TRANSPORT_* (Twilio and SMTP are the defaults) outside tests.",
                id="alerts.E002",
            )
        )
    return errors
