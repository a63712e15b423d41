"""A synthetic school district, written as the files a district would give Reunify.

`generate_district(out_dir, students=N, seed=S)` writes:

- ``oneroster/``: a OneRoster 1.1 CSV bulk export (manifest.csv, orgs.csv, users.csv,
  enrollments.csv; the other OneRoster files are declared absent in the manifest). Bulk files
  leave ``status`` and ``dateLastModified`` empty, as the 1.1 CSV binding asks.
- ``contacts.csv``: the pickup and custody data OneRoster has no place for, one row per
  student–adult relation (the format read by ``manage.py import_contacts``).
- ``invalid_numbers.json``: a few numbers that are well formed but "not in service", for the
  seeder to mark invalid as a carrier would.

Everything comes from one ``random.Random(seed)``: the same seed gives the same bytes. Rows are
written family by family and nothing but a few counters is kept, so 100,000 students fit in a
few megabytes of memory.

The district has what the readiness report and the crisis flows need to show: families of one to
four children with siblings in different schools; two-guardian families with grandparents, aunts,
uncles and neighbours as extra pickup adults (contacts.csv only, priority 3 and after);
split-custody families where one parent, listed in the SIS as a guardian, is *prohibited* from
pickup (no emergency priority); single-guardian families with no other adult at all (the
children who would have nobody); household landlines that cannot take SMS (OneRoster ``phone``);
guardians with no mobile; a relative abroad (Mexico, Vietnam, Jordan) for a few families; and
guardians who prefer es, ar, vi or en, with the students' home language to match. On average
there are about 1.75 SIS adults (role parent, guardian or relative) per student. The first five
families are always one of each of these cases, whatever the seed, so even a small district shows
them all.

Ids: a student's ``sourcedId`` and ``identifier`` are the same SIS number ("S0000123"); an
adult's are "G0000123"; schools are "ORG0001" with the school code ("LIN") as identifier. An
adult that is not in the SIS has an empty ``adult_sis_id`` in contacts.csv and is matched by name
within the student's contacts.

Phone numbers. US numbers are taken first from the fictional block 555-0100..555-0199 (NANPA
reserves it for fiction) under each of the 359 geographic US area codes below, all of which
``phonenumbers`` accepts as valid: 35,900 numbers, enough for a district of about 15,000
students. A larger district needs more unique numbers than that block holds, so numbers after
those continue with 555-0200..555-9999 (skipping 555-1212, directory assistance) under the same
area codes. Those 555 lines are valid for ``phonenumbers`` and are not assigned to subscribers in
practice, but unlike 01XX they are not formally reserved for fiction: a large synthetic district
must never be pointed at a real SMS provider. International numbers use real national formats
with random digits. No number is shared between two households, and every adult's mobile is
their own.

The generator never produces immigration status, citizenship, country of birth, visa, passport
or social security data: the district does not collect them.
"""

from __future__ import annotations

import csv
import json
import random
import unicodedata
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import Any


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(","))


def _header(text: str) -> tuple[str, ...]:
    return tuple(text.split(","))


DEFAULT_DISTRICT_NAME = "Riverside Unified School District"
SCHOOL_YEAR = ("2025-08-18", "2026-06-05")
INVALID_REASON = "carrier: number not in service"

MANIFEST_FILES = (
    ("academicSessions", "absent"),
    ("categories", "absent"),
    ("classes", "absent"),
    ("classResources", "absent"),
    ("courses", "absent"),
    ("courseResources", "absent"),
    ("demographics", "absent"),
    ("enrollments", "bulk"),
    ("lineItems", "absent"),
    ("orgs", "bulk"),
    ("resources", "absent"),
    ("results", "absent"),
    ("users", "bulk"),
)
ORGS_HEADER = _header("sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId")
USERS_HEADER = _header(
    "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password,metadata.language"
)
ENROLLMENTS_HEADER = _header(
    "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate"
)
CONTACTS_HEADER = _header(
    "student_sis_id,adult_sis_id,first_name,last_name,relationship,legal_guardian,lives_with,emergency_priority,pickup_status,language,mobile_phone,home_phone,work_phone,email,receives_notifications"
)


