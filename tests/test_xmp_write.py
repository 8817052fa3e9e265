"""Writing XMP sidecars: merged, never clobbered, atomic, never the photo; exiftool reads what we wrote."""

from __future__ import annotations

import hashlib
import json
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # the settings dialog test: no display needed
import shutil
import subprocess
from pathlib import Path

import pytest

from photosorter.core import search
from photosorter.core.catalog import metadata as meta
from photosorter.core.faces import naming
from photosorter.core.jobs import run_to_end
from photosorter.core.library import Library
from photosorter.core.records import FaceRegion
from photosorter.core.xmp.export import SidecarMarks, sidecar_rating, write_sidecars
from photosorter.core.xmp.parse import XmpError, parse_packet
from photosorter.core.xmp.write import LABELS, PEOPLE, RATINGS, SidecarFields, merge_sidecar
from test_xmp_read import _detect, _names, fixture, make_photo, needs_exiftool, scan, stored

EXIFTOOL = shutil.which("exiftool")


def write_all(home: Path, parts=("labels", "people", "ratings")):
    with Library.open(home) as library:
        return run_to_end(write_sidecars(library.catalog, None, parts))


def exiftool_json(path: Path) -> dict:
    assert EXIFTOOL is not None
    out = subprocess.run(
        [EXIFTOOL, "-j", "-struct", "-n", "-XMP:all", str(path)], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout)[0]


def digest(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.iterdir()
        if not p.name.endswith(".xmp")
    }


def test_merge_keeps_every_byte_we_do_not_own() -> None:
    original = fixture("lightroom.xmp")
    fields = SidecarFields(rating=2)
    merged = merge_sidecar(original, fields, [RATINGS])
    # the old rating attribute is gone, the rest of the file is as it was, our Description is added
    without_rating = original.replace(b'\n   xmp:Rating="5"', b"")
    ours_at = merged.rindex(b'  <rdf:Description rdf:about=""\n    xmlns:xmp=')
    ours_end = merged.index(b"</rdf:Description>\n", ours_at) + len(b"</rdf:Description>\n")
    assert merged[:ours_at] + merged[ours_end:] == without_rating
    assert parse_packet(merged).rating == 2
    # labels we have no values for are not touched
    assert parse_packet(merged).keywords == parse_packet(original).keywords
    # a second merge of the same fields changes nothing
    assert merge_sidecar(merged, fields, [RATINGS]) == merged


