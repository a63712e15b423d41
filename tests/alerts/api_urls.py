"""config.urls plus the alerts API and webhooks, as the project will mount them."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from alerts.api import MessageViewSet
from config.urls import urlpatterns as project_urls

router = DefaultRouter()
router.register("alerts/messages", MessageViewSet, basename="alert-message")

urlpatterns = [
    path("api/v1/", include(router.urls)),
    path("alerts/", include("alerts.urls")),
    *project_urls,
]
