"""Browsing the library: what a view (all photos, a person, a category, a folder...) shows, combined
with a typed search, and the groups and counts a sidebar lists. No Qt and no SQL here."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from photosorter.core.catalog import albums as album_rows
from photosorter.core.catalog import browse as browse_rows
from photosorter.core.catalog import photos as photo_rows
from photosorter.core.catalog.database import Catalog
from photosorter.core.places import Place
from photosorter.core.search import SearchHit, Term, label_counts, search, search_ids
from photosorter.core.search.engine import category_counts
from photosorter.core.search.query import parse
from photosorter.core.timeline import Sort, Timeline, ordered

OTHER = "Other"  # the category of a label the backend gave none


class ViewKind(StrEnum):
    ALL = "all"
    PERSON = "person"
    UNNAMED = "unnamed"  # faces nobody named yet
    LABEL = "label"
    CATEGORY = "category"
    TEXT = "text"  # photos with text in them
    FOLDER = "folder"
    COUNTRY = "country"  # value: the country's code
    PLACE = "place"  # value: the place's label; ``place`` says which
    ALBUM = "album"  # value: the album's id
    SAVED = "saved"  # a saved search; value: its id


@dataclass(frozen=True, slots=True)
class ViewFilter:
    """What a sidebar entry selects: ``value`` is the person, label, category or folder path, or the id
    of an album or saved search."""

    kind: ViewKind = ViewKind.ALL
    value: str = ""
    title: str = "All Photos"
    place: Place | None = None  # a PLACE view's town


@dataclass(frozen=True, slots=True)
class LabelEntry:
    name: str
    count: int  # visible photos


@dataclass(frozen=True, slots=True)
class CategoryGroup:
    """A category of labels (``Animals and Pets``) with its photo count and its labels, most photos first."""

    name: str
    count: int
    labels: tuple[LabelEntry, ...]


def category_labels(catalog: Catalog) -> dict[str, list[LabelEntry]]:
    """Each category's labels (a label without one is in ``Other``), in ``label_counts`` order."""
    groups: dict[str, list[LabelEntry]] = {}
    for entry in label_counts(catalog):
        for category in entry.categories or (OTHER,):
            groups.setdefault(category, []).append(LabelEntry(entry.name, entry.count))
    return groups


def category_groups(catalog: Catalog) -> tuple[CategoryGroup, ...]:
    """The sidebar's Scenes & Things, by category name."""
    totals = dict(category_counts(catalog))
    return tuple(
        CategoryGroup(
            name,
            totals.get(name, sum(label.count for label in labels)),
            tuple(sorted(labels, key=lambda label: (-label.count, label.name))),
        )
        for name, labels in sorted(category_labels(catalog).items())
    )


def text_count(catalog: Catalog) -> int:
    return browse_rows.count_photos_with_text(catalog)


def view_terms(catalog: Catalog, view: ViewFilter) -> tuple[Term, ...] | None:
    """The search terms a view adds to a query; None when the view can match nothing (an empty category).
    A folder or an album adds none: it is a list of photos, applied by ``photo_ids``. A saved search adds
    its query's terms, read now: it follows the library as it changes."""
    if view.kind == ViewKind.PERSON:
        return (Term("person", (view.value,), phrase=True, raw=f'person:"{view.value}"'),)
    if view.kind == ViewKind.UNNAMED:
        return (Term("is", ("unnamed",), raw="is:unnamed"),)
    if view.kind == ViewKind.LABEL:
        return (Term("label", (view.value,), phrase=True, raw=f'label:"{view.value}"'),)
    if view.kind == ViewKind.CATEGORY:
        names = tuple(label.name for label in category_labels(catalog).get(view.value, []))
        if not names:
            return None
        raw = "label:" + "|".join(f'"{name}"' for name in names)
        return (Term("label", names, phrase=True, raw=raw),)
    if view.kind == ViewKind.TEXT:
        return (Term("has", ("text",), raw="has:text"),)
    if view.kind == ViewKind.COUNTRY:
        return (Term("country", (view.value,), phrase=True, raw=f"country:{view.value}"),)
    if view.kind == ViewKind.PLACE and view.place is not None:
        return place_terms(view.place)
    if view.kind == ViewKind.SAVED:
        saved = album_rows.saved_search_by_id(catalog, int(view.value))
        return None if saved is None else parse(saved.query).terms
    return ()


def place_terms(place: Place) -> tuple[Term, ...]:
    """A town as search terms: its country by code, and its name and region (Paris, Texas is not Paris)."""
    terms = [Term("country", (place.country_code,), phrase=True, raw=f"country:{place.country_code}")]
    terms += [
        Term("place", (name,), phrase=True, raw=f'place:"{name}"')
        for name in (place.city, place.region)
        if name
    ]
    return tuple(terms)


def photo_ids(catalog: Catalog, view: ViewFilter, query: str = "") -> list[int]:
    """The ids a view shows, narrowed by a typed search: best first during a search, else newest first.
    Raises SearchError with a message for the search bar."""
    query = query.strip()
    terms = view_terms(catalog, view)
    if terms is None:
        return []
    if view.kind in (ViewKind.FOLDER, ViewKind.ALBUM):
        listed = (
            browse_rows.folder_photo_ids(catalog, view.value)
            if view.kind == ViewKind.FOLDER
            else album_rows.album_photo_ids(catalog, int(view.value))
        )
        if not query:
            return listed  # an album in its own order: by date, or as the user arranged it
        wanted = set(listed)
        return [photo_id for photo_id in search_ids(catalog, query) if photo_id in wanted]
    if not query and not terms:
        return photo_rows.visible_photo_ids(catalog)
    return search_ids(catalog, query, extra=terms)


def timeline(catalog: Catalog, view: ViewFilter, query: str = "", sort: Sort | None = None) -> Timeline:
    """What the gallery shows: the ids of ``photo_ids`` in the user's order, with their day groups when it
    is by date (search results too: they are ordered and grouped like the library, not by score)."""
    sort = sort or Sort()
    if view.kind == ViewKind.ALL and not query.strip():
        return ordered(catalog, sort)
    if view.kind == ViewKind.ALBUM and not query.strip():
        album = album_rows.album_by_id(catalog, int(view.value))
        if album is not None and album.order == album_rows.AlbumOrder.MANUAL:
            # as the user arranged it: the album's order is the point, so no sort and no day groups
            return Timeline(album_rows.album_photo_ids(catalog, album.id), (), sort)
    return ordered(catalog, sort, photo_ids(catalog, view, query))


def best_hits(catalog: Catalog, view: ViewFilter, query: str, limit: int) -> list[SearchHit]:
    """The best ``limit`` hits of a search within a view, each saying why it matched."""
    terms = view_terms(catalog, view)
    return [] if terms is None else search(catalog, query, limit=limit, extra=terms)


def save_search(catalog: Catalog, name: str, query: str) -> album_rows.SavedSearch:
    """Keeps a query under a name, after checking it parses (a SearchError says what is wrong)."""
    parse(query)
    return album_rows.save_search(catalog, name, query)