def test_merge_refuses_what_it_cannot_edit_safely() -> None:
    fields = SidecarFields(rating=2)
    with pytest.raises(XmpError, match="not well-formed"):
        merge_sidecar(b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF", fields, [RATINGS])
    with pytest.raises(XmpError, match="declares entities"):
        merge_sidecar(
            fixture("lightroom.xmp").replace(b"<x:xmpmeta", b'<!DOCTYPE x [<!ENTITY a "b">]><x:xmpmeta', 1),
            fields,
            [RATINGS],
        )


def test_favourite_without_stars_is_written_as_five() -> None:
    assert sidecar_rating(SidecarMarks(0, True)) == 5
    assert sidecar_rating(SidecarMarks(3, True)) == 3
    assert sidecar_rating(SidecarMarks(-1, False)) == -1
    assert sidecar_rating(SidecarMarks(0, False)) is None
    assert sidecar_rating(None) is None


def _library_with_people(home: Path, folder: Path, orientation: int | None) -> Path:
    photo = make_photo(folder / "people.jpg", size=(400, 300), orientation=orientation)
    scan(home, folder)
    with Library.open(home) as library:
        content = library.photo_by_path(str(photo)).hash  # type: ignore[union-attr]
        _detect(library, content, [(0.1, 0.2, 0.25, 0.3), (0.6, 0.5, 0.2, 0.15)])
        ids = [f.id for f in meta.faces_of(library.catalog, content)]
        naming.name_face(library.catalog, ids[0], "Ана Ивановна")
        naming.name_face(library.catalog, ids[1], 'Bob "The Builder" <b>')
    return photo


@needs_exiftool
@pytest.mark.parametrize("orientation", [None, 6, 8, 3])
def test_exiftool_reads_our_regions_within_a_pixel(
    home: Path, tmp_path: Path, orientation: int | None
) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    photo = _library_with_people(home, folder, orientation)
    before = digest(folder)
    report = write_all(home)
    assert report.written == 1 and report.skipped == []
    assert digest(folder) == before  # the photo's own bytes never change
    data = exiftool_json(folder / "people.jpg.xmp")
    info = data["RegionInfo"]
    assert info["AppliedToDimensions"] == {"W": 400, "H": 300, "Unit": "pixel"}
    with Library.open(home) as library:
        content = library.photo_by_path(str(photo)).hash  # type: ignore[union-attr]
        faces = {f.person_name: f.box for f in meta.faces_of(library.catalog, content)}
    turned = orientation in (6, 8)
    shown_w, shown_h = (300, 400) if turned else (400, 300)
    for region in info["RegionList"]:
        area = region["Area"]
        assert region["Type"] == "Face" and area["Unit"] == "normalized"
        # undo the rotation by turning the photo's pixels: where the region's box lands, as displayed
        from photosorter.core.xmp.geometry import stored_to_displayed

        left, top, width, height = stored_to_displayed(
            (area["X"] - area["W"] / 2, area["Y"] - area["H"] / 2, area["W"], area["H"]), orientation
        )
        expected = faces[region["Name"]]
        assert abs(left - expected[0]) * shown_w < 1 and abs(top - expected[1]) * shown_h < 1
        assert abs(width - expected[2]) * shown_w < 1 and abs(height - expected[3]) * shown_h < 1
    assert sorted(r["Name"] for r in info["RegionList"]) == ['Bob "The Builder" <b>', "Ана Ивановна"]
    microsoft = {r["PersonDisplayName"]: r["Rectangle"] for r in data["RegionInfoMP"]["Regions"]}
    assert set(microsoft) == {'Bob "The Builder" <b>', "Ана Ивановна"}


@needs_exiftool
def test_exiftool_reads_our_keywords_and_rating_and_the_other_tools_fields_survive(
    home: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    make_photo(folder / "IMG_7.jpg")
    (folder / "IMG_7.xmp").write_bytes(fixture("lightroom.xmp"))
    scan(home, folder)
    before = exiftool_json(folder / "IMG_7.xmp")
    with Library.open(home) as library:
        photo = library.photo_by_path(str(folder / "IMG_7.jpg"))
        from photosorter.core.analysis.types import AnalysisResult, Feature, Label
        from photosorter.core.catalog.analysis import store_result

        labels = (Label("Sand", 93.0), Label("Maybe a cat", 40.0))
        result = AnalysisResult("local", frozenset({Feature.LABELS}), labels=labels)
        store_result(library.catalog, photo.hash, result, {Feature.LABELS: "test"})  # type: ignore[union-attr]
    assert write_all(home).written == 1
    assert not (folder / "IMG_7.jpg.xmp").exists()  # merged into the sidecar Lightroom made
    after = exiftool_json(folder / "IMG_7.xmp")
    assert sorted(after["Subject"]) == ["Animals", "Dog", "Sand", "beach", "sunset"]
    assert "Animals|Dog" in after["HierarchicalSubject"]
    assert after["Rating"] == 5
    for key in ("Exposure2012", "ToneCurvePV2012", "Label", "DateCreated", "Description", "HasSettings"):
        assert after[key] == before[key], key
    # reading our own sidecar back: the analyzer's label stays the analyzer's, not "your keyword"
    (folder / "IMG_7.xmp").touch()
    os.utime(folder / "IMG_7.xmp", ns=(1, 1))
    scan(home, folder)
    read_back = stored(home, folder / "IMG_7.jpg")
    assert read_back is not None and "Sand" not in {k.name for k in read_back.keywords}
    with Library.open(home) as library:
        assert search.search(library.catalog, "sand")[0].why == ("label Sand 93%",)


def test_a_sidecar_changed_since_the_scan_is_left_alone(home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    make_photo(folder / "a.jpg")
    (folder / "a.jpg.xmp").write_bytes(fixture("picasa.xmp"))
    scan(home, folder)
    edited = fixture("picasa.xmp").replace(b"family", b"holiday")
    (folder / "a.jpg.xmp").write_bytes(edited)
    report = write_all(home)
    assert report.written == 0
    assert (
        report.skipped[0][1] == "its sidecar changed since the last scan: scan first, so none of it is lost"
    )
    assert (folder / "a.jpg.xmp").read_bytes() == edited
    scan(home, folder)
    assert write_all(home).written == 1
    keywords = parse_packet((folder / "a.jpg.xmp").read_bytes()).keywords
    assert keywords is not None and [k.name for k in keywords] == ["holiday"]


def test_writing_again_changes_nothing_and_the_next_scan_reads_nothing(home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    make_photo(folder / "a.jpg")
    make_photo(folder / "b.jpg")
    (folder / "b.jpg.xmp").write_bytes(fixture("digikam.jpg.xmp"))
    scan(home, folder)
    first = write_all(home)
    assert first.written == 1 and first.unchanged == 1  # a.jpg has nothing to say: no sidecar
    assert not (folder / "a.jpg.xmp").exists()
    written = (folder / "b.jpg.xmp").read_bytes()
    assert write_all(home).unchanged == 2
    assert (folder / "b.jpg.xmp").read_bytes() == written
    assert scan(home, folder).unchanged == 2
    assert not [p for p in folder.iterdir() if p.name.startswith(".tmp-")]


def test_only_the_parts_asked_for_are_written(home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    make_photo(folder / "b.jpg")
    (folder / "b.jpg.xmp").write_bytes(fixture("lightroom.xmp").replace(b'xmp:Rating="5"', b'xmp:Rating="1"'))
    scan(home, folder)
    (folder / "b.jpg.xmp").write_bytes((folder / "b.jpg.xmp").read_bytes())  # same bytes, new mtime
    scan(home, folder)
    assert write_all(home, (LABELS,)).written == 1
    text = (folder / "b.jpg.xmp").read_bytes()
    assert b'xmp:Rating="1"' in text and b"<mwg-rs:Name>Chlo\xc3\xa9</mwg-rs:Name>" in text


def test_cli_writes_a_folder_or_everything_and_says_what_it_skipped(home: Path, tmp_path: Path, cli) -> None:
    folder = tmp_path / "photos"
    (folder / "sub").mkdir(parents=True)
    make_photo(folder / "sub" / "a.jpg")
    (folder / "sub" / "a.jpg.xmp").write_bytes(fixture("picasa.xmp"))
    make_photo(folder / "b.jpg")
    (folder / "b.xmp").write_bytes(fixture("lightroom.xmp"))
    scan(home, folder)
    result = cli("--home", home, "xmp", "write", str(folder / "sub"), "--ratings")
    assert result.code == 0 and "0 sidecars written, 1 already up to date, 0 skipped" in result.out
    result = cli("--home", home, "xmp", "write", str(folder / "sub"))
    assert result.code == 0 and "1 sidecars written" in result.out
    (folder / "b.xmp").write_bytes(b"<not xml")
    scan(home, folder)
    result = cli("--home", home, "xmp", "write", "--all", "--json")
    data = json.loads(result.out)
    assert data["skipped"] == [
        {
            "path": str(folder / "b.jpg"),
            "reason": "b.xmp left as it is: XMP is not well-formed XML (unclosed token: line 1, column 0)",
        }
    ]
    assert (folder / "b.xmp").read_bytes() == b"<not xml"
    assert cli("--home", home, "xmp", "write", str(tmp_path / "elsewhere")).code == 1
    assert cli("--home", home, "xmp", "write").code == 2


def test_keep_sidecars_up_to_date_follows_naming_and_undo_only_when_on(home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    photo = make_photo(folder / "p.jpg")
    scan(home, folder)
    sidecar = folder / "p.jpg.xmp"
    with Library.open(home) as library:
        content = library.photo_by_path(str(photo)).hash  # type: ignore[union-attr]
        _detect(library, content, [(0.1, 0.2, 0.25, 0.3)])
        face = meta.faces_of(library.catalog, content)[0].id
        naming.name_face(library.catalog, face, "Dora")
        assert library.keep_sidecars_current() is None and not sidecar.exists()  # off by default
        library.save_settings(library.settings.with_changes(keep_xmp_sidecars=True))
    with Library.open(home) as library:
        assert library.settings.keep_xmp_sidecars
        report = library.keep_sidecars_current()
        assert report is not None and report.written == 1
        regions = parse_packet(sidecar.read_bytes()).regions
        assert regions is not None and [r.name for r in regions] == ["Dora"]
        assert library.keep_sidecars_current().written == 0  # type: ignore[union-attr]  # nothing changed
        naming.rename(library.catalog, "Dora", "Dorothea")
        assert library.keep_sidecars_current().written == 1  # type: ignore[union-attr]
        assert [r.name for r in parse_packet(sidecar.read_bytes()).regions or ()] == ["Dorothea"]
    # what we wrote is no change for the next scan
    assert scan(home, folder).unchanged == 1


def test_the_setting_is_off_by_default_and_the_dialog_saves_it(qtbot, home: Path) -> None:
    from photosorter.gui.facade import Facade
    from photosorter.gui.main_window import MainWindow
    from photosorter.gui.settings_dialog import SettingsDialog
    from photosorter.gui.workers import WorkerPool

    library = Library.open(home)
    library.save_settings(library.settings.with_changes(analyze_after_scan=False))
    pool = WorkerPool()
    window = MainWindow(Facade(library), pool)
    qtbot.addWidget(window)
    try:
        dialog = SettingsDialog(window.facade, window.tasks, window)
        qtbot.addWidget(dialog)
        assert dialog.keep_xmp_sidecars.text() == "Keep XMP sidecars up to date"
        assert not dialog.keep_xmp_sidecars.isChecked()
        dialog.keep_xmp_sidecars.setChecked(True)
        window.actions.apply_settings(dialog.current_settings())
        with Library.open(home) as reopened:
            assert reopened.settings.keep_xmp_sidecars
    finally:
        window.shutdown()
        library.close()


def test_a_sidecar_with_pet_regions_keeps_its_regions() -> None:
    pet = b"""<rdf:li rdf:parseType="Resource">
<mwg-rs:Type>Pet</mwg-rs:Type><mwg-rs:Name>Rex</mwg-rs:Name>
<mwg-rs:Area stArea:x="0.5" stArea:y="0.5" stArea:w="0.1" stArea:h="0.1" stArea:unit="normalized"/>
</rdf:li>
</rdf:Bag>"""
    original = fixture("picasa.xmp").replace(
        b"</rdf:Bag>\n</mwg-rs:RegionList>", pet + b"\n</mwg-rs:RegionList>"
    )
    assert parse_packet(original).other_regions
    fields = SidecarFields(rating=3, regions=(FaceRegion("Ann", 0.1, 0.1, 0.2, 0.2),), stored_size=(400, 300))
    merged = merge_sidecar(original, fields, [PEOPLE, RATINGS])
    assert b"<mwg-rs:Name>Rex</mwg-rs:Name>" in merged and b"Ann" not in merged
    assert parse_packet(merged).rating == 3


@needs_exiftool
def test_another_tools_rating_seeds_ours_and_ours_is_what_the_sidecar_gets(
    home: Path, tmp_path: Path
) -> None:
    from photosorter.core.catalog.marks import marks_of, set_favorite, set_rating

    folder = tmp_path / "photos"
    folder.mkdir()
    make_photo(folder / "IMG_7.jpg")
    (folder / "IMG_7.xmp").write_bytes(fixture("lightroom.xmp"))  # xmp:Rating="5"
    make_photo(folder / "plain.jpg")
    scan(home, folder)
    with Library.open(home) as library:
        rated = library.photo_by_path(str(folder / "IMG_7.jpg"))
        plain = library.photo_by_path(str(folder / "plain.jpg"))
        assert marks_of(library.catalog, [rated.id])[rated.id].rating == 5  # type: ignore[union-attr]
        assert marks_of(library.catalog, [plain.id]) == {}  # type: ignore[union-attr]
        set_rating(library.catalog, [rated.id], 2)  # type: ignore[union-attr]
        set_favorite(library.catalog, [plain.id], True)  # type: ignore[union-attr]
    write_all(home, ("ratings",))
    assert exiftool_json(folder / "IMG_7.xmp")["Rating"] == 2
    assert exiftool_json(folder / "plain.jpg.xmp")["Rating"] == 5  # a favourite without stars
    # a rescan of the rewritten sidecar does not take the user's rating back
    scan(home, folder)
    with Library.open(home) as library:
        assert marks_of(library.catalog, [rated.id])[rated.id].rating == 2  # type: ignore[union-attr]
        # a change of marks makes the sidecar stale, for "Keep XMP sidecars up to date"
        meta.clear_stale_sidecars(library.catalog, meta.stale_sidecar_contents(library.catalog)[0])
        set_rating(library.catalog, [rated.id], 4)  # type: ignore[union-attr]
        assert meta.stale_sidecar_contents(library.catalog)[0] == [rated.hash]  # type: ignore[union-attr]


def test_reading_sidecars_makes_none_of_them_stale(home: Path, tmp_path: Path) -> None:
    """With "Keep XMP sidecars up to date" on, a first scan seeds ratings and names faces from the sidecars
    it read: what they already say, so none is queued for writing or rewritten; a user's change still is."""
    folder = tmp_path / "photos"
    folder.mkdir()
    make_photo(folder / "a.jpg")
    (folder / "a.jpg.xmp").write_bytes(fixture("digikam.jpg.xmp"))  # rating 4, Alice and Борис
    make_photo(folder / "b.jpg")
    (folder / "b.xmp").write_bytes(fixture("lightroom.xmp"))  # rating 5
    sidecars = [folder / "a.jpg.xmp", folder / "b.xmp"]

    def as_read() -> list[tuple[bytes, int]]:
        return [(p.read_bytes(), p.stat().st_mtime_ns) for p in sidecars]

    before = as_read()
    with Library.open(home) as library:
        library.save_settings(library.settings.with_changes(keep_xmp_sidecars=True))
    scan(home, folder)
    assert as_read() == before
    with Library.open(home) as library:
        assert meta.stale_sidecar_contents(library.catalog) == ([], [])
        content = library.photo_by_path(str(folder / "a.jpg")).hash  # type: ignore[union-attr]
        # faces found later where the regions are take the regions' names: still what the sidecar says
        _detect(library, content, [(0.2, 0.2, 0.1, 0.2), (0.6, 0.4, 0.2, 0.2)])
        assert sorted(_names(library, content)) == [("local", "Alice Martin"), ("local", "Борис")]
        assert meta.stale_sidecar_contents(library.catalog) == ([], [])
    assert as_read() == before
    assert scan(home, folder).unchanged == 2
    assert as_read() == before
    with Library.open(home) as library:  # a change made here is written
        naming.rename(library.catalog, "Борис", "Boris")
        assert library.keep_sidecars_current().written == 1  # type: ignore[union-attr]
    assert [r.name for r in parse_packet(sidecars[0].read_bytes()).regions or ()] == ["Alice Martin", "Boris"]
