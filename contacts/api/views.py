"""The contacts API: thin views. Each loads objects through a scoped selector (404 for what the
caller may not see) or, to change them, through an access helper of contacts/access.py (404, then
403 for a visible object the caller's role may not change), parses input with a serializer, and
calls one service. Every list and every retrieve of students, adults, contact points and
student-contact links is written to the access log (one bulk insert per page)."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from config.api import ListFilters, query_id, query_text
from config.openapi import BAD_FILTER, errors, id_filter, text_filter
from privacy.services import access_record_many

from .. import access, selectors, services
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
NOT_EDITOR = {
    403: "`permission_denied`: the caller may see this object but their role cannot change it."
}


class LoggedViews(ListFilters):
    """Lists and retrieves that write what the caller was shown to the access log: one entry
    per object, `access_action` on `access_type`, in one insert per page."""

    access_action = ""
    access_type = ""

    def _log(self, objects) -> None:
        access_record_many(
            actor=self.request.user,
            action=self.access_action,
            object_type=self.access_type,
            object_ids=[obj.pk for obj in objects],
        )

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        self._log(page)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        obj = self.get_object()
        self._log([obj])
        return Response(self.get_serializer(obj).data)


@extend_schema_view(
    list=extend_schema(responses={200: s.SchoolOut(many=True), **errors(403)}),
    retrieve=extend_schema(responses={200: s.SchoolOut, **errors(404)}),
)
class SchoolViewSet(ListFilters, viewsets.ReadOnlyModelViewSet):
    serializer_class = s.SchoolOut

    def get_queryset(self):
        return selectors.schools_visible_to(self.request.user).order_by("name")


@extend_schema_view(
    list=extend_schema(
        parameters=[
            text_filter("school", "Only the students of the school with this code."),
            id_filter(
                "guardian",
                "Only the children of this adult: the active students they are a custodial legal "
                "guardian of (never a child they are barred from).",
            ),
        ],
        responses={200: s.StudentOut(many=True), **errors(400, 403, say=BAD_FILTER)},
    ),
    retrieve=extend_schema(responses={200: s.StudentOut, **errors(404)}),
)
class StudentViewSet(LoggedViews, viewsets.ReadOnlyModelViewSet):
    """Students with their contacts. Every view is written to the access log."""

    serializer_class = s.StudentOut
    list_filters = ("school", "guardian")
    access_action = "contacts.student.viewed"
    access_type = "contacts.student"

    def get_queryset(self):
        qs = selectors.students_with_contacts_visible_to(self.request.user).order_by("id")
        school = query_text(self.request, "school")
        if school:
            qs = qs.filter(school__code=school)
        guardian = query_id(self.request, "guardian")
        if guardian is not None:
            qs = qs.filter(pk__in=selectors.children_of(guardian))
        return qs

    def get_object(self):
        return selectors.get_student_for(self.request.user, self.kwargs["pk"])


@extend_schema_view(
    list=extend_schema(responses={200: s.PersonOut(many=True), **errors(403)}),
    retrieve=extend_schema(responses={200: s.PersonOut, **errors(404)}),
)
class PersonViewSet(
    LoggedViews,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Adults with their phones and emails. Every view is written to the access log."""

    serializer_class = s.PersonOut
    http_method_names = ["get", "post", "patch", "head", "options"]
    access_action = "contacts.person.viewed"
    access_type = "contacts.person"

    def get_queryset(self):
        return (
            selectors.people_visible_to(self.request.user)
            .prefetch_related("contact_points")
            .order_by("id")
        )

    def get_object(self):
        return selectors.get_person_for(self.request.user, self.kwargs["pk"])

    @extend_schema(
        description="Add an adult linked to no student: district-wide roles only. School staff "
        "add an adult to one of their students with `POST /api/v1/student-contacts/` and "
        "`new_person`.",
        request=s.PersonIn,
        responses={201: s.PersonOut, **errors(400, 403, 409, 415, say=SIS_ID_TAKEN)},
    )
    def create(self, request):
        access.require_add_person(request.user)  # the same answer whatever the body holds
        data = _parse(s.PersonIn, request.data)
        person = services.person_create(actor=request.user, **data)
        return Response(s.PersonOut(person).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.PersonPatch,
        responses={200: s.PersonOut, **errors(400, 403, 404, 415, say=NOT_EDITOR)},
    )
    def partial_update(self, request, pk=None):
        person = access.access_person_for_edit(request.user, pk)
        person = services.person_update(
            actor=request.user, person=person, **_parse(s.PersonPatch, request.data)
        )
        return Response(s.PersonOut(person).data)


