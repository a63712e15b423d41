"""The address of the browser behind a request, for the per-address limits on sign-in.

Behind a reverse proxy or load balancer REMOTE_ADDR is the proxy's own address: every parent
would share one limit, and a campaign morning would lock them all out. With NUM_PROXIES = n
(the number of proxies in front of gunicorn that append to X-Forwarded-For), the client is the
n-th address from the right of that header: the entries further left were written by the
client and may be forged. With the default 0 the header is ignored, as it must be when nothing
in front of gunicorn sets it.
"""

from django.conf import settings


def client_ip(request) -> str:
    proxies = getattr(settings, "NUM_PROXIES", 0)
    if proxies > 0:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")
