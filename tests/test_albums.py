"""Albums and saved searches: a photo in many albums, manual order kept, deleting never touches a photo,
a saved search follows the library, and the CLI over the same core."""

from __future__ import annotations

from pathlib import Path

import pytest

from photosorter.core import browse
from photosorter.core.browse import ViewFilter, ViewKind
from photosorter.core.catalog import Catalog
from photosorter.core.catalog import albums as album_rows
from photosorter.core.catalog import photos as photo_rows
from photosorter.core.catalog.albums import AlbumError, AlbumOrder
from photosorter.core.catalog.marks import set_rating
from photosorter.core.search import SearchError, completions, search_ids
from test_scanner import scan_folder
from test_search_catalog import add_photo


@pytest.fixture
def catalog(tmp_path: Path):
    catalog = Catalog(tmp_path / "catalog.db")
    folder = photo_rows.add_folder(catalog, "/lib")
    for i, taken in enumerate(["2021-01-01", "2022-01-01", "2023-01-01", "2024-01-01"], 1):
        add_photo(catalog, folder, f"/lib/p{i}.jpg", f"h{i}", taken)
    yield catalog
    catalog.close()


def _view(album) -> ViewFilter:
    return ViewFilter(ViewKind.ALBUM, str(album.id), album.name)


def test_an_album_lists_its_photos_by_date_or_in_the_order_arranged(catalog) -> None:
    album = album_rows.create_album(catalog, "  Summer   Trip ")
    assert album.name == "Summer Trip" and album.order == AlbumOrder.DATE
    assert album_rows.add_to_album(catalog, album.id, [2, 4, 1, 4]) == 3
    assert album_rows.add_to_album(catalog, album.id, [1, 3]) == 1  # 1 was in it already
    assert album_rows.album_photo_ids(catalog, album.id) == [4, 3, 2, 1]  # newest first
    album_rows.set_album_order(catalog, album.id, AlbumOrder.MANUAL)
    assert album_rows.album_photo_ids(catalog, album.id) == [2, 4, 1, 3]  # as added
    album_rows.move_in_album(catalog, album.id, [3, 1], before=2)
    assert album_rows.album_photo_ids(catalog, album.id) == [3, 1, 2, 4]
    album_rows.move_in_album(catalog, album.id, [3], before=None)
    assert browse.photo_ids(catalog, _view(album)) == [1, 2, 4, 3]
    # the gallery's timeline keeps an arranged album's order, whatever the library's sort
    arranged = browse.timeline(catalog, _view(album))
    assert arranged.ids == [1, 2, 4, 3] and arranged.groups == ()
    assert album_rows.album_by_name(catalog, "summer trip").count == 4


def test_arranging_an_album_shown_by_date_starts_from_the_date_order(catalog) -> None:
    album = album_rows.create_album(catalog, "Trip")
    album_rows.add_to_album(catalog, album.id, [1, 2, 3])
    album_rows.move_in_album(catalog, album.id, [1], before=3)
    assert album_rows.album_by_id(catalog, album.id).order == AlbumOrder.MANUAL
    assert album_rows.album_photo_ids(catalog, album.id) == [1, 3, 2]


def test_a_photo_in_many_albums_and_deleting_an_album_keeps_every_photo(catalog) -> None:
    trip = album_rows.create_album(catalog, "Trip")
    best = album_rows.create_album(catalog, "Best")
    album_rows.add_to_album(catalog, trip.id, [1, 2])
    album_rows.add_to_album(catalog, best.id, [2, 3])
    assert album_rows.albums_of(catalog, [1, 2, 3]) == {1: ["Trip"], 2: ["Best", "Trip"], 3: ["Best"]}
    assert album_rows.remove_from_album(catalog, trip.id, [2, 3]) == 1
    album_rows.delete_album(catalog, best.id)
    assert [a.name for a in album_rows.albums(catalog)] == ["Trip"]
    assert photo_rows.visible_photo_ids(catalog) == [4, 3, 2, 1]


def test_names_are_checked(catalog) -> None:
    album = album_rows.create_album(catalog, "Trip")
    with pytest.raises(AlbumError, match="already an album called 'Trip'"):
        album_rows.create_album(catalog, "TRIP")
    with pytest.raises(AlbumError, match="needs a name"):
        album_rows.create_album(catalog, "   ")
    with pytest.raises(AlbumError, match="too long"):
        album_rows.create_album(catalog, "x" * 201)
    other = album_rows.create_album(catalog, "Other")
    with pytest.raises(AlbumError, match="already"):
        album_rows.rename_album(catalog, other.id, "trip")
    album_rows.rename_album(catalog, album.id, "trip")  # its own name in other letters is fine
    assert album_rows.album_by_id(catalog, album.id).name == "trip"
    album_rows.delete_album(catalog, other.id)
    with pytest.raises(AlbumError, match="no longer exists"):
        album_rows.add_to_album(catalog, other.id, [1])


