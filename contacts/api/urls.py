from rest_framework.routers import DefaultRouter

from alerts.api import MessageViewSet

from . import views

router = DefaultRouter()
router.register("schools", views.SchoolViewSet, basename="school")
router.register("students", views.StudentViewSet, basename="student")
router.register("people", views.PersonViewSet, basename="person")
router.register("contact-points", views.ContactPointViewSet, basename="contact-point")
router.register("student-contacts", views.StudentContactViewSet, basename="student-contact")
router.register("alerts/messages", MessageViewSet, basename="alert-message")
urlpatterns = router.urls
