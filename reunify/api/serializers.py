"""Input and output shapes of the reunify API."""

from rest_framework import serializers

from config.api import MAX_ID

from ..models import Case, CaseStudent, Outreach, Task, TimelineEntry
from ..services.outreach import CALL_OUTCOMES

Id = lambda **kw: serializers.IntegerField(min_value=1, max_value=MAX_ID, **kw)  # noqa: E731


class CaseIn(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=Case.Kind.choices,
        default=Case.Kind.GUARDIAN_UNAVAILABLE,
        help_text="Only guardian_unavailable cases are opened by naming adults.",
    )
    guardians = serializers.ListField(
        child=Id(),
        allow_empty=True,
        max_length=20,
        help_text="Person ids of the unavailable adults.",
    )
    drill = serializers.BooleanField(default=False)
    outreach_wait_minutes = serializers.IntegerField(
        required=False, help_text="Minutes an adult has to answer (default 15; 1 to 720)."
    )


class CloseIn(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class CallIn(serializers.Serializer):
    person = Id(help_text="The adult called.")
    outcome = serializers.ChoiceField(choices=list(CALL_OUTCOMES))
    note = serializers.CharField(required=False, allow_blank=True, max_length=250, default="")


class CompleteIn(serializers.Serializer):
    notes = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="The version you saw; a changed task is a 409."
    )


class VersionIn(serializers.Serializer):
    version = serializers.IntegerField(required=False, min_value=1)


class ReassignIn(VersionIn):
    assignee = Id(help_text="The staff user to give the task to.")


class NoticeOut(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    guardian = serializers.IntegerField(allow_null=True)
    student = serializers.IntegerField(allow_null=True)
    case = serializers.IntegerField(allow_null=True)


class CaseStudentOut(serializers.ModelSerializer):
    student = serializers.IntegerField(source="student_id")
    name = serializers.CharField(source="student.display_name")
    school = serializers.IntegerField(source="student.school_id")
    counselor = serializers.IntegerField(source="counselor_id", allow_null=True)

    class Meta:
        model = CaseStudent
        fields = [
            "id",
            "student",
            "name",
            "school",
            "counselor",
            "in_lead_queue",
            "status",
            "family",
        ]


class CaseSummaryOut(serializers.ModelSerializer):
    number = serializers.CharField()
    student_count = serializers.IntegerField()
    settled_count = serializers.IntegerField()

    class Meta:
        model = Case
        fields = [
            "id",
            "number",
            "kind",
            "status",
            "drill",
            "opened_at",
            "closed_at",
            "student_count",
            "settled_count",
        ]


class CaseOut(serializers.ModelSerializer):
    number = serializers.CharField()
    students = CaseStudentOut(many=True)
    guardians = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "id",
            "number",
            "kind",
            "status",
            "drill",
            "opened_at",
            "closed_at",
            "close_note",
            "outreach_wait_minutes",
            "guardians",
            "students",
        ]

    def get_guardians(self, case) -> list[int]:
        return [g.person_id for g in case.guardians.all()]


class CaseOpenOut(CaseOut):
    notices = NoticeOut(many=True)

    class Meta(CaseOut.Meta):
        fields = [*CaseOut.Meta.fields, "notices"]


class PreviewStudentOut(serializers.Serializer):
    student = serializers.IntegerField(source="pk")
    name = serializers.CharField(source="display_name")
    school = serializers.IntegerField(source="school_id")
    school_name = serializers.CharField(source="school.name")
    grade = serializers.CharField()


class PreviewOut(serializers.Serializer):
    kind = serializers.CharField()
    guardians = serializers.SerializerMethodField()
    students = PreviewStudentOut(many=True)
    families = serializers.ListField(child=serializers.ListField(child=serializers.IntegerField()))
    notices = NoticeOut(many=True)

    def get_guardians(self, preview) -> list[dict]:
        return [{"id": p.pk, "name": p.display_name} for p in preview.guardians]


class TimelineOut(serializers.ModelSerializer):
    case_student = serializers.IntegerField(source="case_student_id", allow_null=True)

    class Meta:
        model = TimelineEntry
        fields = ["id", "at", "actor_label", "action", "text", "case_student", "data"]


class OutreachOut(serializers.ModelSerializer):
    person = serializers.IntegerField(source="person_id")
    name = serializers.CharField(source="person.display_name")

    class Meta:
        model = Outreach
        fields = [
            "id",
            "family",
            "order",
            "person",
            "name",
            "status",
            "standby",
            "pending_review",
            "channel",
            "asked_at",
            "moves_on_at",
            "answered_at",
        ]


class TaskOut(serializers.ModelSerializer):
    case_number = serializers.CharField(source="case.number")
    drill = serializers.BooleanField(source="case.drill")
    student = serializers.IntegerField(source="case_student.student_id")
    student_name = serializers.CharField(source="case_student.student.display_name")
    school = serializers.CharField(source="case_student.student.school.name")
    assignee = serializers.IntegerField(source="assignee_id", allow_null=True)
    completed_by = serializers.IntegerField(source="completed_by_id", allow_null=True)

    class Meta:
        model = Task
        fields = [
            "id",
            "case",
            "case_number",
            "drill",
            "case_student",
            "student",
            "student_name",
            "school",
            "kind",
            "priority",
            "due_at",
            "status",
            "notes",
            "assignee",
            "completed_by",
            "completed_at",
            "version",
        ]
