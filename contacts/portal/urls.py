from django.contrib.auth import views as auth_views
from django.urls import path

from . import api, disclosures, forms, views

app_name = "portal"

# Tried in order: the pages signed-in guardians open most come first.
urlpatterns = [
    path("household/", views.household, name="household"),
    path("household/confirm/", views.household_confirm, name="confirm"),
    path("", views.home, name="home"),
    path("sign-in/", views.sign_in_view, name="sign_in"),
    path("sign-in/code/", views.code_view, name="code"),
    path("sign-in/choose/", views.choose_view, name="choose"),
    path("link/<str:token>/", views.link_view, name="link"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("sign-out/everywhere/", views.sign_out_everywhere, name="sign_out_everywhere"),
    path("language/", views.language, name="language"),
    path("contacts/add/", views.contact_add, name="contact_add"),
    path("contacts/<int:link_id>/", views.contact_edit, name="contact_edit"),
    path("contacts/<int:link_id>/remove/", views.contact_remove, name="contact_remove"),
    path("contacts/<int:link_id>/move/", views.contact_move, name="contact_move"),
    path("me/", views.me, name="me"),
    path("me/<int:point_id>/verify/", views.verify, name="verify"),
    path("me/<int:point_id>/resend/", views.resend, name="resend"),
    path("me/<int:point_id>/remove/", views.me_remove, name="me_remove"),
    path("preferences/", views.preferences, name="preferences"),
    path("plan/", views.plan, name="plan"),
    path("disclosures/", disclosures.disclosures, name="disclosures"),
    path(
        "staff/login/",
        auth_views.LoginView.as_view(
            template_name="portal/staff_login.html", authentication_form=forms.StaffLoginForm
        ),
        name="staff_login",
    ),
    path("staff/review/", views.review_queue, name="review_queue"),
    path("staff/review/<int:link_id>/", views.review_decide, name="review_decide"),
    path("api/review/", api.ReviewQueueView.as_view(), name="api_review_queue"),
    path("api/review/<int:link_id>/", api.ReviewDecisionView.as_view(), name="api_review_decide"),
]
