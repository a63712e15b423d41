"""The privacy API, under /api/v1/."""

from django.urls import path

from . import api

urlpatterns = [
    path("agency-requests/", api.AgencyRequestListView.as_view(), name="agency-request-list"),
    path(
        "agency-requests/<int:pk>/",
        api.AgencyRequestDetailView.as_view(),
        name="agency-request-detail",
    ),
    path(
        "agency-requests/<int:pk>/review/",
        api.AgencyRequestReviewView.as_view(),
        name="agency-request-review",
    ),
    path(
        "agency-requests/<int:pk>/decision/",
        api.AgencyRequestDecisionView.as_view(),
        name="agency-request-decision",
    ),
    path(
        "agency-requests/<int:pk>/close/",
        api.AgencyRequestCloseView.as_view(),
        name="agency-request-close",
    ),
    path(
        "agency-requests/<int:pk>/export/",
        api.AgencyRequestExportView.as_view(),
        name="agency-request-export",
    ),
    path("disclosures/", api.DisclosureListView.as_view(), name="disclosure-list"),
]
