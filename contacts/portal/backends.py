"""Staff password sign-in (the review queue's login page and the admin's) with a limit on tries."""

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from privacy.errors import DomainError

from . import conf
from .clientip import client_ip
from .ratelimit import rate_hit

THROTTLED = "_staff_login_throttled"


class ThrottledModelBackend(ModelBackend):
    """Django's ModelBackend, counting every password try per (username, client address) and per
    client address, so a password cannot be found by trying many. Counting per pair, not per
    username alone, keeps a stranger elsewhere from locking a crisis lead out during a crisis.

    Over a limit the password is not checked at all; the request is marked so the login form can
    say why (the admin's form shows its usual "incorrect" error)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is not None and username:
            ip = client_ip(request)
            try:
                limit, window = conf.staff_login_rate_per_user()
                rate_hit(
                    scope="staff-login:user",
                    value=f"{username.casefold()}|{ip}",
                    limit=limit,
                    window_seconds=window,
                    field="username",
                )
                limit, window = conf.staff_login_rate_per_ip()
                rate_hit(
                    scope="staff-login:ip",
                    value=ip,
                    limit=limit,
                    window_seconds=window,
                    field="username",
                )
            except DomainError as error:
                setattr(request, THROTTLED, True)
                raise PermissionDenied from error  # no other backend is tried either
        return super().authenticate(request, username=username, password=password, **kwargs)
