from rest_framework.routers import SimpleRouter

from . import release_urls, views

router = SimpleRouter()
router.register("cases", views.CaseViewSet, basename="case")
router.register("tasks", views.TaskViewSet, basename="task")
urlpatterns = router.urls + release_urls.urlpatterns
