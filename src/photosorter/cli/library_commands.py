"""`scan`, `stats` and `show`: keeping the library in step with the disk and looking inside it."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from photosorter.cli.common import echo, print_json, run_job
from photosorter.core.catalog.paths import display
from photosorter.core.errors import EnvironmentFault, PhotosorterError
from photosorter.core.imaging import thumbnail_path
from photosorter.core.library import Library
from photosorter.core.records import Photo


def register(commands: argparse._SubParsersAction) -> None:
    scan = commands.add_parser(
        "scan", help="add folders to the library and scan them (no folder: rescan all)"
    )
    scan.add_argument("folders", nargs="*", metavar="FOLDER")
    scan.add_argument("--json", action="store_true", help="print the report as JSON")
    scan.set_defaults(handler=run_scan)

    stats = commands.add_parser("stats", help="how many photos, folders, errors and missing files")
    stats.add_argument("--json", action="store_true")
    stats.set_defaults(handler=run_stats)

    show = commands.add_parser("show", help="everything known about one photo")
    show.add_argument("path", metavar="PATH")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=run_show)


def run_scan(args: argparse.Namespace) -> int:
    with Library.open(args.home) as library:
        if args.folders:
            folders = [library.add_folder(folder) for folder in args.folders]
        else:
            folders = library.folders()
            if not folders:
                raise PhotosorterError("the library has no folders yet: run `photosorter scan FOLDER`")
        job = library.scan(folders)
        try:
            report = run_job(job, quiet=args.json)
        except KeyboardInterrupt:
            job.close()  # an interrupt between two steps: the scan still writes what it read
            print(
                "photosorter: scan interrupted; the photos read so far are saved, "
                "`photosorter scan` reads the rest",
                file=sys.stderr,
            )
            return 130
        except EnvironmentFault as fault:
            raise PhotosorterError(
                f"scan stopped: {fault}; the photos read so far are saved, scan again once this is fixed"
            ) from None
    data = report.to_dict()
    if args.json:
        print_json(data)
    else:
        echo(
            f"{data['added']} added, {data['updated']} updated, {data['moved']} moved, "
            f"{data['removed']} removed, {data['unchanged']} unchanged, {len(data['errors'])} errors "
            f"in {data['seconds']:.1f} s"
        )
        for error in data["errors"]:
            echo(f"  {error['path']}: {error['error']}")
        for warning in data["warnings"]:
            echo(f"  {warning['path']}: {warning['warning']}")
        for folder in data["offline_folders"]:
            echo(f"  {folder}: offline (not found); its photos are kept")
    return 0


def run_stats(args: argparse.Namespace) -> int:
    with Library.open(args.home) as library:
        data = library.stats()
    if args.json:
        print_json(data)
    else:
        for key, value in data.items():
            echo(f"{key:>10}: {value}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    with Library.open(args.home) as library:
        path = os.path.abspath(os.path.expanduser(args.path))
        photo = library.photo_by_path(os.path.realpath(path)) or library.photo_by_path(path)
        if photo is None:
            raise PhotosorterError(f"{args.path}: not in the library (scan its folder first)")
        data = describe_photo(library, photo)
    if args.json:
        print_json(data)
    else:
        for line in photo_lines(data):
            echo(line)
    return 0


def photo_lines(data: dict[str, Any]) -> list[str]:
    """``show``'s text output: one ``key: value`` line per field, and one line per label, face, text
    line, moderation label and analysis under its heading (not Python dicts)."""
    lines = []
    for key, value in data.items():
        if isinstance(value, list):
            items = [_item_line(key, item) for item in value]
            lines.append(f"{key:>15}: {'none' if not items else ''}".rstrip())
            lines += [f"{'':>17}{item}" for item in items]
        elif key == "gps" and value:
            lines.append(f"{key:>15}: {value['lat']:.6f}, {value['lon']:.6f}")
        else:
            lines.append(f"{key:>15}: {'—' if value is None else value}")
    return lines


def _item_line(key: str, item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    confidence = f" {item['confidence']:.0f}%" if isinstance(item.get("confidence"), int | float) else ""
    if key in ("labels", "moderation"):
        parents = f"  (in {', '.join(item['parents'])})" if item.get("parents") else ""
        return f"{item.get('name')}{confidence}{parents}"
    if key == "text":
        return f"“{item.get('text')}”{confidence}"
    if key == "faces":
        box = item.get("box") or {}
        where = (
            f" at {box['left']:.0%} {box['top']:.0%}, {box['width']:.0%} × {box['height']:.0%}"
            if {"left", "top", "width", "height"} <= box.keys()
            else ""
        )
        who = item.get("person") or (f"{item['suggested']}?" if item.get("suggested") else "unnamed")
        return f"face {item.get('id')}: {who}{confidence}{where}"
    if key == "analyses":
        error = f": {item['error']}" if item.get("error") else ""
        version = f" ({item['model_version']})" if item.get("model_version") else ""
        return f"{item.get('backend')} {item.get('feature')}: {item.get('status')}{version}{error}"
    return ", ".join(f"{name}={value}" for name, value in item.items())


def describe_photo(library: Library, photo: Photo) -> dict[str, Any]:
    thumb = thumbnail_path(library.paths.thumbnails, photo.hash) if photo.hash else None
    data: dict[str, Any] = {
        "id": photo.id,
        "path": display(photo.path),
        "hash": photo.hash,
        "size": photo.size,
        "format": photo.format,
        "width": photo.width,
        "height": photo.height,
        "taken_at": photo.taken_at,
        "taken_at_source": photo.taken_at_source,
        "camera": photo.camera,
        "gps": {"lat": photo.latitude, "lon": photo.longitude} if photo.gps else None,
        "orientation": photo.orientation,
        "state": photo.state,
        "error": photo.error,
        "warnings": photo.warnings,
        "thumbnail": str(thumb) if thumb and thumb.exists() else None,
    }
    data.update(library.analysis_of(photo))
    return data
