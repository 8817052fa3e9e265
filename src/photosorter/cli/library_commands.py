"""`scan`, `stats` and `show`: keeping the library in step with the disk and looking inside it."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from photosorter.cli.common import echo, print_json, run_job
from photosorter.core.analysis.video.timeline import TimeRange, ranges_text
from photosorter.core.backfill import place_of
from photosorter.core.catalog import metadata as meta
from photosorter.core.catalog.albums import albums_of
from photosorter.core.catalog.marks import marks_of
from photosorter.core.catalog.paths import display
from photosorter.core.errors import EnvironmentFault, PhotosorterError
from photosorter.core.imaging import thumbnail_path
from photosorter.core.library import Library
from photosorter.core.photo_analysis import AnalysisState, FaceRow, PhotoAnalysis
from photosorter.core.places import Place
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
        for skipped in data["skipped"]:
            echo(f"  {skipped['path']}: skipped, {skipped['reason']}")
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
        photo = photo_at(library, args.path)
        fields = photo_fields(library, photo)
        analysis = library.analysis_of(photo)
    if args.json:
        print_json(fields | analysis.to_json())
    else:
        for line in photo_lines(fields, analysis):
            echo(line)
    return 0


def photo_at(library: Library, path: str) -> Photo:
    """The library's photo at a path as the user typed it (relative, ``~``, or through a symlink)."""
    full = os.path.abspath(os.path.expanduser(path))
    photo = library.photo_by_path(os.path.realpath(full)) or library.photo_by_path(full)
    if photo is None:
        raise PhotosorterError(f"{path}: not in the library (scan its folder first)")
    return photo


def photo_lines(fields: dict[str, Any], analysis: PhotoAnalysis) -> list[str]:
    """``show``'s text output: one ``key: value`` line per field, and one line per label, face, text
    line, moderation label and analysis under its heading (not Python dicts)."""
    lines = []
    for key, value in fields.items():
        if isinstance(value, list):
            _section(lines, key, [str(item) for item in value])
        elif key == "place" and value:
            lines.append(f"{key:>15}: {value['label']}")
        elif key == "gps" and value:
            lines.append(f"{key:>15}: {value['lat']:.6f}, {value['lon']:.6f}")
        else:
            lines.append(f"{key:>15}: {'—' if value is None else value}")
    _section(
        lines,
        "labels",
        [_named_line(row.name, row.confidence, row.parents) + _when(row.seen_at) for row in analysis.labels],
    )
    _section(lines, "faces", [_face_line(face) + _when(face.seen_at, "; seen") for face in analysis.faces])
    _section(
        lines,
        "text",
        [f"“{row.text}”{_percent(row.confidence)}{_when(row.seen_at)}" for row in analysis.text],
    )
    _section(
        lines,
        "moderation",
        [_named_line(row.name, row.confidence, ()) + _when(row.seen_at) for row in analysis.moderation],
    )
    if analysis.celebrities:
        _section(
            lines,
            "celebrities",
            [f"name={c.name}, confidence={c.confidence}, backend={c.backend}" for c in analysis.celebrities],
        )
    if analysis.states is not None:
        _section(lines, "analyses", [_state_line(state) for state in analysis.states])
    return lines


def _section(lines: list[str], key: str, items: list[str]) -> None:
    lines.append(f"{key:>15}: {'none' if not items else ''}".rstrip())
    lines += [f"{'':>17}{item}" for item in items]


def _when(seen_at: tuple[TimeRange, ...], lead: str = " at") -> str:
    """`` at 0:12–0:31`` for a video's row, nothing for a photo's."""
    return f"{lead} {ranges_text(seen_at)}" if seen_at else ""


def _percent(confidence: float) -> str:
    return f" {confidence:.0f}%"


def _named_line(name: str, confidence: float, parents: tuple[str, ...]) -> str:
    return f"{name}{_percent(confidence)}" + (f"  (in {', '.join(parents)})" if parents else "")


def _face_line(face: FaceRow) -> str:
    box = face.box
    where = f" at {box.left:.0%} {box.top:.0%}, {box.width:.0%} × {box.height:.0%}"
    return f"face {face.id}: {face.who}{_percent(face.confidence)}{where}"


def _state_line(state: AnalysisState) -> str:
    error = f": {state.error}" if state.error else ""
    version = f" ({state.model_version})" if state.model_version else ""
    return f"{state.backend} {state.feature}: {state.status}{version}{error}"


def photo_fields(library: Library, photo: Photo) -> dict[str, Any]:
    """What the catalog knows about the file itself, as ``show`` prints it (before the analysis)."""
    thumb = thumbnail_path(library.paths.thumbnails, photo.hash) if photo.hash else None
    marks = marks_of(library.catalog, [photo.id]).get(photo.id)
    return _file_fields(library, photo, thumb, marks) | _metadata_fields(library, photo)


def _metadata_fields(library: Library, photo: Photo) -> dict[str, Any]:
    """What XMP and IPTC said (only for photos that have any): keywords with their hierarchy, rating,
    title, description, named regions, and which files said it."""
    found = meta.metadata_of(library.catalog, photo.id)
    if found is None:
        return {}
    return {
        "keywords": ["|".join((*k.parents, k.name)) for k in found.keywords],
        "xmp_rating": found.rating,  # what the files say; "rating" is the user's own
        "title": found.title,
        "description": found.description,
        "face_regions": [r.name for r in found.regions],
        "metadata_from": list(found.sources),
    }


def _file_fields(library: Library, photo: Photo, thumb, marks) -> dict[str, Any]:
    return {
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
        "place": place_fields(place_of(library.catalog, photo)),
        "orientation": photo.orientation,
        "media": photo.media.value,
        **(
            {
                "duration_s": photo.duration_s,
                "fps": photo.fps,
                "codec": photo.codec,
                "rotation": photo.rotation,
            }
            if photo.is_video
            else {}
        ),
        "state": photo.state,
        "error": photo.error,
        "warnings": photo.warnings,
        "thumbnail": str(thumb) if thumb and thumb.exists() else None,
        "favorite": bool(marks and marks.favorite),
        "rating": marks.rating if marks else 0,
        "albums": albums_of(library.catalog, [photo.id]).get(photo.id, []),
    }


def place_fields(place: Place | None) -> dict[str, str] | None:
    if place is None:
        return None
    return {
        "city": place.city,
        "region": place.region,
        "country": place.country,
        "country_code": place.country_code,
        "label": place.label,
    }
