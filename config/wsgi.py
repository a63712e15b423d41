import os

from django.core.wsgi import get_wsgi_application

from alerts.conf import require_delivery_configured

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# Outside the embedded install, no web process runs without real SMS and email transports.
require_delivery_configured()
