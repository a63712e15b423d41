"""Input and output shapes of the release, school event and report endpoints.

A release body accepts only its own keys: anything else (a document number, an issuing
country, a document type) is refused with a 400 naming the key, on top of the privacy guard
that refuses immigration-related keys in every body."""

from rest_framework import serializers

from config.api import MAX_ID

from ..models import Accounting, EventCheckIn, Release, ReleaseApproval, ReleaseCode
from ..services.release import release_as_corrected

Id = lambda **kw: serializers.IntegerField(min_value=1, max_value=MAX_ID, **kw)  # noqa: E731
Text = lambda n, **kw: serializers.CharField(  # noqa: E731
    required=False, allow_blank=True, max_length=n, trim_whitespace=False, **kw
)


class StrictSerializer(serializers.Serializer):
    """Refuses keys it does not declare, naming them."""

    def to_internal_value(self, data):
        if hasattr(data, "keys"):
            unknown = sorted(set(data.keys()) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {key: ["is not accepted here."] for key in unknown}
                )
        return super().to_internal_value(data)


class ReleaseIn(StrictSerializer):
    student = Id(help_text="The student (id).")
    person = Id(required=False, allow_null=True, help_text="The adult on file (person id).")
    adult_name = Text(200, help_text="An unlisted adult's name, instead of `person`.")
    identity = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="How identity was confirmed: photo_id (any government photo ID of any "
        "country), other_photo_id, or no_photo_id. Never the document itself.",
    )
    identity_established = Text(
        20, help_text="With no_photo_id: known_to_staff, guardian_code or photo_on_file."
    )
    student_comfortable = serializers.BooleanField(
        help_text="The student's own answer to 'are you comfortable going with this adult?'"
    )
    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=600,
        trim_whitespace=False,
        help_text="A crisis lead's written reason (pending review, not allowed, unlisted, no "
        "photo ID).",
    )
    guardian_code = serializers.CharField(required=False, max_length=20)
    hold_note = serializers.CharField(
        required=False, allow_blank=True, max_length=600, trim_whitespace=False
    )
    self_release = serializers.BooleanField(required=False, default=False)
    approval_note = serializers.CharField(
        required=False, allow_blank=True, max_length=600, trim_whitespace=False
    )
    signature = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=300_000,
        help_text="The adult's signature drawn on the screen as a PNG data URL "
        "(data:image/png;base64,...), or typed initials.",
    )
    signature_initials = Text(12)
    checked_in_by = Id(required=False, help_text="Who checked the adult in, if not you.")


class CorrectionIn(StrictSerializer):
    changes = serializers.DictField(
        help_text="adult_name, identity, identity_established or signature_initials."
    )
    reason = serializers.CharField(max_length=600, allow_blank=True)


class ApprovalIn(StrictSerializer):
    student = Id()
    kind = serializers.ChoiceField(choices=ReleaseApproval.Kind.choices)
    person = Id(required=False, allow_null=True)
    adult_name = Text(200)
    reason = serializers.CharField(max_length=600, allow_blank=True)


class CodeRequestIn(StrictSerializer):
    student = Id()
    guardian = Id(
        help_text="A legal guardian of the student; the code goes to their phone on file."
    )
    contact_point = Id(required=False, help_text="Which of the guardian's phones on file.")
    person = Id(required=False, allow_null=True, help_text="The adult to authorize, if on file.")
    adult_name = Text(200, help_text="The unlisted adult's name.")


class CodeVerifyIn(StrictSerializer):
    code = serializers.CharField(max_length=20)


class CheckInIn(StrictSerializer):
    students = serializers.ListField(child=Id(), max_length=50)
    eta_minutes = serializers.IntegerField(min_value=0, max_value=600)


class DeskCheckInIn(CheckInIn):
    person = Id()


class AccountIn(StrictSerializer):
    student = Id()
    status = serializers.ChoiceField(choices=Accounting.Status.choices)
    note = Text(200)


class SchoolEventIn(StrictSerializer):
    kind = serializers.ChoiceField(choices=["school_event"])
    school = Id()
    drill = serializers.BooleanField(required=False, default=False)
    site = Text(200, help_text="Where families come (default: the school).")
    when = Text(200, help_text="When to come, as families read it ('from 2:30 pm').")


class ApprovalOut(serializers.ModelSerializer):
    approved_by = serializers.SerializerMethodField()

    class Meta:
        model = ReleaseApproval
        fields = ["id", "kind", "reason", "approved_by", "approved_at"]

    def get_approved_by(self, approval) -> str:
        user = approval.approved_by
        return user.get_full_name() or user.get_username()


class ApprovalCreatedOut(ApprovalOut):
    student = serializers.IntegerField(source="case_student.student_id")

    class Meta(ApprovalOut.Meta):
        fields = [*ApprovalOut.Meta.fields, "student"]


def _name(user) -> str | None:
    return (user.get_full_name() or user.get_username()) if user is not None else None


