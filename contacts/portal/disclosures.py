"""The portal page "Who has been given information about my children": the FERPA record of
disclosures (privacy) for each of the signed-in guardian's own children, in their language."""

from django.shortcuts import render

from contacts.models import Student
from privacy.selectors import disclosures_of_students

from .access import guardian_required


@guardian_required
def disclosures(request):
    children = list(Student.objects.children_of(request.guardian.pk))
    by_child: dict[int, list] = {child.pk: [] for child in children}
    for record in disclosures_of_students(by_child):
        by_child[record.student_id].append(record)
    context = {"children": [(child, by_child[child.pk]) for child in children]}
    return render(request, "portal/disclosures.html", context)
