"""The project's URLs plus the alerts webhooks, until config/urls.py includes them."""

from django.urls import include, path

from config.urls import urlpatterns as project_urls

urlpatterns = [*project_urls, path("alerts/", include("alerts.urls"))]