# Geographic US area codes that phonenumbers (region US) accepts with 555-01XX; toll-free,
# premium and non-geographic (5XX personal communications) codes are left out.
US_AREA_CODES = tuple(
    int(code)
    for code in _words(
        """
    201 202 203 205 206 207 208 209 210 212 213 214 215 216 217 218 219 220 223 224 225 227 228
    229 231 234 235 239 240 248 251 252 253 254 256 260 262 267 269 270 272 274 276 279 281 283
    301 302 303 304 305 307 308 309 310 312 313 314 315 316 317 318 319 320 321 323 324 325 326
    327 329 330 331 332 334 336 337 339 341 346 347 350 351 352 353 360 361 363 364 369 380 385
    386 401 402 404 405 406 407 408 409 410 412 413 414 415 417 419 423 424 425 430 432 434 435
    440 442 443 445 447 448 458 463 464 469 470 472 475 478 479 480 484 501 502 503 504 505 507
    508 509 510 512 513 515 516 517 518 520 530 531 534 539 540 541 551 557 559 561 562 563 564
    567 570 571 572 573 574 575 580 582 585 586 601 602 603 605 606 607 608 609 610 612 614 615
    616 617 618 619 620 623 626 628 629 630 631 636 640 641 645 646 650 651 656 657 659 660 661
    662 667 669 678 680 681 682 686 689 701 702 703 704 706 707 708 712 713 714 715 716 717 718
    719 720 724 725 726 727 728 730 731 732 734 737 738 740 743 747 748 754 757 760 762 763 765
    769 770 771 772 773 774 775 779 781 785 786 801 802 803 804 805 806 808 810 812 813 814 815
    816 817 818 820 821 826 828 830 831 832 835 838 839 840 843 845 847 848 850 854 856 857 858
    859 860 862 863 864 865 870 872 878 901 903 904 906 907 908 909 910 912 913 914 915 916 917
    918 919 920 925 928 929 930 931 934 936 937 938 940 941 943 945 947 948 949 951 952 954 956
    959 970 971 972 973 975 978 979 980 983 984 985 986 989
    """
    )
)
# The district's own area codes come first, so a small district looks local.
LOCAL_AREA_CODES = (312, 773, 872, 708, 630)

GRADES = ("KG", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12")
LEVELS = {
    "elementary": (GRADES[0:6], "Elementary", 500),
    "middle": (GRADES[6:9], "Middle School", 650),
    "high": (GRADES[9:13], "High School", 800),
}
SCHOOL_STEMS = {
    "elementary": _names(
        """
        Lincoln, Jefferson, Roosevelt, Garfield, Rosa Parks, Dolores Huerta, Oak Grove,
        Maple, Cedar, Willow Creek, Lakeview, Hillcrest, Sunnyside, Parkview, Meadowbrook,
        Pine Ridge, Fairview, Brookside, Greenfield, Harriet Tubman, Sally Ride,
        Roberto Clemente, Maya Angelou, Prairie, Bayview, Crestwood, Juniper, Magnolia,
        Sycamore, Aspen
        """
    ),
    "middle": _names(
        """
        Washington, Cesar Chavez, Frederick Douglass, Eleanor Roosevelt, Thurgood Marshall,
        Amelia Earhart, Jackie Robinson, Sojourner Truth, Valley View, Northgate, Westwood,
        Highland, Summit, Harbor, Ridgeview
        """
    ),
    "high": _names(
        """
        Riverside, Central, Kennedy, Martin Luther King Jr., Mountain View, Eastside,
        Lakeshore, Heritage, Pioneer, Clearwater, Franklin, Madison, Monroe, Hamilton,
        Truman
        """
    ),
}
# When a level has more schools than stems, the stems come round again with these prefixes.
ROUND_PREFIXES = ("", "North", "South", "East", "West", "New", "Upper", "Lower")

NAMES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "female": _words(
            """
            Emily Sarah Jessica Ashley Jennifer Amanda Megan Lauren Keisha Tamika Aaliyah
            Brianna Hannah Olivia Grace Chloe Rachel Danielle Nicole Latoya Priya Mei Aisha
            Claire
            """
        ),
        "male": _words(
            """
            Michael David James Robert Christopher Daniel Matthew Andrew Jamal Darnell Malik
            Tyrone Ethan Noah Liam Mason Brandon Kevin Marcus Raj Wei Samuel Owen Isaiah
            """
        ),
        "family": _words(
            """
            Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas
            Moore Jackson White Harris Martin Thompson Robinson Walker Young King Wright
            Scott Green Baker Adams Nelson Carter Mitchell O'Brien Kowalski Patel Chen Kim
            Washington Okafor
            """
        ),
    },
    "es": {
        "female": _words(
            """
            María Guadalupe Rosa Ana Carmen Lucía Sofía Valentina Isabella Camila Ximena
            Daniela Fernanda Mariana Gabriela Alejandra Verónica Leticia Yesenia Paola
            """
        ),
        "male": _words(
            """
            José Juan Luis Carlos Jorge Miguel Francisco Alejandro Santiago Mateo Diego
            Emiliano Javier Ricardo Fernando Eduardo Héctor Raúl Iván Andrés
            """
        ),
        "family": _words(
            """
            García Hernández Martínez López González Rodríguez Pérez Sánchez Ramírez Flores
            Torres Rivera Gómez Díaz Cruz Morales Reyes Gutiérrez Ortiz Chávez Ramos Vargas
            Castillo Mendoza Ruiz Álvarez Jiménez Herrera Medina Aguilar
            """
        ),
    },
    "ar": {
        "female": _words(
            """
            Fatima Aisha Mariam Noor Layla Yasmin Huda Rana Salma Zainab Amira Hana Lina
            Reem Dina Samira
            """
        ),
        "male": _words(
            """
            Mohammed Ahmed Ali Omar Youssef Khalid Hassan Ibrahim Mustafa Karim Tariq Sami
            Bilal Hamza Adam Rami
            """
        ),
        "family": _words(
            """
            Haddad Khoury Nasser Saleh Hussein Abdallah Mansour Awad Hamdan Farah Aziz Qasim
            Darwish Barakat Suleiman Al-Masri Yousef Jaber Khalil Rahman
            """
        ),
    },
    "vi": {
        "female": _words(
            """
            Linh Hương Mai Lan Ngọc Thảo Trang Hoa Vy Anh Thu Nhung Quỳnh Hạnh
            """
        ),
        "male": _words(
            """
            Minh Tuấn Hùng Dũng Nam Khoa Long Quang Bảo Huy Phúc Thành Đức Việt
            """
        ),
        "family": _words(
            """
            Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý
            """
        ),
    },
}

