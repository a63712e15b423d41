"""The staff shell's own pages: the start page after sign-in, sign-out and the language choice.

Included under /staff/ by config/urls.py. The navigation they draw is config/staffnav.py's
registry; the header is built by config/staff_tags.py.
"""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.i18n import set_language

from config import staffnav


@never_cache
@login_required
def staff_home(request):
    """Where a staff member lands after sign-in (settings.LOGIN_REDIRECT_URL): the start page
    registered for their role, or, when there is none, a page listing the pages they may use."""
    start = staffnav.start_page_for(request.user)
    if start is not None:
        return redirect(start.url_name)
    return render(request, "staff/home.html", {"pages": staffnav.pages_for(request.user)})


urlpatterns = [
    path("", staff_home, name="staff_home"),
    # Django's LogoutView answers POST only (a link cannot sign anyone out) and checks CSRF.
    path(
        "sign-out/",
        auth_views.LogoutView.as_view(next_page="portal:staff_login"),
        name="staff_sign_out",
    ),
    # Django's set_language: the choice is kept in the language cookie LocaleMiddleware reads,
    # and `next` is followed only to this site.
    path("language/", set_language, name="staff_language"),
]
