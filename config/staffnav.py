"""The staff navigation: a small registry of staff pages that every app adds to.

Each app registers its staff pages once, usually in its ``AppConfig.ready()``::

    from django.utils.translation import gettext_lazy as _

    from config.staffnav import register_staff_page
    from privacy.roles import Role

    class ReunifyConfig(AppConfig):
        def ready(self):
            register_staff_page(
                key="crisis_dashboard",
                label=_("Crisis dashboard"),
                url_name="reunify:dashboard",
                roles={Role.CRISIS_LEAD},
                order=10,
                start_for={Role.CRISIS_LEAD},
            )

- ``key`` names the entry; registering a key again replaces the entry (``ready()`` may run more
  than once in a test process).
- ``label`` is shown in the header: pass a lazily translated string, so it is translated into
  the signed-in staff member's language when the page is drawn, not when the app loads.
- ``url_name`` is reversed when the header is drawn (it takes no arguments), so registering
  before the URLconf is loaded is fine; a name that does not reverse is a programming error and
  raises NoReverseMatch on every staff page, which the tests see at once.
- ``roles`` are the privacy.roles.Role values that see the entry; the header shows an entry to a
  user who holds at least one of them (privacy.roles.roles_of). The entry only hides a link: the
  page itself still checks access through its selectors and access helpers.
- ``order`` sorts the entries (lowest first, then by key).
- ``start_for`` are the roles for whom this page is the start page after sign-in (the
  ``staff_home`` view redirects there). Each must also be in ``roles``. When a user's roles have
  several start pages, the one with the lowest order wins.

One key is special: ``agency_request`` ("An officer is asking for a student or records") is
drawn as a prominent link of its own above the navigation, so that any staff member finds it at
once, on every page, however long the list of pages grows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.functional import Promise

from privacy.roles import roles_of

# Drawn apart from the list, prominently, on every staff page of a role that may use it.
PROMINENT_KEYS = frozenset({"agency_request"})


@dataclass(frozen=True)
class StaffPage:
    key: str
    label: str | Promise
    url_name: str
    roles: frozenset[str]
    order: int = 100
    start_for: frozenset[str] = frozenset()

    @property
    def prominent(self) -> bool:
        return self.key in PROMINENT_KEYS


_pages: dict[str, StaffPage] = {}


def register_staff_page(
    *,
    key: str,
    label,
    url_name: str,
    roles: set[str],
    order: int = 100,
    start_for: set[str] = frozenset(),
) -> StaffPage:
    """Add (or replace) the staff page `key` in the navigation. Raises ValueError when `roles`
    is empty or `start_for` names a role that may not see the page."""
    roles, start_for = frozenset(roles), frozenset(start_for)
    if not roles:
        raise ValueError(f"staff page {key!r}: roles must name at least one role")
    if not start_for <= roles:
        extra = sorted(start_for - roles)
        raise ValueError(f"staff page {key!r}: start_for {extra} are not among its roles")
    page = StaffPage(
        key=key, label=label, url_name=url_name, roles=roles, order=order, start_for=start_for
    )
    _pages[key] = page
    return page


def unregister_staff_page(key: str) -> None:
    """Remove an entry (for tests that register pages of their own)."""
    _pages.pop(key, None)


def registered_pages() -> list[StaffPage]:
    """Every registered page, in navigation order."""
    return sorted(_pages.values(), key=lambda page: (page.order, page.key))


def pages_for_roles(roles: Iterable[str]) -> list[StaffPage]:
    held = frozenset(roles)
    return [page for page in registered_pages() if page.roles & held]


def pages_for(user) -> list[StaffPage]:
    """The pages `user` may use, in navigation order (none for a signed-out or inactive user)."""
    return pages_for_roles(roles_of(user))


def start_page_for(user) -> StaffPage | None:
    """The page `user` starts on after sign-in: the lowest-ordered page that is the start page
    of one of their roles, or None (they get the staff home page that lists their pages)."""
    held = roles_of(user)
    return next((page for page in registered_pages() if page.start_for & held), None)