# Family language mix (also the students' home language).
LANGUAGE_WEIGHTS = (("en", 0.56), ("es", 0.28), ("ar", 0.07), ("vi", 0.09))
# Enrolled children per family.
CHILDREN_WEIGHTS = ((1, 0.55), (2, 0.30), (3, 0.11), (4, 0.04))
FAMILY_KINDS = (
    ("two_parent", 0.50),
    ("single_supported", 0.22),
    ("split_custody", 0.07),
    ("single_alone", 0.05),
    ("grandparents", 0.05),
    ("foster", 0.02),
    ("multigenerational", 0.09),
)
# Every seed starts with one family of each case, so that even a small district shows them:
# (kind, language, children, levels of the children, relative abroad, an invalid number).
SHOWCASE = (
    ("two_parent", "es", 3, ("elementary", "middle", "high"), True, False),
    ("split_custody", "en", 2, ("elementary", "middle"), False, False),
    ("single_alone", "ar", 1, ("elementary",), False, False),
    ("two_parent", "vi", 2, ("middle", "high"), True, True),
    ("single_supported", "en", 1, ("high",), False, False),
)
ABROAD = {
    "es": ("aunt_uncle", lambda r: f"+52 55 {r.randint(1000, 9999)} {r.randint(0, 9999):04d}"),
    "vi": ("aunt_uncle", lambda r: f"+84 91 {r.randint(0, 999):03d} {r.randint(0, 9999):04d}"),
    "ar": ("aunt_uncle", lambda r: f"+962 79 {r.randint(100, 999)} {r.randint(0, 9999):04d}"),
}
EMAIL_DOMAINS = ("example.org", "example.com", "example.net")

PRIORITY_GUARDIAN_HOME = 0
PRIORITY_GUARDIAN_AWAY = 1
PRIORITY_RELATIVE = 2
PRIORITY_EXTRA = 3
PRIORITY_ABROAD = 4


def _cumulative(weights: tuple[tuple[Any, float], ...]) -> tuple[tuple[Any, ...], list[float]]:
    values = tuple(v for v, _ in weights)
    return values, list(accumulate(w for _, w in weights))


@dataclass(frozen=True)
class SchoolInfo:
    sourced_id: str
    code: str
    name: str
    level: str
    grades: tuple[str, ...]


@dataclass
class DistrictFiles:
    """Where the files are, and what is in them."""

    root: Path
    oneroster_dir: Path
    contacts_csv: Path
    invalid_numbers_json: Path
    schools: list[SchoolInfo]
    students: int = 0
    families: int = 0
    sis_adults: int = 0
    other_adults: int = 0
    enrollments: int = 0
    contact_rows: int = 0
    # (person SIS id, E.164 number) pairs that a carrier reports as not in service.
    invalid_numbers: list[tuple[str, str]] = field(default_factory=list)
    family_kinds: dict[str, int] = field(default_factory=dict)

    @property
    def oneroster_rows(self) -> int:
        """Data rows in orgs.csv + users.csv + enrollments.csv."""
        return 1 + len(self.schools) + self.students + self.sis_adults + self.enrollments


