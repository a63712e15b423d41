"""URLs of the release, school event, check-in, accountability and report endpoints (added to
reunify.api.urls)."""

from django.urls import path

from . import release_views as v

urlpatterns = [
    path("cases/<int:case_id>/releases/", v.ReleaseListView.as_view(), name="case-releases"),
    path(
        "cases/<int:case_id>/releases/<int:release_id>/corrections/",
        v.CorrectionView.as_view(),
        name="case-release-corrections",
    ),
    path("cases/<int:case_id>/approvals/", v.ApprovalView.as_view(), name="case-approvals"),
    path("cases/<int:case_id>/release-codes/", v.CodeRequestView.as_view(), name="case-codes"),
    path(
        "cases/<int:case_id>/release-codes/<int:code_id>/verify/",
        v.CodeVerifyView.as_view(),
        name="case-code-verify",
    ),
    path("cases/<int:case_id>/release-options/", v.OptionsView.as_view(), name="case-options"),
    path("cases/<int:case_id>/release-adults/", v.AdultSearchView.as_view(), name="case-adults"),
    path("cases/<int:case_id>/checkins/", v.CheckInQueueView.as_view(), name="case-checkins"),
    path(
        "cases/<int:case_id>/accountability/",
        v.AccountabilityView.as_view(),
        name="case-accountability",
    ),
    path("cases/<int:case_id>/report/", v.ReportView.as_view(), name="case-report"),
    path("cases/<int:case_id>/report.csv", v.ReportCsvView.as_view(), name="case-report-csv"),
    path("checkin/<str:token>/", v.PublicCheckInView.as_view(), name="event-checkin"),
]
