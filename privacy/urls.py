"""The staff pages of privacy, under /privacy/."""

from django.urls import path

from . import views

app_name = "privacy"

urlpatterns = [
    path("agency-requests/new/", views.agency_request_new, name="agency_request_new"),
    path(
        "agency-requests/<int:pk>/received/",
        views.agency_request_received,
        name="agency_request_received",
    ),
    path("agency-requests/", views.agency_request_list, name="agency_request_list"),
    path("agency-requests/<int:pk>/", views.agency_request_detail, name="agency_request_detail"),
    path(
        "agency-requests/<int:pk>/<str:step>/",
        views.agency_request_act,
        name="agency_request_act",
    ),
    path("documents/<int:pk>/", views.agency_document_download, name="agency_document"),
]
