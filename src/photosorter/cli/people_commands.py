"""`people`: list people and unnamed clusters, name them, fix mistakes, forget.

Ids: a face is a plain number (``42``, or ``f42``); a cluster is ``c`` + number
(``c12``); a person is ``p`` + number (``p3``) or their name. ``people --json``
prints these ids, so its output can be fed back to the other subcommands.
"""

from __future__ import annotations

import argparse

from photosorter.cli.common import EXIT_USAGE, counted, echo, fail, print_json
from photosorter.core import faces
from photosorter.core.errors import PhotosorterError
from photosorter.core.library import Library


def register(commands: argparse._SubParsersAction) -> None:
    people = commands.add_parser("people", help="people and unnamed face clusters; name, merge, split")
    people.add_argument("--json", action="store_true")
    people.add_argument("--hidden", action="store_true", help="list hidden people too")
    people.add_argument("--faces", type=int, metavar="N", help="show at most N faces per entry")
    people.set_defaults(handler=run_list)
    _subcommands(people)


def _subcommands(people: argparse.ArgumentParser) -> None:
    sub = people.add_subparsers(dest="people_command", metavar="SUBCOMMAND", parser_class=type(people))

    def add(name: str, handler, help_: str, *args: tuple[str, str]) -> argparse.ArgumentParser:
        parser = sub.add_parser(name, help=help_)
        for arg, arg_help in args:
            parser.add_argument(arg, help=arg_help)
        parser.set_defaults(handler=handler)
        return parser

    add(
        "name",
        run_name,
        "name a face (42) or a cluster (c12)",
        ("target", "face id or cluster id"),
        ("name", ""),
    )
    add("rename", run_rename, "rename a person", ("person", "p3 or name"), ("name", "new name"))
    add(
        "merge",
        run_merge,
        "merge person A into B (A goes)",
        ("a", "person to merge away"),
        ("b", "person kept"),
    )
    add("remove", run_remove, "take a face away from its person", ("face", "face id"))
    add("move", run_move, "give a face to another person", ("face", "face id"), ("person", "p3 or name"))
    add("hide", run_hide, "hide a person from the people list", ("person", "p3 or name"))
    add("unhide", run_unhide, "show a hidden person again", ("person", "p3 or name"))
    add("undo", run_undo, "undo the last name/rename/merge/remove/move/hide/accept")
    forget = add("forget", run_forget, "forget a person (or --all face data), here and in Rekognition")
    forget.add_argument("person", nargs="?", help="p3 or name")
    forget.add_argument("--all", action="store_true", help="forget all face data (here and in Rekognition)")
    suggestions = add("suggestions", run_suggestions, "open 'is this X?' questions")
    suggestions.add_argument("--json", action="store_true")
    add("accept", run_accept, "accept the suggestion for a face", ("face", "face id"))
    add("reject", run_reject, "reject the suggestion for a face (never asked again)", ("face", "face id"))
    add("cluster", run_cluster, "cluster faces analyzed since the last run").add_argument(
        "--full", action="store_true", help="start over (keeps everything named by hand)"
    )


def _face_id(text: str) -> int:
    body = text[1:] if text[:1] in "fF" else text
    if not body.isdigit():
        raise faces_error(f"{text!r} is not a face id (use a number such as 42)")
    return int(body)


def faces_error(message: str) -> Exception:
    return PhotosorterError(message)


def run_list(args: argparse.Namespace) -> int:
    with Library.open(args.home) as library:
        entries = faces.overview(library.catalog, include_hidden=args.hidden, faces_per_entry=args.faces)
    if args.json:
        print_json([entry.to_json() for entry in entries])
        return 0
    for entry in entries:
        label = entry.name or "(unnamed)"
        faces_text = counted(entry.face_count, "face")
        echo(f"{entry.ref:>7}  {label}  {faces_text}, {counted(entry.photo_count, 'photo')}")
    return 0


def run_name(args: argparse.Namespace) -> int:
    with Library.open(args.home) as library:
        target = args.target.strip()
        if target[:1] in "cC" and target[1:].isdigit():
            result = faces.name_cluster(
                library.catalog, int(target[1:]), args.name, services=library.face_services()
            )
        else:
            result = faces.name_face(
                library.catalog, _face_id(target), args.name, services=library.face_services()
            )
        library.share_people()
    echo(
        f"p{result.person_id} {args.name}: {result.named} faces named, {result.auto_assigned} more found,"
        f" {result.suggested} suggested"
    )
    return 0


def run_rename(args: argparse.Namespace) -> int:
    with Library.open(args.home) as library:
        person = faces.rename(library.catalog, args.person, args.name)
        library.share_people()
    echo(f"p{person.id} is now {person.name}")
    return 0


def run_merge(args: argparse.Namespace) -> int:
    with Library.open(args.home) as library:
        person = faces.merge(library.catalog, args.a, args.b, services=library.face_services())
        library.share_people()
    echo(f"merged into p{person.id} {person.name}")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    with Library.open(args.home) as library:
        faces.remove_face(library.catalog, _face_id(args.face), services=library.face_services())
        library.share_people()
    echo(f"face {args.face} removed from its person")
    return 0


def run_move(args: argparse.Namespace) -> int:
    with Library.open(args.home) as library:
        person = faces.move_face(
            library.catalog, _face_id(args.face), args.person, services=library.face_services()
        )
        library.share_people()
    echo(f"face {args.face} is now p{person.id} {person.name}")
    return 0


def run_hide(args: argparse.Namespace, hidden: bool = True) -> int:
    with Library.open(args.home) as library:
        person = faces.set_hidden(library.catalog, args.person, hidden)
    echo(f"p{person.id} {person.name} {'hidden' if hidden else 'shown'}")
    return 0


def run_unhide(args: argparse.Namespace) -> int:
    return run_hide(args, hidden=False)


def run_undo(args: argparse.Namespace) -> int:
    with Library.open(args.home) as library:
        echo(f"undone: {faces.undo(library.catalog, services=library.face_services())}")
        library.share_people()
    return 0


def run_forget(args: argparse.Namespace) -> int:
    if args.all == bool(args.person):
        return fail("give either a PERSON or --all", EXIT_USAGE)
    with Library.open(args.home) as library:
        if args.all:
            echo(faces.forget_all(library.catalog, services=library.face_services()).describe())
        else:
            count = faces.forget(library.catalog, args.person, services=library.face_services())
            echo(f"forgotten: {args.person} ({count} faces)")
        library.share_people()
    return 0


def run_suggestions(args: argparse.Namespace) -> int:
    with Library.open(args.home) as library:
        items = faces.suggestions(library.catalog)
    if args.json:
        print_json([item.to_json() for item in items])
        return 0
    for item in items:
        echo(f"face {item.face.id}: {item.name}? ({item.score:.2f})  {item.face.path}")
    return 0


def run_accept(args: argparse.Namespace) -> int:
    with Library.open(args.home) as library:
        person_id = faces.accept(library.catalog, _face_id(args.face), services=library.face_services())
        library.share_people()
    echo(f"face {args.face} is p{person_id}")
    return 0


def run_reject(args: argparse.Namespace) -> int:
    with Library.open(args.home) as library:
        faces.reject(library.catalog, _face_id(args.face))
    echo(f"suggestion for face {args.face} rejected")
    return 0


def run_cluster(args: argparse.Namespace) -> int:
    with Library.open(args.home) as library:
        run = faces.recluster if args.full else faces.cluster_new_faces
        report = run(library.catalog, library.face_services())
    print_json(report.to_dict())
    return 0
