from csp.decorators import csp_update
from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from reunify.views.checkin import checkin_view


def healthz(request):
    return JsonResponse({"status": "ok"})


# The API docs (Swagger UI, served from the package) load their script as a file (the split
# view), so the policy's script-src holds; the one stylesheet Swagger UI inserts itself is
# allowed by its hash on this page only (a new Swagger UI that changes it is refused, and the
# browser test of the policy says so).
SWAGGER_UI_STYLE = "'sha256-MMpT0iDxyjALd9PdfepImGX3DBfJPXZ4IlDWdPAgtn0='"
api_docs = csp_update({"style-src": [SWAGGER_UI_STYLE]})(
    SpectacularSwaggerSplitView.as_view(url_name="schema")
)


# Django tries these in order; the portal, where guardians' phones come in, is tried first.
urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("portal/", include("contacts.portal.urls")),
    path("staff/", include("config.staffpages")),
    path("staff/crisis/", include("reunify.urls")),
    # The check-in link of a school event's notice (no sign-in: the signed token is the key).
    path("reunify/checkin/<str:token>/", checkin_view, name="event_checkin"),
    path("admin/", admin.site.urls),
    path("", include("contacts.campaigns.urls")),
    path("api/v1/", include("contacts.api.urls")),
    path("api/v1/", include("reunify.api.urls")),
    path("api/v1/", include("privacy.api_urls")),
    path("privacy/", include("privacy.urls")),
    path("alerts/", include("alerts.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", api_docs, name="api-docs"),
]

handler404 = "config.api.not_found"
handler500 = "config.api.crashed"