def test_a_snapshot_brings_a_deleted_album_back_with_its_order(catalog) -> None:
    album = album_rows.create_album(catalog, "Trip")
    album_rows.add_to_album(catalog, album.id, [3, 1, 2])
    album_rows.set_album_order(catalog, album.id, AlbumOrder.MANUAL)
    before = album_rows.snapshot_album(catalog, album.id)
    album_rows.delete_album(catalog, album.id)
    album_rows.restore_album(catalog, before)
    assert album_rows.album_photo_ids(catalog, album.id) == [3, 1, 2]
    assert album_rows.snapshot_album(catalog, album.id) == before


def test_album_search_key_and_a_search_inside_an_album(catalog) -> None:
    trip = album_rows.create_album(catalog, "Summer Trip")
    party = album_rows.create_album(catalog, "Party")
    album_rows.add_to_album(catalog, trip.id, [1, 2])
    album_rows.add_to_album(catalog, party.id, [3])
    assert search_ids(catalog, 'album:"summer trip"') == [2, 1]
    assert search_ids(catalog, "album:party|summer") == [3, 2, 1]
    assert search_ids(catalog, "-album:summer") == [4, 3]
    assert search_ids(catalog, "album:nothing") == []
    assert completions(catalog, "dog album:su") == ['dog album:"Summer Trip"']
    assert completions(catalog, "album:") == ["album:Party", 'album:"Summer Trip"']
    set_rating(catalog, [1], 5)
    assert browse.photo_ids(catalog, _view(trip), "rating:5") == [1]


def test_a_saved_search_stays_live_as_the_library_changes(catalog) -> None:
    saved = browse.save_search(catalog, "Five stars", "rating:5")
    view = ViewFilter(ViewKind.SAVED, str(saved.id), saved.name)
    assert browse.photo_ids(catalog, view) == []
    set_rating(catalog, [2, 3], 5)
    assert browse.photo_ids(catalog, view) == [3, 2]
    assert browse.photo_ids(catalog, view, "-p3") == [2]  # narrowed by a typed search
    album_rows.rename_saved_search(catalog, saved.id, "Best")
    assert [s.name for s in album_rows.saved_searches(catalog)] == ["Best"]
    album_rows.delete_saved_search(catalog, saved.id)
    assert browse.photo_ids(catalog, view) == []  # gone: shows nothing, not everything


def test_a_saved_search_must_parse_and_have_a_name(catalog) -> None:
    with pytest.raises(SearchError, match="unknown search key"):
        browse.save_search(catalog, "Bad", "colour:red")
    with pytest.raises(AlbumError, match="nothing to save"):
        browse.save_search(catalog, "Empty", "  ")
    browse.save_search(catalog, "Dogs", "dog")
    with pytest.raises(AlbumError, match="already a saved search"):
        browse.save_search(catalog, "dogs", "cat")


# -- the CLI -------------------------------------------------------------------------------------------------
def test_cli_favorite_rate_and_albums(cli, home: Path, photo_folder: Path) -> None:
    scan_folder(home, photo_folder)
    cat, horses = photo_folder / "cat_and_dog.jpeg", photo_folder / "tiny_60x40_horses.jpg"

    result = cli("favorite", cat, horses, "--json")
    assert result.code == 0, result.err
    assert [(Path(r["path"]).name, r["favorite"], r["rating"]) for r in result.json()] == [
        ("cat_and_dog.jpeg", True, 0),
        ("tiny_60x40_horses.jpg", True, 0),
    ]
    assert cli("favorite", "--off", horses).code == 0
    result = cli("rate", "4", cat)
    assert result.code == 0 and "♥ ★★★★☆" in result.out
    assert cli("rate", "6", cat).code == 2  # not a rating: a usage error
    assert [Path(p).name for p in _paths(cli("search", "is:favorite", "rating:>=4", "--json"))] == [
        "cat_and_dog.jpeg"
    ]

    assert cli("album", "create", "Pets", "--json").json()["name"] == "Pets"
    assert cli("album", "create", "pets").code == 1  # the name is taken
    added = cli("album", "add", "pets", cat, horses, "--json")
    assert added.json()["added"] == 2 and added.json()["count"] == 2
    assert cli("album", "remove", "Pets", horses, "--json").json()["removed"] == 1
    shown = cli("album", "show", "Pets", "--json").json()
    assert [Path(p).name for p in shown["photos"]] == ["cat_and_dog.jpeg"]
    assert cli("album", "list", "--json").json() == [
        {"name": "Pets", "count": 1, "order": "date", "created_at": shown["created_at"]}
    ]
    assert cli("show", cat, "--json").json()["albums"] == ["Pets"]
    assert cli("show", cat, "--json").json()["rating"] == 4

    missing = cli("album", "add", "Pets", cat, photo_folder / "nope.jpg")
    assert missing.code == 1 and "nope.jpg: not in the library" in missing.err
    assert cli("album", "show", "Nope").err.startswith("photosorter: no album called 'Nope'")
    assert cli("album", "rename", "Pets", "Animals").code == 0
    deleted = cli("album", "delete", "Animals")
    assert deleted.code == 0 and "still in the library" in deleted.out
    assert cat.exists() and cli("album", "list").out.startswith("no albums yet")


def _paths(result) -> list[str]:
    assert result.code == 0, result.err
    return [hit["path"] for hit in result.json()]
