"""The sidebar's Places: each country with its photo count, and under it each town (with its region
where one is known: two Springfields are two entries)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QFont, QStandardItem

from photosorter.core.browse import ViewFilter, ViewKind
from photosorter.core.catalog.places import PlaceCount

if TYPE_CHECKING:
    from photosorter.gui.sidebar import Sidebar


def fill_places(
    sidebar: Sidebar, section: QStandardItem, counts: tuple[PlaceCount, ...], expanded: set[str]
) -> None:
    """Countries (expanded as they were: ``expanded`` names them) with their towns, most photos first."""
    if not counts:
        sidebar._note(section, "no photos with GPS yet")
        return
    countries: dict[str, list[PlaceCount]] = {}
    for entry in counts:
        countries.setdefault(entry.place.country_code, []).append(entry)
    for code, entries in sorted(countries.items(), key=lambda item: item[1][0].place.country):
        name = entries[0].place.country
        parent = sidebar._entry(
            section, name, ViewFilter(ViewKind.COUNTRY, code, name), sum(e.count for e in entries)
        )
        _plain(parent)
        towns = sorted((e for e in entries if e.place.city), key=lambda e: (-e.count, e.place.city))
        for entry in towns:
            place = entry.place
            text = place.city if not place.region else f"{place.city}, {place.region}"
            item = sidebar._entry(
                parent, text, ViewFilter(ViewKind.PLACE, place.label, place.label, place), entry.count
            )
            item.setToolTip(place.label)
            _plain(item)
        sidebar.setExpanded(parent.index(), name in expanded)


def _plain(item: QStandardItem) -> None:
    font = QFont(item.font())
    font.setBold(False)
    item.setFont(font)