class ReleaseOut(serializers.ModelSerializer):
    student = serializers.IntegerField(source="case_student.student_id")
    student_name = serializers.CharField(source="case_student.student.display_name")
    taken_by = serializers.SerializerMethodField()
    adult_name = serializers.SerializerMethodField()
    identity = serializers.SerializerMethodField()
    identity_established = serializers.SerializerMethodField()
    signed_with = serializers.SerializerMethodField()
    override = ApprovalOut(allow_null=True)
    identity_approval = ApprovalOut(allow_null=True)
    hold_approval = ApprovalOut(allow_null=True)
    self_release_approval = ApprovalOut(allow_null=True)
    guardian_code = serializers.SerializerMethodField()
    checked_in_by = serializers.SerializerMethodField()
    identity_verified_by = serializers.SerializerMethodField()
    handed_over_by = serializers.SerializerMethodField()
    corrections = serializers.SerializerMethodField()

    class Meta:
        model = Release
        fields = [
            "id",
            "case",
            "student",
            "student_name",
            "person",
            "adult_name",
            "taken_by",
            "authorization",
            "pickup_status",
            "identity",
            "identity_established",
            "student_comfortable",
            "override",
            "identity_approval",
            "hold_approval",
            "self_release_approval",
            "guardian_code",
            "signed_with",
            "checked_in_by",
            "identity_verified_by",
            "handed_over_by",
            "handed_over_at",
            "corrections",
        ]

    def _current(self, release) -> dict:
        return release_as_corrected(release)

    def get_taken_by(self, release) -> str:
        return self._current(release)["adult_name"] or release.taken_by

    def get_adult_name(self, release) -> str:
        return self._current(release)["adult_name"]

    def get_identity(self, release) -> str:
        return self._current(release)["identity"]

    def get_identity_established(self, release) -> str:
        return self._current(release)["identity_established"]

    def get_signed_with(self, release) -> str:
        return "image" if release.signature_image else "initials"

    def get_guardian_code(self, release) -> dict | None:
        row = release.guardian_code
        if row is None:
            return None
        return {"guardian": row.guardian.display_name, "via": row.confirmed_via}

    def get_checked_in_by(self, release) -> str | None:
        return _name(release.checked_in_by)

    def get_identity_verified_by(self, release) -> str | None:
        return _name(release.identity_verified_by)

    def get_handed_over_by(self, release) -> str | None:
        return _name(release.handed_over_by)

    def get_corrections(self, release) -> list[dict]:
        return [
            {
                "changes": c.changes,
                "reason": c.reason,
                "corrected_by_id": c.corrected_by_id,
                "corrected_at": c.corrected_at,
            }
            for c in release.corrections.all()
        ]


class CodeOut(serializers.ModelSerializer):
    guardian = serializers.IntegerField(source="guardian_id")
    students = serializers.SerializerMethodField()
    confirmed = serializers.SerializerMethodField()

    class Meta:
        model = ReleaseCode
        fields = [
            "id",
            "guardian",
            "person",
            "adult_name",
            "students",
            "created_at",
            "expires_at",
            "confirmed",
            "confirmed_via",
        ]

    def get_students(self, row) -> list[int]:
        return [cs.student_id for cs in row.students.all()]

    def get_confirmed(self, row) -> bool:
        return row.confirmed_at is not None


class StandingOut(serializers.Serializer):
    standing = serializers.CharField()
    pickup_status = serializers.CharField()
    reason = serializers.CharField()


class AdultOptionOut(serializers.Serializer):
    person = serializers.IntegerField(source="person_id")
    name = serializers.CharField()
    relationship = serializers.CharField()
    standing = StandingOut()


class OptionsOut(serializers.Serializer):
    student = serializers.IntegerField(source="case_student.student_id")
    name = serializers.CharField(source="case_student.student.display_name")
    grade = serializers.CharField(source="case_student.student.grade")
    school = serializers.CharField(source="case_student.student.school.name")
    status = serializers.CharField(source="case_student.status")
    allowed = AdultOptionOut(many=True)
    needs_override = AdultOptionOut(many=True)
    do_not_release = serializers.ListField(child=serializers.CharField())
    released_to = serializers.SerializerMethodField()

    def get_released_to(self, options) -> dict | None:
        release = options.release
        if release is None:
            return None
        return {"release": release.pk, "taken_by": release.taken_by, "at": release.handed_over_at}


class AdultStudentOut(serializers.Serializer):
    student = serializers.IntegerField(source="case_student.student_id")
    name = serializers.CharField(source="case_student.student.display_name")
    status = serializers.CharField(source="case_student.status")
    family = serializers.IntegerField(source="case_student.family")
    standing = StandingOut()


class AdultMatchOut(serializers.Serializer):
    person = serializers.IntegerField(source="person.pk")
    name = serializers.CharField(source="person.display_name")
    students = AdultStudentOut(many=True)


class CheckInOut(serializers.ModelSerializer):
    name = serializers.CharField(source="person.display_name")
    students = serializers.SerializerMethodField()

    class Meta:
        model = EventCheckIn
        fields = ["id", "person", "name", "students", "eta_minutes", "expected_at", "source"]

    def get_students(self, checkin) -> list[dict]:
        return [
            {"student": cs.student_id, "name": cs.student.display_name, "status": cs.status}
            for cs in checkin.students.all()
        ]


class AccountingOut(serializers.ModelSerializer):
    student = serializers.IntegerField(source="case_student.student_id")

    class Meta:
        model = Accounting
        fields = ["id", "student", "status", "note", "recorded_at"]


class UnaccountedOut(serializers.Serializer):
    student = serializers.IntegerField(source="student_id")
    name = serializers.CharField(source="student.display_name")
    grade = serializers.CharField(source="student.grade")
    status = serializers.CharField()
