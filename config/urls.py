from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView


def healthz(request):
    return JsonResponse({"status": "ok"})


# Django tries these in order; the portal, where guardians' phones come in, is tried first.
urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("portal/", include("contacts.portal.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("contacts.api.urls")),
    path("alerts/", include("alerts.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]

handler404 = "config.api.not_found"
handler500 = "config.api.crashed"
