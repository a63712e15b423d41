"""htmx (static/portal/htmx.min.js) sends a few portal forms in the background and swaps part of
the page with the answer, which saves a slow phone a whole page load. It marks those requests
with an HX-Request header; the same forms keep working as plain POSTs without JavaScript."""

from django.http import HttpResponse


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def htmx_redirect(to: str) -> HttpResponse:
    """Have htmx load `to` as a whole page. A 302 would not do: the browser follows it inside the
    background request, and htmx would swap the page it leads to into a fragment."""
    response = HttpResponse()
    response["HX-Redirect"] = to
    return response
