"""Admin for the district: counselor profiles (schools served, languages checked against BCP 47)
and support resources are edited here, with an audit entry for each change; cases and their
timelines are read-only (every change to a case goes through reunify.services)."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from contacts.models import School
from privacy.admin import ReadOnlyAdmin
from privacy.services import audit_record

from .lib.staff_csv import known_language
from .models import Case, CaseStudent, CounselorProfile, SupportResource, TimelineEntry


class CounselorProfileForm(forms.ModelForm):
    """Languages are typed as BCP 47 tags separated by commas or semicolons ("en; es-MX"); an
    unknown language or school is refused with a message naming it."""

    languages = forms.CharField(
        label=_("Languages"),
        help_text=_("BCP 47 tags separated by commas, for example: en, es-MX, vi"),
    )
    schools = forms.ModelMultipleChoiceField(
        queryset=School.objects.all(),
        required=False,
        error_messages={"invalid_choice": _("Unknown school: %(value)s.")},
    )

    class Meta:
        model = CounselorProfile
        fields = ("user", "schools", "languages", "caseload_cap", "on_duty")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["languages"] = ", ".join(self.instance.languages)

    def clean_languages(self) -> list[str]:
        raw = self.cleaned_data["languages"].replace(";", ",")
        tags = list(dict.fromkeys(tag.strip() for tag in raw.split(",") if tag.strip()))
        if not tags:
            raise forms.ValidationError(_("Name at least one language."), code="required")
        unknown = [tag for tag in tags if not known_language(tag)]
        if unknown:
            raise forms.ValidationError(
                _("Unknown language: %(tags)s. Use BCP 47 tags such as en, es-MX or vi."),
                code="invalid_language",
                params={"tags": ", ".join(unknown)},
            )
        return tags


class AuditedAdmin(admin.ModelAdmin):
    """Writes an audit entry with every save, in the admin's own transaction."""

    audit_action = ""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            action=f"{self.audit_action}.{'changed' if change else 'added'}",
            obj=obj,
            after={name: str(form.cleaned_data.get(name)) for name in form.changed_data},
        )


@admin.register(CounselorProfile)
class CounselorProfileAdmin(AuditedAdmin):
    form = CounselorProfileForm
    audit_action = "reunify.counselor_profile"
    list_display = ("user", "languages", "caseload_cap", "open_caseload", "on_duty")
    list_filter = ("on_duty", "schools")
    search_fields = ("user__username", "user__first_name", "user__last_name")
    readonly_fields = ("open_caseload",)
    autocomplete_fields = ("user",)


class SupportResourceForm(forms.ModelForm):
    link = forms.URLField(label=_("Link"), required=False, assume_scheme="https")

    class Meta:
        model = SupportResource
        fields = (
            "category",
            "name",
            "active",
            "text_en",
            "text_es",
            "text_ar",
            "text_vi",
            "phone",
            "address",
            "link",
        )


@admin.register(SupportResource)
class SupportResourceAdmin(AuditedAdmin):
    form = SupportResourceForm
    audit_action = "reunify.support_resource"
    list_display = ("name", "category", "active")
    list_filter = ("category", "active")
    search_fields = ("name",)
    fieldsets = (
        (None, {"fields": ("category", "name", "active")}),
        (_("Text in each language"), {"fields": ("text_en", "text_es", "text_ar", "text_vi")}),
        (_("How to reach it"), {"fields": ("phone", "address", "link")}),
    )


class CaseStudentInline(admin.TabularInline):
    model = CaseStudent
    fields = ("student", "status", "counselor", "in_lead_queue", "identified_at", "settled_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "drill", "status", "opened_by", "opened_at", "closed_at")
    list_filter = ("kind", "drill", "status")
    inlines = [CaseStudentInline]


@admin.register(TimelineEntry)
class TimelineEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "case", "actor_label", "action", "text")
    list_filter = ("action",)
    search_fields = ("text",)
    list_select_related = ("case",)
