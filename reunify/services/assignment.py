"""Counselor assignment.

Each family's students get one counselor where possible: an on-duty counselor who serves one of
the students' schools first, then one who speaks the family's language, then the one with the
smallest open caseload. A counselor's `open_caseload` only grows through a conditional UPDATE
(`... WHERE open_caseload <= caseload_cap - n`), so two cases opened at the same moment can never
push a counselor past the cap: on PostgreSQL the second UPDATE waits for the first to commit and
re-checks the condition on the new row; on SQLite writers are serialised.
"""

from dataclasses import dataclass

from django.db.models import F, Value
from django.db.models.functions import Greatest

from ..models import CounselorProfile


def primary_language(tag: str | None) -> str:
    return (tag or "").replace("_", "-").split("-")[0].lower()


@dataclass
class Candidate:
    profile: CounselorProfile
    school_ids: frozenset[int]
    languages: frozenset[str]


def candidates() -> list[Candidate]:
    """On-duty counselors with room, with their schools and languages (two queries)."""
    profiles = (
        CounselorProfile.objects.filter(on_duty=True, user__is_active=True)
        .filter(open_caseload__lt=F("caseload_cap"))
        .select_related("user")
        .prefetch_related("schools")
        .order_by("pk")
    )
    return [
        Candidate(
            profile=p,
            school_ids=frozenset(s.pk for s in p.schools.all()),
            languages=frozenset(primary_language(tag) for tag in (p.languages or [])),
        )
        for p in profiles
    ]


def _rank(candidate: Candidate, school_ids: set[int], language: str) -> tuple:
    profile = candidate.profile
    return (
        0 if candidate.school_ids & school_ids else 1,
        0 if language and language in candidate.languages else 1,
        profile.open_caseload,
        profile.pk,
    )


def _take(candidate: Candidate, n: int) -> bool:
    """Reserve `n` places on the counselor's caseload, or nothing if they no longer have room."""
    taken = CounselorProfile.objects.filter(
        pk=candidate.profile.pk, on_duty=True, open_caseload__lte=F("caseload_cap") - n
    ).update(open_caseload=F("open_caseload") + n)
    if taken:
        candidate.profile.open_caseload += n
    else:  # someone else filled them up meanwhile: look no further at this one
        candidate.profile.open_caseload = candidate.profile.caseload_cap
    return bool(taken)


def assign_family(
    pool: list[Candidate], *, students: list[tuple[int, int]], language: str
) -> dict[int, int | None]:
    """Choose counselors for one family. `students` are (key, school id) pairs; returns key ->
    counselor user id, or None where nobody is free (the lead's queue). Reserves the places."""
    school_ids = {school for _, school in students}
    chosen: dict[int, int | None] = {}
    for candidate in sorted(pool, key=lambda c: _rank(c, school_ids, language)):
        if candidate.profile.room >= len(students) and _take(candidate, len(students)):
            return {key: candidate.profile.user_id for key, _ in students}
    # Nobody can take the whole family: one student at a time, each by the same rules.
    for key, school in students:
        chosen[key] = None
        for candidate in sorted(pool, key=lambda c: _rank(c, {school}, language)):
            if candidate.profile.room >= 1 and _take(candidate, 1):
                chosen[key] = candidate.profile.user_id
                break
    return chosen


def caseload_release(counts: dict[int, int]) -> None:
    """Give back places on counselors' caseloads (user id -> number of students settled or
    moved away). Never below zero."""
    for user_id, n in sorted(counts.items()):
        if user_id is None or n <= 0:
            continue
        CounselorProfile.objects.filter(user_id=user_id).update(
            open_caseload=Greatest(F("open_caseload") - n, Value(0))
        )
