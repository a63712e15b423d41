"""factory_boy factories for reunify."""

import factory

from privacy.roles import Role
from reunify.models import CounselorProfile, SupportResource
from tests.factories import UserFactory


class CounselorProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CounselorProfile
        skip_postgeneration_save = True

    user = factory.SubFactory(
        UserFactory,
        username=factory.Sequence(lambda n: f"counselor{n}"),
        roles=[Role.COUNSELOR],
    )
    languages = factory.LazyFunction(lambda: ["en"])
    caseload_cap = 8
    on_duty = True

    @factory.post_generation
    def schools(self, create, extracted, **kwargs):
        if extracted:
            self.schools.set(extracted)


class SupportResourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupportResource

    category = SupportResource.Category.LEGAL_AID
    name = factory.Sequence(lambda n: f"Resource {n}")
    text_en = "Free legal advice for families."
    text_es = "Asesoría legal gratuita para familias."
    phone = "+13125550199"