@extend_schema_view(
    list=extend_schema(
        parameters=[id_filter("person", "Only the contact points of this adult.")],
        responses={200: s.ContactPointOut(many=True), **errors(400, 403, say=BAD_FILTER)},
    ),
    retrieve=extend_schema(responses={200: s.ContactPointOut, **errors(404)}),
    destroy=extend_schema(responses={204: None, **errors(403, 404, say=NOT_EDITOR)}),
)
class ContactPointViewSet(LoggedViews, viewsets.ModelViewSet):
    """Phones and emails. Every view is written to the access log."""

    serializer_class = s.ContactPointOut
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    list_filters = ("person",)
    access_action = "contacts.contact_point.viewed"
    access_type = "contacts.contactpoint"

    def get_queryset(self):
        qs = selectors.contact_points_visible_to(self.request.user).order_by("id")
        person = query_id(self.request, "person")
        return qs if person is None else qs.filter(person_id=person)

    def get_object(self):
        return selectors.get_contact_point_for(self.request.user, self.kwargs["pk"])

    @extend_schema(
        request=s.ContactPointIn,
        responses={
            201: s.ContactPointOut,
            **errors(400, 403, 404, 409, 415, say=POINT_TAKEN | NOT_EDITOR),
        },
    )
    def create(self, request):
        data = _parse(s.ContactPointIn, request.data)
        person = access.access_person_for_edit(request.user, data.pop("person"))
        point = services.contact_point_add(actor=request.user, person=person, **data)
        return Response(s.ContactPointOut(point).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.ContactPointPatch,
        responses={
            200: s.ContactPointOut,
            **errors(400, 403, 404, 409, 415, say=POINT_TAKEN | NOT_EDITOR),
        },
    )
    def partial_update(self, request, pk=None):
        point = access.access_contact_point_for_edit(request.user, pk)
        data = _parse(s.ContactPointPatch, request.data)
        point = services.contact_point_update(actor=request.user, contact_point=point, **data)
        return Response(s.ContactPointOut(point).data)

    def destroy(self, request, pk=None):
        point = access.access_contact_point_for_edit(request.user, pk)
        services.contact_point_remove(actor=request.user, contact_point=point)
        return Response(status=status.HTTP_204_NO_CONTENT)


NEW_PERSON = (
    "Link an adult to a student, either an adult the caller can see (`person`, an id) or a new "
    "adult (`new_person`: names, language and phones/emails), created with the link in one "
    "transaction. Exactly one of the two: both or neither is a 400 naming the field; a bad "
    "phone of the new adult names it (`new_person.contact_points[0].value`) and nothing is "
    "written."
)


@extend_schema_view(
    list=extend_schema(
        parameters=[id_filter("student", "Only the adults linked to this student.")],
        responses={200: s.StudentContactOut(many=True), **errors(400, 403, say=BAD_FILTER)},
    ),
    retrieve=extend_schema(responses={200: s.StudentContactOut, **errors(404)}),
    destroy=extend_schema(responses={204: None, **errors(403, 404, say=NOT_EDITOR)}),
)
class StudentContactViewSet(LoggedViews, viewsets.ModelViewSet):
    """Who each adult is to each student. Every view is written to the access log."""

    serializer_class = s.StudentContactOut
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    list_filters = ("student",)
    access_action = "contacts.student_contact.viewed"
    access_type = "contacts.studentcontact"

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
        description=NEW_PERSON,
        request=s.StudentContactIn,
        responses={
            201: s.StudentContactOut,
            **errors(400, 403, 404, 409, 415, say=LINK_TAKEN | NOT_EDITOR),
        },
    )
    def create(self, request):
        data = _parse(s.StudentContactIn, request.data)
        student = access.access_student_for_edit(request.user, data.pop("student"))
        person_id, new_person = data.pop("person"), data.pop("new_person")
        if new_person is not None:
            link = services.student_contact_add_new_person(
                actor=request.user, student=student, **new_person, **data
            )
        else:
            person = selectors.get_person_for(request.user, person_id)
            link = services.student_contact_add(
                actor=request.user, student=student, person=person, **data
            )
        return Response(s.StudentContactOut(link).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.StudentContactPatch,
        responses={
            200: s.StudentContactOut,
            **errors(400, 403, 404, 409, 415, say={409: PRIORITY_TAKEN} | NOT_EDITOR),
        },
    )
    def partial_update(self, request, pk=None):
        link = access.access_student_contact_for_edit(request.user, pk)
        data = _parse(s.StudentContactPatch, request.data)
        link = services.student_contact_update(actor=request.user, link=link, **data)
        return Response(s.StudentContactOut(link).data)

    def destroy(self, request, pk=None):
        link = access.access_student_contact_for_edit(request.user, pk)
        services.student_contact_remove(actor=request.user, link=link)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _parse(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
