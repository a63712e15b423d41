"""The reunify API: thin views. Each loads objects through reunify.selectors (404 for what the
caller may not see), parses input with a serializer and calls one service."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.openapi import errors
from privacy.errors import Conflict
from privacy.services import access_record, access_record_many

from .. import selectors, services
from ..models import Task
from . import release_views
from . import serializers as s

IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key",
    str,
    location=OpenApiParameter.HEADER,
    required=False,
    description="A retried request with the same key gives the same case.",
)
OPEN_ERRORS = {
    400: "`required`, `unknown_person`, `not_a_guardian`, `student_not_visible`, `invalid`, "
    "`invalid_wait` (`extra.field` names the field).",
    403: "`forbidden`: only a crisis lead opens cases.",
    409: "`students_in_open_case`, `idempotency_key_reused`.",
}
TASK_CONFLICTS = {
    409: "`already_completed` (the message names who), `task_cancelled`, `task_changed`, "
    "`assigned_to_other`."
}


def _checked_version(task, data) -> None:
    version = data.get("version")
    if version is not None and version != task.version:
        raise Conflict("The task changed meanwhile; reload it.", code="task_changed")


@extend_schema_view(
    list=extend_schema(responses={200: s.CaseSummaryOut(many=True), **errors(403)}),
    retrieve=extend_schema(responses={200: s.CaseOut, **errors(403, 404)}),
)
class CaseViewSet(viewsets.ReadOnlyModelViewSet):
    """Reunification cases. Every staff view of a case is written to the access log."""

    serializer_class = s.CaseOut

    def get_queryset(self):
        return selectors.cases_with_counts(selectors.cases_visible_to(self.request.user)).order_by(
            "-opened_at", "-id"
        )

    def get_object(self):
        return selectors.get_case_for(self.request.user, self.kwargs["pk"])

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        access_record_many(
            actor=request.user,
            action="reunify.case.listed",
            object_type="reunify.case",
            object_ids=[case.pk for case in page],
        )
        return self.get_paginated_response(s.CaseSummaryOut(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        case = self.get_object()
        access_record(actor=request.user, action="reunify.case.viewed", obj=case)
        return Response(s.CaseOut(case).data)

    @extend_schema(
        request=s.CaseIn,
        parameters=[IDEMPOTENCY],
        responses={
            201: s.CaseOpenOut,
            200: s.CaseOpenOut,
            **errors(400, 403, 409, say=OPEN_ERRORS),
        },
        description="Open a case. 201 with the new case; 200 with the same case for a retried "
        "request or guardians already in an open case (see `notices`).",
    )
    def create(self, request, *args, **kwargs):
        if isinstance(request.data, dict) and request.data.get("kind") == "school_event":
            return release_views.school_event_create(request)
        data = _valid(s.CaseIn, request.data)
        result = services.case_open(
            actor=request.user,
            kind=data["kind"],
            guardian_ids=data["guardians"],
            drill=data["drill"],
            idempotency_key=request.headers.get("Idempotency-Key") or None,
            outreach_wait_minutes=data.get("outreach_wait_minutes"),
        )
        case = selectors.get_case_for(request.user, result.case.pk)
        body = s.CaseOut(case).data | {"notices": s.NoticeOut(result.notices, many=True).data}
        return Response(body, status=status.HTTP_201_CREATED if result.created else 200)

    @extend_schema(
        request=s.CaseIn,
        responses={200: s.PreviewOut, **errors(400, 403, say=OPEN_ERRORS)},
        description="Who a case would cover; writes nothing.",
    )
    @action(detail=False, methods=["post"])
    def preview(self, request):
        data = _valid(s.CaseIn, request.data)
        preview = services.case_preview(
            actor=request.user, kind=data["kind"], guardian_ids=data["guardians"]
        )
        return Response(s.PreviewOut(preview).data)

    @extend_schema(
        request=s.CloseIn,
        responses={200: s.CaseOut, **errors(403, 404, 409, say={409: "`already_closed`."})},
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return release_views.case_close(request, self.get_object())

    @extend_schema(responses={200: s.TimelineOut(many=True), **errors(403, 404)})
    @action(detail=True, methods=["get"])
    def timeline(self, request, pk=None):
        case = self.get_object()
        access_record(actor=request.user, action="reunify.case.timeline_viewed", obj=case)
        page = self.paginate_queryset(selectors.case_timeline(case))
        return self.get_paginated_response(s.TimelineOut(page, many=True).data)

    @extend_schema(
        request=s.CallIn,
        responses={
            200: s.OutreachOut(many=True),
            **errors(400, 403, 404, 409, say={409: "`case_closed`, `outreach_answered`."}),
        },
        description="Log a phone call to a pickup adult; the outcome counts like a reply.",
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def calls(self, request, pk=None):
        case = self.get_object()
        data = _valid(s.CallIn, request.data)
        rows = services.outreach_call_log(
            actor=request.user,
            case=case,
            person_id=data["person"],
            outcome=data["outcome"],
            note=data["note"],
        )
        return Response(s.OutreachOut(rows, many=True).data)


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


@extend_schema_view(
    list=extend_schema(responses={200: s.TaskOut(many=True), **errors(403)}),
    retrieve=extend_schema(responses={200: s.TaskOut, **errors(403, 404)}),
)
class TaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The caller's own open tasks, most urgent first; actions on any task they may see."""

    serializer_class = s.TaskOut

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Task.objects.none()
        return selectors.tasks_assigned_to(self.request.user)

    def get_object(self):
        return selectors.get_task_for(self.request.user, self.kwargs["pk"])

    def _done(self, task):
        return Response(s.TaskOut(selectors.get_task_for(self.request.user, task.pk)).data)

    @extend_schema(
        request=s.VersionIn, responses={200: s.TaskOut, **errors(403, 404, 409, say=TASK_CONFLICTS)}
    )
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        task = self.get_object()
        _checked_version(task, _valid(s.VersionIn, request.data))
        return self._done(services.task_claim(actor=request.user, task=task))

    @extend_schema(
        request=s.VersionIn, responses={200: s.TaskOut, **errors(403, 404, 409, say=TASK_CONFLICTS)}
    )
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        task = self.get_object()
        _checked_version(task, _valid(s.VersionIn, request.data))
        return self._done(services.task_start(actor=request.user, task=task))

    @extend_schema(
        request=s.CompleteIn,
        responses={200: s.TaskOut, **errors(400, 403, 404, 409, say=TASK_CONFLICTS)},
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        task = self.get_object()
        data = _valid(s.CompleteIn, request.data)
        _checked_version(task, data)
        return self._done(
            services.task_complete(actor=request.user, task=task, notes=data["notes"])
        )

    @extend_schema(
        request=s.ReassignIn,
        responses={200: s.TaskOut, **errors(400, 403, 404, 409, say=TASK_CONFLICTS)},
    )
    @action(detail=True, methods=["post"])
    def reassign(self, request, pk=None):
        task = self.get_object()
        data = _valid(s.ReassignIn, request.data)
        _checked_version(task, data)
        return self._done(
            services.task_reassign(actor=request.user, task=task, assignee_id=data["assignee"])
        )