@dataclass
class _Phone:
    text: str  # as written in the file
    e164: str


@dataclass
class _Adult:
    first: str
    last: str
    middle: str
    language: str
    relationship: str
    sis_id: str = ""  # empty: not in the SIS, contacts.csv only
    role: str = ""  # OneRoster role: parent, guardian, relative
    legal_guardian: bool = False
    lives_with: bool = False
    pickup: str = "allowed"
    rank: int | None = PRIORITY_EXTRA  # priority group; None: never an emergency contact
    notifications: bool = False
    mobile: _Phone | None = None
    home: _Phone | None = None
    work: _Phone | None = None
    email: str = ""


@dataclass
class _Family:
    kind: str
    language: str  # the home language, also the students' metadata.language
    surname: str  # the children's family name
    adults: list[_Adult]
    children: int
    levels: tuple[str, ...] | None  # the showcase families' school levels, one per child


class _PhoneBook:
    """Hands out unique US numbers: the fictional 555-01XX block first (see module docstring)."""

    def __init__(self, rng: random.Random) -> None:
        others = [c for c in US_AREA_CODES if c not in LOCAL_AREA_CODES]
        rng.shuffle(others)
        self.areas = [c for c in LOCAL_AREA_CODES if c in US_AREA_CODES] + others
        self.overflow_lines = [n for n in range(200, 10000) if n != 1212]
        self.next = 0
        self.rng = rng

    def take(self) -> _Phone:
        i = self.next
        self.next += 1
        fictional = len(self.areas) * 100
        if i < fictional:
            area = self.areas[i // 100]
            # 37 is coprime with 100: neighbours in a family do not get neighbouring numbers.
            line = 100 + (i % 100) * 37 % 100
        else:
            j = i - fictional
            per_area = len(self.overflow_lines)
            if j >= per_area * len(self.areas):
                raise ValueError("the synthetic phone book is exhausted")
            area = self.areas[j // per_area]
            line = self.overflow_lines[j % per_area]
        digits = f"{area}555{line:04d}"
        return _Phone(self._written(digits), "+1" + digits)

    def _written(self, digits: str) -> str:
        # SIS exports hold numbers as people typed them.
        a, b, c = digits[:3], digits[3:6], digits[6:]
        style = self.rng.random()
        if style < 0.45:
            return f"({a}) {b}-{c}"
        if style < 0.80:
            return f"{a}-{b}-{c}"
        if style < 0.90:
            return f"{a}.{b}.{c}"
        if style < 0.95:
            return f"+1 {a} {b} {c}"
        return digits


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.replace("Đ", "D").replace("đ", "d"))
    return "".join(ch for ch in decomposed if ch.isascii() and (ch.isalnum() or ch in "-"))


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


class _District:
    def __init__(self, files: DistrictFiles, seed: int, students: int, district_name: str):
        self.files = files
        self.rng = random.Random(seed)
        self.phones = _PhoneBook(self.rng)
        self.target = students
        self.district_name = district_name
        self.languages = _cumulative(LANGUAGE_WEIGHTS)
        self.children = _cumulative(CHILDREN_WEIGHTS)
        self.kinds = _cumulative(FAMILY_KINDS)
        self.by_level: dict[str, list[SchoolInfo]] = {}
        self.next_student = 0
        self.next_adult = 0
        self.next_email = 0

    # -- schools ------------------------------------------------------------------------------

    def plan_schools(self) -> list[SchoolInfo]:
        schools: list[SchoolInfo] = []
        used: set[str] = set()
        for level, (grades, suffix, size) in LEVELS.items():
            share = self.target * len(grades) / len(GRADES)
            count = max(1, round(share / size))
            stems = SCHOOL_STEMS[level]
            for k in range(count):
                stem = stems[k % len(stems)]
                rnd = k // len(stems)
                prefix = ROUND_PREFIXES[rnd % len(ROUND_PREFIXES)]
                name = " ".join(p for p in (prefix, stem, suffix) if p)
                if rnd >= len(ROUND_PREFIXES):
                    name += f" {rnd // len(ROUND_PREFIXES) + 1}"
                code = self._code(prefix[:1] + _ascii(stem), used)
                info = SchoolInfo(f"ORG{len(schools) + 1:04d}", code, name, level, grades)
                schools.append(info)
                self.by_level.setdefault(level, []).append(info)
        return schools

    @staticmethod
    def _code(letters: str, used: set[str]) -> str:
        letters = "".join(ch for ch in letters.upper() if ch.isalpha())
        candidates = [letters[:3]] + [letters[:2] + ch for ch in letters[3:]]
        candidates += [f"{letters[:2]}{n}" for n in range(2, 1000)]
        for code in candidates:
            if len(code) == 3 and code not in used:
                used.add(code)
                return code
        raise ValueError(f"no free school code for {letters}")

    # -- people -------------------------------------------------------------------------------

    def _pick(self, cumulative: tuple[tuple[Any, ...], list[float]]) -> Any:
        values, cum = cumulative
        return self.rng.choices(values, cum_weights=cum)[0]

    def _first(self, language: str, sex: str) -> str:
        # Children and some parents of immigrant families carry English names too.
        pool = NAMES["en"] if language != "en" and self.rng.random() < 0.15 else NAMES[language]
        return self.rng.choice(pool[sex])

    def _middle(self, language: str, sex: str) -> str:
        return self._first(language, sex) if self.rng.random() < 0.3 else ""

    def _surname(self, language: str) -> str:
        return self.rng.choice(NAMES[language]["family"])

    def _email(self, first: str, last: str) -> str:
        self.next_email += 1
        local = f"{_ascii(first)}.{_ascii(last)}{self.next_email}".lower()
        return f"{local}@{self.rng.choice(EMAIL_DOMAINS)}"

    def _adult(
        self,
        language: str,
        sex: str,
        last: str,
        relationship: str,
        *,
        role: str = "",
        p_mobile: float = 0.97,
        p_email: float = 0.85,
        p_work: float = 0.0,
        **flags: Any,
    ) -> _Adult:
        first = self._first(language, sex)
        adult = _Adult(first, last, self._middle(language, sex), language, relationship, **flags)
        if role:
            self.next_adult += 1
            adult.sis_id = f"G{self.next_adult:07d}"
            adult.role = role
        if self.rng.random() < p_mobile:
            adult.mobile = self.phones.take()
        if self.rng.random() < p_email:
            adult.email = self._email(first, last)
        if self.rng.random() < p_work:
            adult.work = self.phones.take()
        return adult

    def _partner_language(self, language: str) -> str:
        return "en" if language != "en" and self.rng.random() < 0.12 else language

    def _partner_surname(self, language: str, family_name: str) -> str:
        # Many mothers in es, ar and vi families keep their own family name.
        if language in ("es", "ar", "vi") and self.rng.random() < 0.6:
            return self._surname(language)
        return family_name if self.rng.random() < 0.8 else self._surname(language)

    def _parents(self, language: str, surname: str, *, separated: bool) -> list[_Adult]:
        r = self.rng.random()
        if r < 0.9:
            sexes, relationships = ("female", "male"), ("mother", "father")
        elif r < 0.95:
            sexes, relationships = ("female", "female"), ("parent", "parent")
        else:
            sexes, relationships = ("male", "male"), ("parent", "parent")
        first = self._adult(
            language,
            sexes[0],
            self._partner_surname(language, surname),
            relationships[0],
            role="parent",
            legal_guardian=True,
            lives_with=True,
            rank=PRIORITY_GUARDIAN_HOME,
            notifications=True,
            p_work=0.15,
        )
        second = self._adult(
            self._partner_language(language),
            sexes[1],
            surname,
            relationships[1],
            role="parent",
            legal_guardian=True,
            lives_with=not separated,
            rank=PRIORITY_GUARDIAN_AWAY if separated else PRIORITY_GUARDIAN_HOME,
            notifications=True,
            p_work=0.15,
        )
        return [first, second]

    def _relatives(self, language: str, surname: str, count: int, in_sis: bool) -> list[_Adult]:
        out = []
        for _ in range(count):
            sex = self.rng.choice(("female", "male"))
            relationship = self.rng.choice(
                ("grandparent", "grandparent", "aunt_uncle", "sibling", "relative")
            )
            last = surname if self.rng.random() < 0.6 else self._surname(language)
            pickup = "allowed" if self.rng.random() < 0.9 else "not_allowed"
            old = relationship == "grandparent"
            out.append(
                self._adult(
                    language,
                    sex,
                    last,
                    relationship,
                    role="relative" if in_sis else "",
                    pickup=pickup,
                    rank=PRIORITY_RELATIVE if in_sis else PRIORITY_EXTRA,
                    p_mobile=0.75 if old else 0.95,
                    p_email=0.3 if old else 0.6,
                )
            )
            if old and self.rng.random() < 0.5:
                out[-1].home = self.phones.take()
        return out

    def _neighbours(self, language: str, count: int) -> list[_Adult]:
        out = []
        for _ in range(count):
            neighbour_language = language if self.rng.random() < 0.7 else "en"
            r = self.rng.random()
            pickup = "allowed" if r < 0.7 else ("pending_review" if r < 0.85 else "not_allowed")
            out.append(
                self._adult(
                    neighbour_language,
                    self.rng.choice(("female", "male")),
                    self._surname(neighbour_language),
                    self.rng.choice(("neighbor", "friend", "friend", "caregiver")),
                    pickup=pickup,
                    rank=PRIORITY_EXTRA if self.rng.random() < 0.85 else None,
                    p_email=0.4,
                )
            )
        return out

    def _abroad(self, language: str, surname: str) -> _Adult | None:
        if language not in ABROAD:
            return None
        relationship, number = ABROAD[language]
        adult = self._adult(
            language,
            self.rng.choice(("female", "male")),
            surname,
            relationship,
            pickup="not_allowed",
            rank=PRIORITY_ABROAD,
            p_mobile=0.0,
            p_email=0.5,
        )
        text = number(self.rng)
        adult.mobile = _Phone(text, "+" + "".join(ch for ch in text if ch.isdigit()))
        return adult

    def _household_landline(self, adults: list[_Adult], p: float) -> None:
        if self.rng.random() >= p:
            return
        home = self.phones.take()
        for adult in adults:
            if adult.lives_with:
                adult.home = home

    # -- families -----------------------------------------------------------------------------

    def family(self, showcase: tuple | None) -> _Family:
        rng = self.rng
        if showcase:
            kind, language, n_children, levels, abroad, invalid = showcase
        else:
            kind = self._pick(self.kinds)
            language = self._pick(self.languages)
            n_children = self._pick(self.children)
            levels, abroad, invalid = None, rng.random() < 0.02, rng.random() < 0.01
        surname = self._surname(language)
        adults: list[_Adult] = []

        if kind == "two_parent":
            adults += self._parents(language, surname, separated=rng.random() < 0.12)
            self._household_landline(adults, 0.25)
            adults += self._relatives(language, surname, rng.choice((0, 1, 1, 2)), True)
            adults += self._neighbours(language, rng.choice((0, 0, 1, 1, 2)))
        elif kind == "single_supported":
            sex = "female" if rng.random() < 0.8 else "male"
            adults.append(
                self._adult(
                    language,
                    sex,
                    surname,
                    "mother" if sex == "female" else "father",
                    role="parent",
                    legal_guardian=True,
                    lives_with=True,
                    rank=PRIORITY_GUARDIAN_HOME,
                    notifications=True,
                    p_work=0.2,
                )
            )
            self._household_landline(adults, 0.2)
            adults += self._relatives(language, surname, rng.choice((1, 1, 2)), True)
            adults += self._neighbours(language, rng.choice((0, 1, 1, 2)))
        elif kind == "split_custody":
            parents = self._parents(language, surname, separated=True)
            # One parent, still listed in the SIS as a guardian, is under a court order.
            barred = parents[rng.randrange(2)]
            barred.lives_with = False
            barred.pickup = "prohibited"
            barred.rank = None
            barred.notifications = False
            custodial = parents[0] if barred is parents[1] else parents[1]
            custodial.lives_with = True
            custodial.rank = PRIORITY_GUARDIAN_HOME
            self._household_landline([custodial], 0.3)
            adults += parents
            if rng.random() < 0.6:
                step = self._adult(
                    language,
                    "male" if custodial.relationship == "mother" else "female",
                    self._surname(language),
                    "stepparent",
                    role="guardian",
                    lives_with=True,
                    rank=PRIORITY_GUARDIAN_HOME,
                    notifications=True,
                )
                step.home = custodial.home
                adults.append(step)
            adults += self._relatives(language, surname, rng.choice((1, 1, 2)), True)
            adults += self._neighbours(language, rng.choice((0, 1)))
        elif kind == "single_alone":
            # Nobody else: the children who would have nobody if this parent were taken.
            sex = "female" if rng.random() < 0.75 else "male"
            adults.append(
                self._adult(
                    language,
                    sex,
                    surname,
                    "mother" if sex == "female" else "father",
                    role="parent",
                    legal_guardian=True,
                    lives_with=True,
                    rank=PRIORITY_GUARDIAN_HOME,
                    notifications=True,
                )
            )
            abroad = False
        elif kind == "grandparents":
            for sex in ("female", "male") if rng.random() < 0.7 else ("female",):
                adults.append(
                    self._adult(
                        language,
                        sex,
                        surname,
                        "grandparent",
                        role="guardian",
                        legal_guardian=True,
                        lives_with=True,
                        rank=PRIORITY_GUARDIAN_HOME,
                        notifications=True,
                        p_mobile=0.7,
                        p_email=0.4,
                    )
                )
            self._household_landline(adults, 0.7)
            adults += self._relatives(language, surname, 1, True)
            adults += self._neighbours(language, rng.choice((0, 1)))
        elif kind == "foster":
            foster_surname = self._surname(language if rng.random() < 0.5 else "en")
            for sex in ("female", "male") if rng.random() < 0.6 else ("female",):
                adults.append(
                    self._adult(
                        "en",
                        sex,
                        foster_surname,
                        "foster",
                        role="guardian",
                        lives_with=True,
                        rank=PRIORITY_GUARDIAN_HOME,
                        notifications=True,
                    )
                )
            self._household_landline(adults, 0.3)
            adults += self._neighbours("en", 1)
            adults[-1].relationship = "caregiver"
            abroad = False
        else:  # multigenerational: parents and grandparents under one roof
            adults += self._parents(language, surname, separated=False)
            grandparents = self._relatives(language, surname, 2, True)
            for gp in grandparents:
                gp.relationship = "grandparent"
                gp.lives_with = True
            adults += grandparents
            self._household_landline(adults, 0.4)
            adults += self._neighbours(language, rng.choice((0, 1)))

        if abroad:
            relative = self._abroad(language, surname)
            if relative:
                adults.append(relative)
        if invalid:
            candidates = [a for a in adults if a.sis_id and a.mobile and a.rank is not None]
            if candidates:
                victim = candidates[rng.randrange(len(candidates))]
                self.files.invalid_numbers.append((victim.sis_id, victim.mobile.e164))
        # Names must tell adults apart within a student's contacts (that is how an adult who is
        # not in the SIS is matched).
        seen: set[tuple[str, str]] = set()
        for adult in adults:
            while (adult.first, adult.last) in seen:
                adult.first = self._first(adult.language, rng.choice(("female", "male")))
            seen.add((adult.first, adult.last))
        self.files.family_kinds[kind] = self.files.family_kinds.get(kind, 0) + 1
        # Children carry the father's family name when there is a father, else the family's.
        father = next((a for a in adults if a.relationship == "father" and a.role), None)
        child_surname = father.last if father else surname
        return _Family(kind, language, child_surname, adults, n_children, levels)

    def grades_for(self, n: int, levels: tuple[str, ...] | None) -> list[str]:
        if levels:
            return [self.rng.choice(LEVELS[level][0]) for level in levels[:n]]
        idx = [self.rng.randrange(len(GRADES))]
        for _ in range(n - 1):
            gap = self.rng.randint(1, 4)
            below, above = min(idx) - gap, max(idx) + gap
            if below >= 0 and (above >= len(GRADES) or self.rng.random() < 0.6):
                idx.append(below)
            elif above < len(GRADES):
                idx.append(above)
            else:
                idx.append(self.rng.randrange(len(GRADES)))
        return [GRADES[i] for i in idx]

    def school_for(self, grade: str, siblings: list[SchoolInfo]) -> SchoolInfo:
        level = next(name for name, (grades, _, _) in LEVELS.items() if grade in grades)
        same_level = [s for s in siblings if s.level == level]
        if same_level and self.rng.random() < 0.85:
            return same_level[0]
        return self.rng.choice(self.by_level[level])


def generate_district(
    out_dir: str | Path,
    *,
    students: int,
    seed: int = 1,
    district_name: str = DEFAULT_DISTRICT_NAME,
    contacts: bool = True,
) -> DistrictFiles:
    """Write a synthetic district of `students` students into `out_dir` (created if needed).

    Same `seed`, same bytes. With `contacts=False` the contacts CSV is not written (the OneRoster
    files are the same either way); the benchmark uses that.
    """
    if students < 1:
        raise ValueError("a district needs at least one student")
    root = Path(out_dir)
    oneroster = root / "oneroster"
    oneroster.mkdir(parents=True, exist_ok=True)
    files = DistrictFiles(
        root=root,
        oneroster_dir=oneroster,
        contacts_csv=root / "contacts.csv",
        invalid_numbers_json=root / "invalid_numbers.json",
        schools=[],
    )
    district = _District(files, seed, students, district_name)
    files.schools = district.plan_schools()

    with (oneroster / "manifest.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(("propertyName", "value"))
        w.writerow(("manifest.version", "1.0"))
        w.writerow(("oneroster.version", "1.1"))
        for name, mode in MANIFEST_FILES:
            w.writerow((f"file.{name}", mode))
        w.writerow(("source.systemName", "Reunify synthetic district"))
        w.writerow(("source.systemCode", f"seed-{seed}"))

    district_id = "ORG0000"
    with (oneroster / "orgs.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(ORGS_HEADER)
        w.writerow((district_id, "", "", district_name, "district", "DISTRICT", ""))
        for s in files.schools:
            w.writerow((s.sourced_id, "", "", s.name, "school", s.code, district_id))

    contacts_path = files.contacts_csv if contacts else None
    with (
        (oneroster / "users.csv").open("w", newline="", encoding="utf-8") as users_fh,
        (oneroster / "enrollments.csv").open("w", newline="", encoding="utf-8") as enroll_fh,
        _open_or_null(contacts_path) as contacts_fh,
    ):
        users = csv.writer(users_fh)
        enrollments = csv.writer(enroll_fh)
        contact_rows = csv.writer(contacts_fh)
        users.writerow(USERS_HEADER)
        enrollments.writerow(ENROLLMENTS_HEADER)
        contact_rows.writerow(CONTACTS_HEADER)
        showcase = iter(SHOWCASE)
        begin, end = SCHOOL_YEAR
        while files.students < students:
            family = district.family(next(showcase, None))
            adults, language, surname = family.adults, family.language, family.surname
            n_children = min(family.children, students - files.students)
            files.families += 1
            kids: list[tuple[str, str, str, SchoolInfo, str]] = []
            siblings: list[SchoolInfo] = []
            for grade in district.grades_for(n_children, family.levels):
                school = district.school_for(grade, siblings)
                siblings.append(school)
                district.next_student += 1
                sis = f"S{district.next_student:07d}"
                sex = district.rng.choice(("female", "male"))
                first = district._first(language, sex)
                kids.append((sis, first, district._middle(language, sex), school, grade))
            n_children = len(kids)
            sis_adults = [a for a in adults if a.sis_id]
            agent_ids = ",".join(a.sis_id for a in sis_adults)
            school_ids = ",".join(dict.fromkeys(k[3].sourced_id for k in kids))
            # Guardians first, then their children: a reader may resolve links in one pass.
            for a in sis_adults:
                users.writerow(
                    (
                        a.sis_id,
                        "",
                        "",
                        "true",
                        school_ids,
                        a.role,
                        a.email or a.sis_id.lower(),
                        "",
                        a.first,
                        a.last,
                        a.middle,
                        a.sis_id,
                        a.email,
                        a.mobile.text if a.mobile else "",
                        a.home.text if a.home else "",
                        ",".join(k[0] for k in kids),
                        "",
                        "",
                        a.language,
                    )
                )
            for sis, first, middle, school, grade in kids:
                users.writerow(
                    (
                        sis,
                        "",
                        "",
                        "true",
                        school.sourced_id,
                        "student",
                        sis.lower(),
                        f"{{SIS:{sis}}}",
                        first,
                        surname,
                        middle,
                        sis,
                        "",
                        "",
                        "",
                        agent_ids,
                        grade,
                        "",
                        language,
                    )
                )
                enrollments.writerow(
                    (
                        "E" + sis[1:],
                        "",
                        "",
                        f"HR-{school.code}-{grade}",
                        school.sourced_id,
                        sis,
                        "student",
                        "false",
                        begin,
                        end,
                    )
                )
            # Pickup and custody: one row per child and adult, priorities 1..n in rank order.
            ranked = sorted((a for a in adults if a.rank is not None), key=lambda a: a.rank or 0)
            priority = {id(a): n for n, a in enumerate(ranked, start=1)}
            for sis, *_ in kids:
                for a in adults:
                    contact_rows.writerow(
                        (
                            sis,
                            a.sis_id,
                            a.first,
                            a.last,
                            a.relationship,
                            _yes(a.legal_guardian),
                            _yes(a.lives_with),
                            priority.get(id(a), ""),
                            a.pickup,
                            a.language,
                            a.mobile.text if a.mobile else "",
                            a.home.text if a.home else "",
                            a.work.text if a.work else "",
                            a.email,
                            _yes(a.notifications),
                        )
                    )
            files.students += n_children
            files.enrollments += n_children
            files.sis_adults += len(sis_adults)
            files.other_adults += len(adults) - len(sis_adults)
            files.contact_rows += n_children * len(adults)

    files.invalid_numbers_json.write_text(
        json.dumps(
            [
                {"person_sis_id": sis, "phone": phone, "reason": INVALID_REASON}
                for sis, phone in files.invalid_numbers
            ],
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    return files


class _NullWriter:
    def write(self, _text: str) -> int:
        return 0

    def __enter__(self) -> _NullWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _open_or_null(path: Path | None):
    return path.open("w", newline="", encoding="utf-8") if path else _NullWriter()


def read_invalid_numbers(path: str | Path) -> list[tuple[str, str]]:
    """The (person SIS id, E.164 number) pairs written by `generate_district`."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return [(item["person_sis_id"], item["phone"]) for item in data]
