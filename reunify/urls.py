"""The crisis team's staff pages, included under /staff/crisis/ by config/urls.py."""

from django.urls import path, re_path

from .views import cases, events, release, report, tasks

app_name = "reunify"

urlpatterns = [
    path("", cases.dashboard, name="dashboard"),
    path("live/", cases.dashboard_live, name="dashboard_live"),
    path("cases/open/", cases.case_search, name="case_search"),
    path("cases/open/preview/", cases.case_preview, name="case_preview"),
    path("cases/open/confirm/", cases.case_open, name="case_open"),
    path("cases/<int:case_id>/", cases.case_detail, name="case"),
    path("cases/<int:case_id>/cards/", cases.case_cards, name="case_cards"),
    path("cases/<int:case_id>/close/", cases.case_close, name="case_close"),
    path("events/open/", events.event_start, name="event_start"),
    path("events/open/preview/", events.event_preview, name="event_preview"),
    path("events/open/confirm/", events.event_open, name="event_open"),
    path("cases/<int:case_id>/event/", events.event_page, name="event"),
    path("cases/<int:case_id>/event/queue/", events.event_queue, name="event_queue"),
    path(
        "cases/<int:case_id>/event/students/<int:case_student_id>/account/",
        events.event_account,
        name="event_account",
    ),
    path("cases/<int:case_id>/report/", report.report_page, name="report"),
    path("cases/<int:case_id>/report.csv", report.report_csv, name="report_csv"),
    path("cases/<int:case_id>/release/", release.release_desk, name="release_desk"),
    path(
        "cases/<int:case_id>/release/<int:case_student_id>/",
        release.release_student,
        name="release_student",
    ),
    path(
        "cases/<int:case_id>/release/<int:case_student_id>/record/",
        release.release_record,
        name="release_record",
    ),
    path(
        "cases/<int:case_id>/release/<int:case_student_id>/code/",
        release.release_code_ask,
        name="release_code",
    ),
    path(
        "cases/<int:case_id>/release/<int:case_student_id>/approval/",
        release.release_approval,
        name="release_approval",
    ),
    path(
        "cases/<int:case_id>/release/<int:case_student_id>/refuse/",
        release.release_refuse,
        name="release_refuse",
    ),
    path("tasks/", tasks.task_list, name="tasks"),
    path("tasks/live/", tasks.task_list_live, name="tasks_live"),
    re_path(
        r"^tasks/(?P<task_id>[0-9]+)/(?P<action>claim|start|complete|note)/$",
        tasks.task_action,
        name="task_action",
    ),
    path("students/<int:case_student_id>/", tasks.student, name="student"),
    path("students/<int:case_student_id>/call/", tasks.student_call, name="student_call"),
    path("students/<int:case_student_id>/support/", tasks.student_support, name="student_support"),
]
