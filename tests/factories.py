"""factory_boy factories for the core model."""

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from contacts.models import ContactPoint, Person, School, StaffMembership, Student, StudentContact


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"SCH{n:03d}")
    name = factory.Sequence(lambda n: f"School {n}")


class StudentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Student

    sis_id = factory.Sequence(lambda n: f"S{n:06d}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    school = factory.SubFactory(SchoolFactory)
    grade = "03"


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")


class PhoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactPoint

    person = factory.SubFactory(PersonFactory)
    kind = ContactPoint.Kind.PHONE
    value = factory.Sequence(lambda n: f"+1312555{n % 10000:04d}")
    label = ContactPoint.Label.MOBILE
    sms_capable = True


class EmailFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactPoint

    person = factory.SubFactory(PersonFactory)
    kind = ContactPoint.Kind.EMAIL
    value = factory.Sequence(lambda n: f"parent{n}@example.org")
    label = ContactPoint.Label.OTHER


class StudentContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StudentContact

    student = factory.SubFactory(StudentFactory)
    person = factory.SubFactory(PersonFactory)
    relationship = StudentContact.Relationship.MOTHER
    legal_guardian = True
    lives_with = True
    pickup_status = StudentContact.Pickup.ALLOWED


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for name in extracted or ():
            group, _ = Group.objects.get_or_create(name=name)
            self.groups.add(group)

    @factory.post_generation
    def schools(self, create, extracted, **kwargs):
        for school in extracted or ():
            StaffMembership.objects.create(user=self, school=school)
