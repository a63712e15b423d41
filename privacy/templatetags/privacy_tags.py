"""`{% load privacy_tags %}{% agency_banner student.pk %}`: the banner every staff page showing a
student carries while an outside agency's request about that student is open (one query). A
view that already has the request can include "privacy/_agency_banner.html" with
agency_request=... instead."""

from django import template

from ..selectors import open_agency_request_for_student

register = template.Library()


@register.inclusion_tag("privacy/_agency_banner.html")
def agency_banner(student_id):
    return {"agency_request": open_agency_request_for_student(int(student_id))}
