"""Admin for the data team. Reads are free; contact writes go through the API and portal, whose
services audit them, so relations and contact points are read-only here."""

from django.contrib import admin

from .models import ContactPoint, Person, School, StaffMembership, Student, StudentContact


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class StudentContactInline(ReadOnlyInline):
    model = StudentContact
    fk_name = "student"
    fields = (
        "person",
        "relationship",
        "legal_guardian",
        "lives_with",
        "emergency_priority",
        "pickup_status",
    )
    readonly_fields = fields


class ContactPointInline(ReadOnlyInline):
    model = ContactPoint
    fields = ("kind", "value", "label", "sms_capable", "status", "last_failure")
    readonly_fields = fields


@admin.register(School)
class SchoolAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "timezone")
    search_fields = ("code", "name")


@admin.register(Student)
class StudentAdmin(admin.ModelAdmin):
    list_display = ("sis_id", "last_name", "first_name", "school", "grade", "active")
    list_filter = ("school", "active", "grade")
    search_fields = ("sis_id", "last_name", "first_name")
    list_select_related = ("school",)
    readonly_fields = [f.name for f in Student._meta.fields]
    inlines = [StudentContactInline]

    def has_add_permission(self, request):
        return False  # students come from the SIS


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ("last_name", "first_name", "preferred_language", "sis_id")
    search_fields = ("last_name", "first_name", "sis_id")
    readonly_fields = [f.name for f in Person._meta.fields]
    inlines = [ContactPointInline]


@admin.register(StaffMembership)
class StaffMembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "school")
    list_filter = ("school",)
    autocomplete_fields = ("school",)
