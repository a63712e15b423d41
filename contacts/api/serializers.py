"""Serializers: output shapes, and input shapes that only parse. Rules live in the services."""

from rest_framework import serializers

from ..models import ContactPoint, Person, School, Student, StudentContact
from ..services import STAFF_SETTABLE_STATUSES


class SchoolOut(serializers.ModelSerializer):
    class Meta:
        model = School
        fields = ["id", "code", "name", "address", "timezone"]


class ContactPointOut(serializers.ModelSerializer):
    class Meta:
        model = ContactPoint
        fields = [
            "id",
            "person",
            "kind",
            "value",
            "label",
            "sms_capable",
            "status",
            "verified_at",
            "last_failure",
            "last_failure_at",
        ]


class PersonOut(serializers.ModelSerializer):
    contact_points = ContactPointOut(many=True, read_only=True)

    class Meta:
        model = Person
        fields = ["id", "first_name", "last_name", "preferred_language", "sis_id", "contact_points"]


class StudentContactOut(serializers.ModelSerializer):
    person = PersonOut(read_only=True)

    class Meta:
        model = StudentContact
        fields = [
            "id",
            "student",
            "person",
            "relationship",
            "legal_guardian",
            "lives_with",
            "emergency_priority",
            "pickup_status",
            "receives_notifications",
            "source",
            "verified_at",
        ]


class StudentOut(serializers.ModelSerializer):
    school = SchoolOut(read_only=True)
    contacts = StudentContactOut(many=True, read_only=True)

    class Meta:
        model = Student
        fields = [
            "id",
            "sis_id",
            "first_name",
            "last_name",
            "preferred_name",
            "school",
            "grade",
            "home_language",
            "active",
            "contacts",
        ]


class PersonIn(serializers.Serializer):
    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100)
    preferred_language = serializers.CharField(max_length=16, required=False, default="en")
    sis_id = serializers.CharField(max_length=64, required=False, allow_null=True, default=None)


class PersonPatch(serializers.Serializer):
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    preferred_language = serializers.CharField(max_length=16, required=False)


class ContactPointIn(serializers.Serializer):
    person = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ContactPoint.Kind.choices)
    value = serializers.CharField(max_length=254)
    label = serializers.ChoiceField(
        choices=ContactPoint.Label.choices, required=False, default="mobile"
    )
    sms_capable = serializers.BooleanField(required=False, allow_null=True, default=None)


class ContactPointPatch(serializers.Serializer):
    value = serializers.CharField(max_length=254, required=False)
    label = serializers.ChoiceField(choices=ContactPoint.Label.choices, required=False)
    sms_capable = serializers.BooleanField(required=False)
    # `verified` is the verification flow's to set, never staff's (services.contact_point_update).
    status = serializers.ChoiceField(
        choices=[c for c in ContactPoint.Status.choices if c[0] in STAFF_SETTABLE_STATUSES],
        required=False,
        help_text="unverified, invalid or opted_out; only the adult's confirmation makes a "
        "contact point verified, and only the adult can lift an opt-out.",
    )


class NewContactPointIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ContactPoint.Kind.choices)
    value = serializers.CharField(max_length=254)
    label = serializers.ChoiceField(
        choices=ContactPoint.Label.choices, required=False, default="mobile"
    )
    sms_capable = serializers.BooleanField(required=False, allow_null=True, default=None)


class NewPersonIn(serializers.Serializer):
    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100)
    preferred_language = serializers.CharField(max_length=16, required=False, default="en")
    contact_points = NewContactPointIn(many=True, required=False, default=list, max_length=10)


class StudentContactIn(serializers.Serializer):
    """Link an adult to a student: an adult the caller can see (`person`), or a new one with
    their phones and emails (`new_person`), exactly one of the two."""

    student = serializers.IntegerField()
    person = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="An adult's id."
    )
    new_person = NewPersonIn(
        required=False,
        allow_null=True,
        default=None,
        help_text="A new adult, created with the link in one transaction.",
    )
    relationship = serializers.ChoiceField(choices=StudentContact.Relationship.choices)
    legal_guardian = serializers.BooleanField(required=False, default=False)
    lives_with = serializers.BooleanField(required=False, default=False)
    emergency_priority = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=99
    )
    pickup_status = serializers.ChoiceField(
        choices=StudentContact.Pickup.choices,
        required=False,
        default=StudentContact.Pickup.NOT_ALLOWED,
    )
    receives_notifications = serializers.BooleanField(required=False, default=True)

    def validate(self, attrs):
        if attrs.get("person") is not None and attrs.get("new_person") is not None:
            raise serializers.ValidationError(
                {"new_person": ["give either person (an id) or new_person, not both."]}
            )
        if attrs.get("person") is None and attrs.get("new_person") is None:
            raise serializers.ValidationError(
                {"person": ["give person (an adult's id) or new_person (a new adult)."]}
            )
        return attrs


class StudentContactPatch(serializers.Serializer):
    relationship = serializers.ChoiceField(
        choices=StudentContact.Relationship.choices, required=False
    )
    legal_guardian = serializers.BooleanField(required=False)
    lives_with = serializers.BooleanField(required=False)
    emergency_priority = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=99
    )
    pickup_status = serializers.ChoiceField(choices=StudentContact.Pickup.choices, required=False)
    receives_notifications = serializers.BooleanField(required=False)
