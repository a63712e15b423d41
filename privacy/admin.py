from django.contrib import admin

from .models import AccessLogEntry, AuditEntry, Disclosure, StaffContact


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor_label", "action", "object_type", "object_id")
    list_filter = ("action", "object_type")
    search_fields = ("object_id", "actor_label")


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor", "action", "object_type", "object_id")
    list_filter = ("action", "object_type")


@admin.register(Disclosure)
class DisclosureAdmin(ReadOnlyAdmin):
    list_display = ("disclosed_at", "student_id", "party", "basis", "approved_by_label")
    list_filter = ("basis",)


@admin.register(StaffContact)
class StaffContactAdmin(admin.ModelAdmin):
    """Where agency-request alerts reach a staff member by SMS, and in which language."""

    list_display = ("user", "language")
    raw_id_fields = ("user",)
