"""`favorite`, `rate` and `album`: marking and collecting photos from the command line.

Every path is checked before anything is written: a typo in the fifth of ten paths changes nothing.
"""

from __future__ import annotations

import argparse

from photosorter.cli.common import echo, print_json
from photosorter.cli.library_commands import photo_at
from photosorter.core.catalog import albums as album_rows
from photosorter.core.catalog.albums import Album, AlbumError
from photosorter.core.catalog.marks import MAX_RATING, marks_of, set_favorite, set_rating
from photosorter.core.catalog.paths import display
from photosorter.core.catalog.photos import photos_by_ids
from photosorter.core.library import Library
from photosorter.core.records import Photo


def register(commands: argparse._SubParsersAction) -> None:
    favorite = commands.add_parser("favorite", help="mark photos as favourites (--off: unmark them)")
    favorite.add_argument("paths", nargs="+", metavar="PATH")
    favorite.add_argument("--off", action="store_true", help="take the favourite mark away")
    favorite.add_argument("--json", action="store_true")
    favorite.set_defaults(handler=run_favorite)

    rate = commands.add_parser("rate", help=f"give photos 1 to {MAX_RATING} stars (0 clears the rating)")
    rate.add_argument("stars", type=int, choices=range(MAX_RATING + 1), metavar="N")
    rate.add_argument("paths", nargs="+", metavar="PATH")
    rate.add_argument("--json", action="store_true")
    rate.set_defaults(handler=run_rate)

    album = commands.add_parser("album", help="albums: list, create, add, remove, show, rename, delete")
    verbs = album.add_subparsers(dest="verb", metavar="VERB", required=True, parser_class=type(album))

    def verb(name: str, help_text: str, *args: tuple[str, dict]) -> None:
        sub = verbs.add_parser(name, help=help_text)
        for arg, options in args:
            sub.add_argument(arg, **options)
        sub.add_argument("--json", action="store_true")
        sub.set_defaults(handler=ALBUM_VERBS[name])

    name = ("name", {"metavar": "NAME"})
    paths = ("paths", {"nargs": "+", "metavar": "PATH"})
    verb("list", "every album with its photo count")
    verb("create", "a new, empty album", name)
    verb("add", "add photos to an album (at its end)", name, paths)
    verb("remove", "take photos out of an album (they stay in the library)", name, paths)
    verb("show", "an album's photos, in its order", name)
    verb("rename", "give an album another name", name, ("new_name", {"metavar": "NEW_NAME"}))
    verb("delete", "delete an album (never its photos)", name)


def _photos(library: Library, paths: list[str]) -> list[Photo]:
    return list({photo.id: photo for photo in (photo_at(library, path) for path in paths)}.values())


def _marked(library: Library, photos: list[Photo]) -> list[dict]:
    marks = marks_of(library.catalog, [p.id for p in photos])
    return [
        {
            "path": display(p.path),
            "favorite": bool(p.id in marks and marks[p.id].favorite),
            "rating": marks[p.id].rating if p.id in marks else 0,
        }
        for p in photos
    ]


def _report(args: argparse.Namespace, rows: list[dict]) -> int:
    if args.json:
        print_json(rows)
        return 0
    for row in rows:
        heart = "♥" if row["favorite"] else " "
        stars = "★" * row["rating"] + "☆" * (MAX_RATING - row["rating"])
        echo(f"{heart} {stars}  {row['path']}")
    return 0


def run_favorite(args: argparse.Namespace) -> int:
    with Library.open(args.home) as library:
        photos = _photos(library, args.paths)
        set_favorite(library.catalog, [p.id for p in photos], not args.off)
        rows = _marked(library, photos)
    return _report(args, rows)


def run_rate(args: argparse.Namespace) -> int:
    with Library.open(args.home) as library:
        photos = _photos(library, args.paths)
        set_rating(library.catalog, [p.id for p in photos], args.stars)
        rows = _marked(library, photos)
    return _report(args, rows)


# -- albums --------------------------------------------------------------------------------------------------
def _album(library: Library, name: str) -> Album:
    found = album_rows.album_by_name(library.catalog, name)
    if found is None:
        known = ", ".join(a.name for a in album_rows.albums(library.catalog)[:10]) or "none yet"
        raise AlbumError(f"no album called {name!r} (albums: {known}; photosorter album create NAME)")
    return found


def _album_json(album: Album) -> dict:
    return {
        "name": album.name,
        "count": album.count,
        "order": album.order.value,
        "created_at": album.created_at,
    }


def run_album_list(args: argparse.Namespace) -> int:
    with Library.open(args.home) as library:
        found = album_rows.albums(library.catalog)
    if args.json:
        print_json([_album_json(a) for a in found])
        return 0
    for album in found:
        echo(f"{album.count:7d}  {album.name}")
    if not found:
        echo("no albums yet: photosorter album create NAME")
    return 0


def run_album_create(args: argparse.Namespace) -> int:
    with Library.open(args.home) as library:
        album = album_rows.create_album(library.catalog, args.name)
    if args.json:
        print_json(_album_json(album))
    else:
        echo(f"created album {album.name}")
    return 0


def _change_members(args: argparse.Namespace, adding: bool) -> int:
    with Library.open(args.home) as library:
        album = _album(library, args.name)
        ids = [p.id for p in _photos(library, args.paths)]
        change = album_rows.add_to_album if adding else album_rows.remove_from_album
        changed = change(library.catalog, album.id, ids)
        album = _album(library, args.name)
    if args.json:
        print_json(_album_json(album) | {"added" if adding else "removed": changed})
    elif adding:
        echo(f"added {changed} of {len(ids)} to {album.name} (now {album.count})")
    else:
        echo(f"removed {changed} of {len(ids)} from {album.name} (now {album.count})")
    return 0


def run_album_add(args: argparse.Namespace) -> int:
    return _change_members(args, adding=True)


def run_album_remove(args: argparse.Namespace) -> int:
    return _change_members(args, adding=False)


def run_album_show(args: argparse.Namespace) -> int:
    with Library.open(args.home) as library:
        album = _album(library, args.name)
        ids = album_rows.album_photo_ids(library.catalog, album.id)
        rows = photos_by_ids(library.catalog, ids)
    paths = [display(rows[i].path) for i in ids if i in rows]
    if args.json:
        print_json(_album_json(album) | {"photos": paths})
        return 0
    echo(f"{album.name}: {album.count} photo{'s' if album.count != 1 else ''}, by {album.order.value}")
    for path in paths:
        echo(f"  {path}")
    return 0


def run_album_rename(args: argparse.Namespace) -> int:
    with Library.open(args.home) as library:
        album = _album(library, args.name)
        album_rows.rename_album(library.catalog, album.id, args.new_name)
        album = _album(library, args.new_name)
    if args.json:
        print_json(_album_json(album))
    else:
        echo(f"renamed {args.name} to {album.name}")
    return 0


def run_album_delete(args: argparse.Namespace) -> int:
    with Library.open(args.home) as library:
        album = _album(library, args.name)
        album_rows.delete_album(library.catalog, album.id)
    if args.json:
        print_json(_album_json(album) | {"deleted": True})
    else:
        echo(f"deleted album {album.name}; its {album.count} photos are still in the library")
    return 0


ALBUM_VERBS = {
    "list": run_album_list,
    "create": run_album_create,
    "add": run_album_add,
    "remove": run_album_remove,
    "show": run_album_show,
    "rename": run_album_rename,
    "delete": run_album_delete,
}
