"""Parent-portal state: one-time codes, the choice of guardian on a shared address, personal
links, portal sessions, rate-limit counters, message preferences and a family's preparedness plan.

Codes, choice tokens, link tokens and session keys are stored only as keyed hashes (see lib.py);
phone numbers and email addresses are never copied here (an identifier is kept as a hash, to count
attempts).
"""

from django.db import models
from django.db.models import Q

from contacts.models import ContactPoint, Person


class OneTimeCode(models.Model):
    """A 6-digit code sent to a phone or email: to sign in, or to verify a new contact point.

    A sign-in code for an address that is not on file is stored too, with no person, so the
    answer and the attempt counting are the same whether or not the address is known. A sign-in
    row starts without a code: the worker that sends it makes it (services.signin_code_send).
    """

    class Purpose(models.TextChoices):
        SIGN_IN = "sign_in", "Sign in"
        VERIFY = "verify", "Verify a contact point"

    purpose = models.CharField(max_length=8, choices=Purpose.choices)
    # Hash of the random challenge kept in the browser's session (sign-in only).
    challenge_hash = models.CharField(max_length=64, blank=True, db_index=True)
    identifier_hash = models.CharField(max_length=64, blank=True)
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    contact_point = models.ForeignKey(
        ContactPoint, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["contact_point", "purpose"])]

    def __str__(self) -> str:
        return f"{self.purpose} code {self.pk}"


class SignInChoice(models.Model):
    """A right sign-in code for an address that several guardians share: which of them signs in
    is chosen next. The browser keeps a random token in its server-side Django session; the row
    keeps its hash, the guardians the address belonged to when the code was checked, a short
    expiry and when it was used (once)."""

    code = models.OneToOneField(OneTimeCode, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    candidates = models.ManyToManyField(Person, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"sign-in choice {self.pk} for code {self.code_id}"


class PortalLink(models.Model):
    """A personal sign-in link (from a campaign message). Single use, expiring."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    issued_by = models.CharField(max_length=120)

    def __str__(self) -> str:
        return f"portal link {self.pk} for person {self.person_id}"


class PortalSession(models.Model):
    """A signed-in guardian. The browser holds the key; the row holds its hash, so signing out
    everywhere is one update."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="portal_sessions")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["person", "revoked_at"])]

    def __str__(self) -> str:
        return f"portal session {self.pk} of person {self.person_id}"


class RateCounter(models.Model):
    """Requests counted per key (a hash of a phone/email or an IP address) per fixed window."""

    key = models.CharField(max_length=64)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window_start"], name="ratecounter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.key[:8]}… {self.window_start:%H:%M} = {self.count}"


class MessagePreference(models.Model):
    """Which channels a guardian wants for non-emergency messages. Emergency messages ignore it."""

    person = models.OneToOneField(
        Person, on_delete=models.CASCADE, related_name="portal_preference"
    )
    sms = models.BooleanField(default=True)
    email = models.BooleanField(default=True)
    voice = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"message preference of person {self.person_id}"

    def channels(self) -> list[str]:
        return [c for c in ("sms", "email", "voice") if getattr(self, c)]


class PreparednessPlan(models.Model):
    """Who should care for the children if the guardians cannot, and whether a signed caregiver's
    authorization affidavit is on file. It records nothing about why a guardian may be absent."""

    guardian = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="portal_plan")
    standby_caregiver = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    affidavit_on_file = models.BooleanField(default=False)
    affidavit_signed_on = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(affidavit_on_file=True) | Q(affidavit_signed_on__isnull=True),
                name="plan_signed_on_only_with_affidavit",
            )
        ]

    def __str__(self) -> str:
        return f"preparedness plan of person {self.guardian_id}"
