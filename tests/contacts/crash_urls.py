"""A URL configuration for test_api_errors: the project's URLs plus one view that fails."""

from django.urls import path

from config import urls as project


def _fail(request):
    raise RuntimeError("a bug")


urlpatterns = [path("api/v1/crash/", _fail), path("portal/crash/", _fail), *project.urlpatterns]
handler404 = project.handler404
handler500 = project.handler500
