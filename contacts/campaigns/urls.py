"""Campaign URLs, included once at the site root: the API under /api/v1/campaigns/, the staff
pages under /staff/."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import api, views

app_name = "campaigns"

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("campaigns", api.CampaignViewSet, basename="campaign")

urlpatterns = [
    path("api/v1/", include(router.urls)),
    path("staff/campaigns/", views.campaign_list, name="list"),
    path("staff/campaigns/new/", views.campaign_new, name="new"),
    path("staff/campaigns/<int:pk>/", views.campaign_detail, name="detail"),
    path("staff/campaigns/<int:pk>/progress/", views.campaign_progress, name="progress"),
    path("staff/campaigns/<int:pk>/<str:change>/", views.campaign_change, name="change"),
    path("staff/call-list/", views.call_list, name="call_list"),
    path("staff/call-list.csv", views.call_list_csv, name="call_list_csv"),
    path("staff/call-list/<int:pk>/", views.call_record, name="call_record"),
    path("staff/readiness/", views.readiness, name="readiness"),
    path("staff/readiness.csv", views.readiness_csv, name="readiness_csv"),
    path("staff/readiness/<str:measure>/", views.readiness_list, name="readiness_list"),
    path(
        "staff/readiness/<str:measure>/campaign/", views.readiness_target, name="readiness_target"
    ),
]
