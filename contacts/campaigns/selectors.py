"""Read queries for campaigns, scoped to the actor.

Campaigns are the district data team's (and administrators'): others see none, and a denied
campaign is a 404. A school office sees its own call list: the recipients whose school is one of
theirs, and of each family only the children it may see.
"""

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from contacts.models import ContactPoint, Person, School, Student, StudentContact
from contacts.selectors import schools_visible_to, students_visible_to
from privacy.roles import Role, has_role

from .models import Campaign, Recipient, SchoolProgress

MANAGERS = (Role.DATA_TEAM, Role.ADMIN)


def can_manage_campaigns(actor) -> bool:
    return has_role(actor, *MANAGERS)


def can_use_call_list(actor) -> bool:
    return has_role(actor, Role.SCHOOL_STAFF, *MANAGERS)


def campaigns_visible_to(actor) -> QuerySet[Campaign]:
    if can_manage_campaigns(actor):
        return Campaign.objects.all()
    return Campaign.objects.none()


def get_campaign_for(actor, pk) -> Campaign:
    try:
        return campaigns_visible_to(actor).get(pk=pk)
    except (Campaign.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


# --- scope -------------------------------------------------------------------------------------


def scope_students(campaign: Campaign) -> QuerySet[Student]:
    """The active students a campaign is about."""
    students = Student.objects.filter(active=True)
    if campaign.scope == Campaign.Scope.STUDENTS:
        return students.filter(pk__in=campaign.students.values("pk"))
    if campaign.scope in (Campaign.Scope.SCHOOLS, Campaign.Scope.GRADES):
        school_ids = list(campaign.schools.values_list("pk", flat=True))
        if school_ids:
            students = students.filter(school_id__in=school_ids)
    if campaign.grades:
        students = students.filter(grade__in=campaign.grades)
    return students


def scope_guardianships(campaign: Campaign) -> QuerySet[StudentContact]:
    return StudentContact.objects.guardianships().filter(
        student__in=scope_students(campaign).values("pk")
    )


def reachable_on(channels) -> Q:
    """Contact points (a ContactPoint filter) a message on one of these channels can go to."""
    wanted = Q(pk__in=[])
    if "sms" in channels:
        wanted |= Q(kind=ContactPoint.Kind.PHONE, sms_capable=True)
    if "voice" in channels:
        wanted |= Q(kind=ContactPoint.Kind.PHONE)
    if "email" in channels:
        wanted |= Q(kind=ContactPoint.Kind.EMAIL)
    return wanted & Q(status__in=ContactPoint.REACHABLE_STATUSES)


@dataclass
class PreviewRow:
    school: School | None
    guardians: int
    students: int
    no_channel: int


@dataclass
class Preview:
    schools: list[PreviewRow] = field(default_factory=list)
    total: PreviewRow | None = None


def campaign_preview(campaign: Campaign) -> Preview:
    """Per school: the guardians of the campaign's students there, the students, and the
    guardians without any reachable contact point on the campaign's channels; and the district
    totals (a guardian with children in two schools counts in each school, once in the total).
    Two aggregate queries."""
    links = scope_guardianships(campaign).annotate(
        reachable=Exists(
            ContactPoint.objects.filter(reachable_on(campaign.channels), person=OuterRef("person"))
        )
    )
    counts = {
        "guardians": Count("person", distinct=True),
        "students": Count("student", distinct=True),
        "no_channel": Count("person", distinct=True, filter=Q(reachable=False)),
    }
    rows = links.values("student__school").annotate(**counts).order_by()
    schools = School.objects.in_bulk([row["student__school"] for row in rows])
    preview = Preview(
        schools=sorted(
            (
                PreviewRow(
                    school=schools[row["student__school"]],
                    guardians=row["guardians"],
                    students=row["students"],
                    no_channel=row["no_channel"],
                )
                for row in rows
            ),
            key=lambda r: r.school.name,
        )
    )
    total = links.aggregate(**counts)
    preview.total = PreviewRow(school=None, **total)
    return preview


def campaign_guardians(campaign: Campaign) -> QuerySet[Person]:
    return Person.objects.filter(pk__in=scope_guardianships(campaign).values("person_id"))


# --- progress ----------------------------------------------------------------------------------


def campaign_progress(campaign: Campaign) -> list[SchoolProgress]:
    """The snapshot rows, one per school, with their school (one query)."""
    return list(SchoolProgress.objects.filter(campaign=campaign).select_related("school"))


def progress_total(rows: list[SchoolProgress]) -> dict:
    names = (
        "recipients",
        "no_channel",
        "sent",
        "delivered",
        "failed",
        "opened",
        "confirmed",
        "updated",
        "opted_out",
        "call_list",
    )
    total = {name: sum(getattr(row, name) for row in rows) for name in names}
    reasons: dict[str, int] = {}
    for row in rows:
        for reason, count in row.failed_by_reason.items():
            reasons[reason] = reasons.get(reason, 0) + count
    total["failed_by_reason"] = reasons
    return total


# --- call list ---------------------------------------------------------------------------------


def call_list_visible_to(
    actor, *, school_id: int | None = None, campaign_id: int | None = None
) -> QuerySet[Recipient]:
    """The recipients on a call list the actor may work: those of their schools, every campaign,
    still to be called first. Each carries its guardian, the guardian's phones and the children
    the actor may see (three queries whatever the length)."""
    if not can_use_call_list(actor):
        return Recipient.objects.none()
    recipients = Recipient.objects.filter(
        call_listed_at__isnull=False, school__in=schools_visible_to(actor).values("pk")
    )
    if school_id is not None:
        recipients = recipients.filter(school_id=school_id)
    if campaign_id is not None:
        recipients = recipients.filter(campaign_id=campaign_id)
    phones = ContactPoint.objects.filter(kind=ContactPoint.Kind.PHONE).order_by("id")
    children = StudentContact.objects.guardianships().filter(
        student__in=students_visible_to(actor).values("pk")
    )
    return (
        recipients.select_related("person", "school", "campaign")
        .prefetch_related(
            Prefetch("person__contact_points", queryset=phones, to_attr="phones"),
            Prefetch(
                "person__student_links",
                queryset=children.select_related("student"),
                to_attr="children_links",
            ),
        )
        .order_by("responded_at", "school__name", "person__last_name", "person__first_name", "pk")
    )


def get_call_list_entry_for(actor, pk) -> Recipient:
    try:
        return call_list_visible_to(actor).get(pk=pk)
    except (Recipient.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
