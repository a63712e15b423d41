"""`manage.py seed_reunify_demo`: what a drill needs on top of `seed_demo`'s district.

Several counselors per school who speak different languages, a counselor profile for the demo
"counselor" login, an email for the demo lead (a drill's messages go to the opener), and a few
support resources. Run after seed_demo (`make demo` does); a second run changes nothing."""

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from contacts.management.commands.seed_demo import DEFAULT_PASSWORD
from contacts.models import School
from privacy.roles import Role
from reunify.models import CounselorProfile, SupportResource

LANGUAGE_SETS = (["en", "es"], ["en"], ["vi", "en"], ["ar", "en"])
PER_SCHOOL = 3
RESOURCES = (
    (
        SupportResource.Category.LEGAL_AID,
        "Family Legal Aid Line",
        "Free, confidential legal advice for families.",
        "Asesoría legal gratuita y confidencial para familias.",
        "استشارة قانونية مجانية وسرية للعائلات.",
        "Tư vấn pháp lý miễn phí và bảo mật cho gia đình.",
    ),
    (
        SupportResource.Category.COUNSELLING,
        "Youth Counselling Center",
        "Counselling for children and caregivers, same week.",
        "Consejería para niños y cuidadores, en la misma semana.",
        "إرشاد نفسي للأطفال ومقدمي الرعاية خلال الأسبوع نفسه.",
        "Tư vấn cho trẻ em và người chăm sóc trong cùng tuần.",
    ),
    (
        SupportResource.Category.FOOD_HOUSING,
        "Community Food Pantry",
        "Free groceries, no questions asked.",
        "Alimentos gratuitos, sin preguntas.",
        "مواد غذائية مجانية دون أي أسئلة.",
        "Thực phẩm miễn phí, không hỏi han.",
    ),
    (
        SupportResource.Category.COMMUNITY,
        "Neighborhood Family Center",
        "Help with school, childcare and benefits.",
        "Ayuda con la escuela, el cuidado infantil y los beneficios.",
        "مساعدة في المدرسة ورعاية الأطفال والمعونات.",
        "Hỗ trợ về trường học, giữ trẻ và phúc lợi.",
    ),
)


class Command(BaseCommand):
    help = "Counselors per school, support resources and the demo lead's email, for drills."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEFAULT_PASSWORD, help="for the demo logins")

    @transaction.atomic
    def handle(self, *args, password: str, **options):
        User = get_user_model()
        group, _ = Group.objects.get_or_create(name=Role.COUNSELOR)
        encoded = None
        made = 0
        schools = list(School.objects.order_by("code"))
        for index, school in enumerate(schools):
            for n in range(PER_SCHOOL):
                username = f"counselor.{school.code.lower()}.{n + 1}"
                user, created = User.objects.get_or_create(
                    username=username,
                    defaults={"first_name": "Counselor", "last_name": f"{school.code} {n + 1}"},
                )
                if created:
                    encoded = encoded or make_password(password)
                    user.password = encoded
                    user.save(update_fields=["password"])
                    made += 1
                user.groups.add(group)
                languages = LANGUAGE_SETS[(index + n) % len(LANGUAGE_SETS)]
                profile, _ = CounselorProfile.objects.get_or_create(
                    user=user, defaults={"languages": languages}
                )
                profile.schools.add(school)
        demo = User.objects.filter(username="counselor").first()
        if demo is not None and schools:
            profile, _ = CounselorProfile.objects.get_or_create(
                user=demo, defaults={"languages": ["en", "es"]}
            )
            profile.schools.add(schools[0])
        lead = User.objects.filter(username="lead", email="").first()
        if lead is not None:
            lead.email = "lead@localhost"
            lead.save(update_fields=["email"])
        for category, name, en, es, ar, vi in RESOURCES:
            SupportResource.objects.get_or_create(
                name=name,
                defaults={
                    "category": category,
                    "text_en": en,
                    "text_es": es,
                    "text_ar": ar,
                    "text_vi": vi,
                    "phone": "+13125550199",
                },
            )
        self.stdout.write(
            f"Reunify demo: {made} counselors created ({PER_SCHOOL} per school, "
            f"password as seed_demo's), {len(RESOURCES)} support resources. "
            "Sign in as 'lead' to open a drill."
        )
