"""The manager's live overview (经营看板): the day as it runs, on the managers' home page.

The portal is kernel and cannot import the apps, so each app gives its own figures: a
module named ``overview`` in the app (``orders/overview.py``, ``warehouse/overview.py``,
...) registers them when it is imported, and the portal imports every installed app's
``overview`` module once, at start-up (``autodiscover_modules``, as the admin finds
``admin.py``). Nothing in the kernel names an app, so the dependency rule holds.

Two kinds of parts:

- a *figure* reader returns a few ``Figure`` tiles (a number, the part of it already late,
  the queue behind it) read in one aggregated query;
- a *panel* is a block with its own template (the orders-per-hour chart, the batches)
  whose reader returns the template's context, again in one aggregated query.

Each reader gets the moment the page is drawn (``now``), so the whole page is one instant.
A tile links to its queue only for a viewer who may open it (``permission``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.http import urlencode


@dataclass(frozen=True)
class Figure:
    """One number on the overview with the queue behind it."""

    key: str
    label: str | Promise
    value: int
    url_name: str = ""
    query: Mapping[str, Any] = field(default_factory=dict)
    # The part of ``value`` already late (shown in red); 0: nothing late.
    late: int = 0
    note: str | Promise = ""
    # "warn" (amber) or "bad" (red) when the number itself is the alarm.
    tone: str = ""
    # The permission the queue's page requires ("" : the page decides by role, as the
    # portal's own pages do for managers).
    permission: str = ""

    @property
    def url(self) -> str:
        return link(self.url_name, self.query)


@dataclass(frozen=True)
class FigureReader:
    key: str
    read: Callable[[datetime], list[Figure]]
    order: int = 100


@dataclass(frozen=True)
class Panel:
    """A block of the overview drawn by ``template`` from what ``read(now)`` returns."""

    key: str
    title: str | Promise
    template: str
    read: Callable[[datetime], Mapping[str, Any]]
    order: int = 100
    wide: bool = False


@dataclass
class DrawnPanel:
    panel: Panel
    context: Mapping[str, Any]


@dataclass
class Overview:
    now: datetime
    figures: list[Figure]
    panels: list[DrawnPanel]


_FIGURES: dict[str, FigureReader] = {}
_PANELS: dict[str, Panel] = {}


def register_figures(
    key: str, read: Callable[[datetime], list[Figure]], *, order: int = 100
) -> None:
    """Tiles for the overview: ``read(now)`` returns them (one aggregated query)."""
    _FIGURES[key] = FigureReader(key, read, order)


def register_panel(panel: Panel) -> None:
    _PANELS[panel.key] = panel


def unregister(key: str) -> None:
    """Forget a part (tests)."""
    _FIGURES.pop(key, None)
    _PANELS.pop(key, None)


def link(url_name: str, query: Mapping[str, Any] | None = None) -> str:
    """The address of ``url_name`` with ``query``; "" when it does not resolve."""
    if not url_name:
        return ""
    try:
        url = reverse(url_name)
    except NoReverseMatch:
        return ""
    return f"{url}?{urlencode(query)}" if query else url


def overview_read(*, user: Any, now: datetime) -> Overview:
    """Every registered part read at ``now``: a fixed number of queries, whatever the rows.

    A tile whose queue ``user`` may not open keeps its number and loses its link."""
    figures: list[Figure] = []
    for reader in sorted(_FIGURES.values(), key=lambda r: (r.order, r.key)):
        for figure in reader.read(now):
            if figure.permission and not user.has_perm(figure.permission):
                figure = replace(figure, url_name="")
            figures.append(figure)
    panels = [
        DrawnPanel(panel, panel.read(now))
        for panel in sorted(_PANELS.values(), key=lambda p: (p.order, p.key))
    ]
    return Overview(now=now, figures=figures, panels=panels)
