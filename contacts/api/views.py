"""The contacts API: thin views. Each loads objects through a scoped selector (404 for what the
caller may not see), parses input with a serializer, and calls one service."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from config.api import query_id, query_text
from config.openapi import BAD_FILTER, errors, id_filter, text_filter
from privacy.roles import can_edit_contacts, is_district_wide
from privacy.services import access_record_many

from .. import selectors, services
from . import serializers as s

SIS_ID_TAKEN = {409: "`duplicate`: a person with this SIS id exists (`extra.field`: sis_id)."}
POINT_TAKEN = {
    409: "`duplicate`: the adult already has this phone or email (`extra.field`: value)."
}
PRIORITY_TAKEN = "`priority_taken`: another adult of the student has this emergency priority."
LINK_TAKEN = {
    409: "`duplicate`: the adult is already linked to the student (`extra.field`: person); "
    + PRIORITY_TAKEN
}


def _require_editor(user) -> None:
    if not can_edit_contacts(user):
        raise PermissionDenied("Your role cannot change contacts.")


@extend_schema_view(
    list=extend_schema(responses={200: s.SchoolOut(many=True), **errors(403)}),
    retrieve=extend_schema(responses={200: s.SchoolOut, **errors(403, 404)}),
)
class SchoolViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.SchoolOut

    def get_queryset(self):
        return selectors.schools_visible_to(self.request.user).order_by("name")


@extend_schema_view(
    list=extend_schema(
        parameters=[text_filter("school", "Only the students of the school with this code.")],
        responses={200: s.StudentOut(many=True), **errors(400, 403, say=BAD_FILTER)},
    ),
    retrieve=extend_schema(responses={200: s.StudentOut, **errors(403, 404)}),
)
class StudentViewSet(viewsets.ReadOnlyModelViewSet):
    """Students with their contacts. Every view is written to the access log."""

    serializer_class = s.StudentOut

    def get_queryset(self):
        qs = selectors.students_with_contacts_visible_to(self.request.user).order_by("id")
        school = query_text(self.request, "school")
        if school:
            qs = qs.filter(school__code=school)
        return qs

    def get_object(self):
        return selectors.get_student_for(self.request.user, self.kwargs["pk"])

    def retrieve(self, request, *args, **kwargs):
        student = self.get_object()
        _log_views(request.user, [student.pk])
        return Response(s.StudentOut(student).data)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        _log_views(request.user, [student.pk for student in page])
        return self.get_paginated_response(s.StudentOut(page, many=True).data)


def _log_views(user, student_ids: list[int]) -> None:
    access_record_many(
        actor=user,
        action="contacts.student.viewed",
        object_type="contacts.student",
        object_ids=student_ids,
    )


@extend_schema_view(
    list=extend_schema(responses={200: s.PersonOut(many=True), **errors(403)}),
    retrieve=extend_schema(responses={200: s.PersonOut, **errors(403, 404)}),
)
class PersonViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = s.PersonOut
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return (
            selectors.people_visible_to(self.request.user)
            .prefetch_related("contact_points")
            .order_by("id")
        )

    def get_object(self):
        return selectors.get_person_for(self.request.user, self.kwargs["pk"])

    @extend_schema(
        request=s.PersonIn,
        responses={201: s.PersonOut, **errors(400, 403, 409, 415, say=SIS_ID_TAKEN)},
    )
    def create(self, request):
        # An adult who is not yet linked to a student is visible to district-wide roles only;
        # school staff add an adult through POST /student-contacts/ with a new person.
        if not is_district_wide(request.user):
            raise PermissionDenied("Add an adult through a student's contacts.")
        data = _parse(s.PersonIn, request.data)
        person = services.person_create(actor=request.user, **data)
        return Response(s.PersonOut(person).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.PersonPatch, responses={200: s.PersonOut, **errors(400, 403, 404, 415)}
    )
    def partial_update(self, request, pk=None):
        person = self.get_object()
        _require_editor(request.user)
        person = services.person_update(
            actor=request.user, person=person, **_parse(s.PersonPatch, request.data)
        )
        return Response(s.PersonOut(person).data)


@extend_schema_view(
    list=extend_schema(
        parameters=[id_filter("person", "Only the contact points of this adult.")],
        responses={200: s.ContactPointOut(many=True), **errors(400, 403, say=BAD_FILTER)},
    ),
    retrieve=extend_schema(responses={200: s.ContactPointOut, **errors(403, 404)}),
    destroy=extend_schema(responses={204: None, **errors(403, 404)}),
)
class ContactPointViewSet(viewsets.ModelViewSet):
    serializer_class = s.ContactPointOut
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        qs = selectors.contact_points_visible_to(self.request.user).order_by("id")
        person = query_id(self.request, "person")
        return qs if person is None else qs.filter(person_id=person)

    def get_object(self):
        return selectors.get_contact_point_for(self.request.user, self.kwargs["pk"])

    @extend_schema(
        request=s.ContactPointIn,
        responses={201: s.ContactPointOut, **errors(400, 403, 404, 409, 415, say=POINT_TAKEN)},
    )
    def create(self, request):
        data = _parse(s.ContactPointIn, request.data)
        person = selectors.get_person_for(request.user, data.pop("person"))
        _require_editor(request.user)
        point = services.contact_point_add(actor=request.user, person=person, **data)
        return Response(s.ContactPointOut(point).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.ContactPointPatch,
        responses={200: s.ContactPointOut, **errors(400, 403, 404, 409, 415, say=POINT_TAKEN)},
    )
    def partial_update(self, request, pk=None):
        point = self.get_object()
        _require_editor(request.user)
        data = _parse(s.ContactPointPatch, request.data)
        point = services.contact_point_update(actor=request.user, contact_point=point, **data)
        return Response(s.ContactPointOut(point).data)

    def destroy(self, request, pk=None):
        point = self.get_object()
        _require_editor(request.user)
        services.contact_point_remove(actor=request.user, contact_point=point)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(
        parameters=[id_filter("student", "Only the adults linked to this student.")],
        responses={200: s.StudentContactOut(many=True), **errors(400, 403, say=BAD_FILTER)},
    ),
    retrieve=extend_schema(responses={200: s.StudentContactOut, **errors(403, 404)}),
    destroy=extend_schema(responses={204: None, **errors(403, 404)}),
)
class StudentContactViewSet(viewsets.ModelViewSet):
    serializer_class = s.StudentContactOut
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        qs = (
            selectors.student_contacts_visible_to(self.request.user)
            .select_related("person")
            .prefetch_related("person__contact_points")
            .order_by("student_id", "id")
        )
        student = query_id(self.request, "student")
        return qs if student is None else qs.filter(student_id=student)

    def get_object(self):
        return selectors.get_student_contact_for(self.request.user, self.kwargs["pk"])

    @extend_schema(
        request=s.StudentContactIn,
        responses={201: s.StudentContactOut, **errors(400, 403, 404, 409, 415, say=LINK_TAKEN)},
    )
    def create(self, request):
        data = _parse(s.StudentContactIn, request.data)
        student = selectors.get_student_for(request.user, data.pop("student"))
        person = selectors.get_person_for(request.user, data.pop("person"))
        _require_editor(request.user)
        link = services.student_contact_add(
            actor=request.user, student=student, person=person, **data
        )
        return Response(s.StudentContactOut(link).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.StudentContactPatch,
        responses={
            200: s.StudentContactOut,
            **errors(400, 403, 404, 409, 415, say={409: PRIORITY_TAKEN}),
        },
    )
    def partial_update(self, request, pk=None):
        link = self.get_object()
        _require_editor(request.user)
        data = _parse(s.StudentContactPatch, request.data)
        link = services.student_contact_update(actor=request.user, link=link, **data)
        return Response(s.StudentContactOut(link).data)

    def destroy(self, request, pk=None):
        link = self.get_object()
        _require_editor(request.user)
        services.student_contact_remove(actor=request.user, link=link)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _parse(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
