"""What each app contributes to the portal: navigation entries and home-page queues.

The portal is kernel and cannot import the apps; each app registers its entries in its
``AppConfig.ready()`` (DESIGN §1: the higher layer fills the lower layer's extension point).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise


@dataclass(frozen=True)
class NavItem:
    """A sidebar entry. A user sees it when they hold one of ``roles`` (none: everyone)
    and may open the page: ``permission`` is the one its view requires, ``allowed`` the
    rule of a page that decides by more than a permission (both optional)."""

    key: str
    label: str | Promise
    url_name: str
    roles: tuple[str, ...] = ()  # empty: every signed-in user
    section: str | Promise = ""
    order: int = 100
    permission: str = ""
    allowed: Callable[[Any], bool] | None = None

    def url(self) -> str:
        try:
            return reverse(self.url_name)
        except NoReverseMatch:
            return "#"

    def opens_for(self, user: Any) -> bool:
        """Whether ``user`` may open the page this entry leads to."""
        if self.permission and not user.has_perm(self.permission):
            return False
        return self.allowed is None or self.allowed(user)


@dataclass(frozen=True)
class Queue:
    """A work queue on a role's home page: a title, a count and where to work it."""

    key: str
    title: str | Promise
    roles: tuple[str, ...]
    url_name: str
    count: Callable[[Any], int]
    # Counts of items already late (red on the home page); optional.
    late_count: Callable[[Any], int] | None = None
    description: str | Promise = ""
    order: int = 100
    url_kwargs: dict[str, Any] = field(default_factory=dict)

    def url(self) -> str:
        try:
            return reverse(self.url_name, kwargs=self.url_kwargs or None)
        except NoReverseMatch:
            return "#"


_NAV: dict[str, NavItem] = {}
_QUEUES: dict[str, Queue] = {}


def register_nav(item: NavItem) -> None:
    _NAV[item.key] = item


def register_queue(queue: Queue) -> None:
    _QUEUES[queue.key] = queue


def nav_for(role_codes: list[str], *, is_staff: bool = False, user: Any = None) -> list[NavItem]:
    """The entries for these roles (and, given ``user``, only those they may open), each
    section's entries together: sections come in the order of their first entry, so a
    section several apps add to (the warehouse, after-sales) shows once."""
    held = set(role_codes)

    def offered(item: NavItem) -> bool:
        for_role = not item.roles or bool(held.intersection(item.roles))
        return for_role or (is_staff and "manager" in item.roles)

    items = [
        item for item in _NAV.values() if offered(item) and (user is None or item.opens_for(user))
    ]
    items.sort(key=lambda i: (i.order, str(i.label)))
    # Sections are compared by their words in the active language, so two apps' lazy
    # labels for one section are one section.
    rank: dict[str, int] = {}
    for position, item in enumerate(items):
        rank.setdefault(str(item.section), position)
    return sorted(items, key=lambda i: rank[str(i.section)])


def queues_for_role(role: str) -> list[Queue]:
    return sorted((q for q in _QUEUES.values() if role in q.roles), key=lambda q: q.order)


def queue(key: str) -> Queue | None:
    return _QUEUES.get(key)
