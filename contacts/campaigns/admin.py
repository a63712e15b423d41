"""Admin for the data team: campaigns and their counts are read here; changes go through the
staff pages and the API, whose services audit them. Recurring schedules are django-celery-beat's
periodic tasks (task "campaigns.campaign_recur", argument: the template campaign's id), edited in
that app's admin. School office phones (read out in voice messages) are edited here."""

from django import forms
from django.contrib import admin

from contacts.lib.phones import normalize_phone
from privacy.errors import DomainError

from .models import Campaign, Recipient, SchoolOffice, SchoolProgress


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyAdmin):
    list_display = ("name", "status", "scope", "opens_at", "closes_at", "recipients_written")
    list_filter = ("status", "scope")
    search_fields = ("name",)


@admin.register(Recipient)
class RecipientAdmin(ReadOnlyAdmin):
    list_display = ("pk", "campaign", "school", "channel", "response", "responded_at")
    list_filter = ("response", "channel")
    list_select_related = ("campaign", "school")
    raw_id_fields = ("person", "contact_point", "link", "shared_with")


@admin.register(SchoolProgress)
class SchoolProgressAdmin(ReadOnlyAdmin):
    list_display = ("campaign", "school", "recipients", "sent", "confirmed", "refreshed_at")
    list_select_related = ("campaign", "school")


class SchoolOfficeForm(forms.ModelForm):
    class Meta:
        model = SchoolOffice
        fields = ["school", "phone"]

    def clean_phone(self) -> str:
        try:
            return normalize_phone(self.cleaned_data["phone"], field="phone")
        except DomainError as error:
            raise forms.ValidationError(error.message) from error


@admin.register(SchoolOffice)
class SchoolOfficeAdmin(admin.ModelAdmin):
    form = SchoolOfficeForm
    list_display = ("school", "phone")
    list_select_related = ("school",)
