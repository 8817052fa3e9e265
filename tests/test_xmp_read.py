"""Reading what other tools stored: XMP sidecars and embedded packets, IPTC keywords, face regions.

Fixture sidecars (tests/data/xmp, sources in SOURCES.md) are in the forms digiKam, Lightroom and
Picasa write; photos are made here. exiftool, where installed, writes sidecars we must read.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import struct
import subprocess
from pathlib import Path

import pillow_heif
import pytest
from PIL import Image, ImageOps, PngImagePlugin

from photosorter.core import search
from photosorter.core.analysis.types import AnalysisResult, Box, Face, Feature
from photosorter.core.catalog import metadata as meta
from photosorter.core.catalog import search_store
from photosorter.core.catalog.analysis import store_result
from photosorter.core.catalog.metadata import REGION_BACKEND
from photosorter.core.faces import naming
from photosorter.core.jobs import run_to_end
from photosorter.core.library import Library
from photosorter.core.records import Keyword
from photosorter.core.xmp.geometry import displayed_to_stored, stored_to_displayed
from photosorter.core.xmp.parse import MAX_PACKET_BYTES, XmpError, parse_packet
from photosorter.core.xmp.read import parse_sidecars, read_metadata

pillow_heif.register_heif_opener()
DATA = Path(__file__).parent / "data" / "xmp"
EXIFTOOL = shutil.which("exiftool")
needs_exiftool = pytest.mark.skipif(
    EXIFTOOL is None, reason="exiftool is not installed (Debian: libimage-exiftool-perl; .ci/run installs it)"
)


def _packet(descriptions: bytes) -> bytes:
    """A minimal XMP packet around ``descriptions`` (rdf:Description elements)."""
    return (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        + descriptions
        + b"</rdf:RDF></x:xmpmeta>"
    )


def fixture(name: str) -> bytes:
    return (DATA / name).read_bytes()


def make_photo(
    path: Path, size=(400, 300), orientation: int | None = None, fmt="JPEG", xmp: bytes | None = None
):
    """A photo with a distinct pixel pattern (so copies differ by content only when asked)."""
    # a colour from a stable digest of the name: str.__hash__ changes per process and made two names
    # collide (identical content, one catalog item) about one run in 200
    red, green, blue = hashlib.sha256(path.name.encode()).digest()[:3]
    image = Image.new("RGB", size, (red, green, blue))
    kwargs: dict = {}
    if orientation:
        exif = Image.Exif()
        exif[0x0112] = orientation
        kwargs["exif"] = exif.tobytes()
    if xmp is not None:
        if fmt == "PNG":
            info = PngImagePlugin.PngInfo()
            info.add_itxt("XML:com.adobe.xmp", xmp.decode("utf-8"))
            kwargs["pnginfo"] = info
        elif fmt == "TIFF":
            kwargs["tiffinfo"] = {700: xmp}
        else:
            kwargs["xmp"] = xmp
    image.save(path, fmt, **kwargs)
    return path


def scan(home: Path, folder: Path):
    with Library.open(home) as library:
        if not library.folders():
            library.add_folder(folder)
        return run_to_end(library.scan())


def stored(home: Path, path: Path) -> meta.StoredMetadata | None:
    with Library.open(home) as library:
        photo = library.photo_by_path(str(path))
        assert photo is not None
        return meta.metadata_of(library.catalog, photo.id)


def warnings_of(home: Path, path: Path) -> str:
    with Library.open(home) as library:
        photo = library.photo_by_path(str(path))
        assert photo is not None and photo.state == "ok"
        return photo.warnings or ""


# -- the packet ------------------------------------------------------------------------------------------
def test_digikam_sidecar_gives_keywords_with_hierarchy_rating_title_and_mwg_regions() -> None:
    fields = parse_packet(fixture("digikam.jpg.xmp"))
    assert fields.keywords is not None
    assert Keyword("Alice Martin", ("People",)) in fields.keywords
    assert Keyword("Paris", ("Places", "France")) in fields.keywords
    assert Keyword("Борис", ("People",)) in fields.keywords
    names = [k.name for k in fields.keywords]
    assert names.count("Paris") == 1 and "France" in names  # a flat ancestor stays a keyword of its own
    assert fields.rating == 4
    assert fields.title == "At the café"  # x-default wins over the first language
    assert fields.regions is not None
    # MWG wins over the Microsoft copy of the same faces; the centre-based area becomes top-left
    assert [(r.name, round(r.left, 6), round(r.top, 6), r.width, r.height) for r in fields.regions] == [
        ("Alice Martin", 0.2, 0.2, 0.1, 0.2),
        ("Борис", 0.6, 0.4, 0.2, 0.2),
    ]
    assert fields.regions[0].applied_to == (400, 300)
    assert fields.warnings == ()


def test_lightroom_sidecar_with_element_structs() -> None:
    fields = parse_packet(fixture("lightroom.xmp"))
    assert fields.rating == 5 and fields.description == "Evening walk"
    assert fields.keywords is not None
    assert Keyword("Dog", ("Animals",)) in fields.keywords and Keyword("beach") in fields.keywords
    assert fields.regions is not None
    (region,) = fields.regions
    assert (region.name, region.left, region.top, region.width, region.height) == (
        "Chloé",
        0.4,
        0.35,
        0.2,
        0.3,
    )


def test_microsoft_regions_alone_are_read() -> None:
    packet = fixture("digikam.jpg.xmp").replace(b"mwg-rs:Regions", b"mwg-rs:Unused")
    fields = parse_packet(packet)
    assert fields.regions is not None
    assert [(r.name, r.left, r.top, r.width, r.height, r.applied_to) for r in fields.regions] == [
        ("Alice Martin", 0.2, 0.2, 0.1, 0.2, None),
        ("Борис", 0.6, 0.4, 0.2, 0.2, None),
    ]


def test_the_microsoft_copy_of_mwg_regions_is_not_read() -> None:
    # digiKam writes each face twice; only MWG's copy is used, so a Microsoft copy nested past the limit
    # (which alone refuses the packet) neither costs the MWG regions nor the time of walking it
    deep = b"<MPRI:a><rdf:Description>" * 60 + b"x" + b"</rdf:Description></MPRI:a>" * 60
    opening = b'<MP:RegionInfo rdf:parseType="Resource">'
    packet = fixture("digikam.jpg.xmp").replace(opening, opening + deep)
    assert [r.name for r in parse_packet(packet).regions or ()] == ["Alice Martin", "Борис"]
    with pytest.raises(XmpError, match="nests deeper"):
        parse_packet(packet.replace(b"mwg-rs:Regions", b"mwg-rs:Unused"))


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>&lol3;</dc:title></rdf:Description>
</rdf:RDF></x:xmpmeta>"""
EXTERNAL = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>&e;</dc:title></rdf:Description>
</rdf:RDF></x:xmpmeta>"""


@pytest.mark.parametrize(
    ("packet", "reason"),
    [
        (BOMB, "declares entities"),
        (EXTERNAL, "declares entities"),
        (b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF", "not well-formed"),
        (b"<html><body>not xmp</body></html>", "no rdf:RDF"),
        (b"   \x00\x00", "empty"),
        (
            b"<r:RDF xmlns:r='http://www.w3.org/1999/02/22-rdf-syntax-ns#'"
            + b" xmlns:dc='http://purl.org/dc/elements/1.1/'><r:Description><dc:subject>"
            + b"<r:Description><dc:a>" * 60
            + b"x"
            + b"</dc:a></r:Description>" * 60
            + b"</dc:subject></r:Description></r:RDF>",
            "nests deeper",
        ),
    ],
)
def test_a_packet_we_cannot_read_says_why(packet: bytes, reason: str) -> None:
    with pytest.raises(XmpError, match=reason):
        parse_packet(packet)


def test_wrong_namespaces_are_said_and_ignored() -> None:
    packet = fixture("lightroom.xmp").replace(
        b'xmlns:dc="http://purl.org/dc/elements/1.1/"', b'xmlns:dc="http://purl.org/dc/elements/1.1"'
    )
    fields = parse_packet(packet)
    assert fields.keywords is not None
    assert Keyword("Dog", ("Animals",)) in fields.keywords  # lr:hierarchicalSubject is still right
    assert Keyword("beach") not in fields.keywords
    assert any("subject is in namespace 'http://purl.org/dc/elements/1.1'" in w for w in fields.warnings)


def test_names_in_any_script_are_kept_and_controls_are_dropped() -> None:
    name = "Zoë\u202e &lt;script&gt;alert(1)&lt;/script&gt;&#x9; محمد"
    packet = fixture("picasa.xmp").replace("李小龍".encode(), name.encode())
    fields = parse_packet(packet)
    assert fields.regions is not None
    assert (
        fields.regions[0].name == "Zoë <script>alert(1)</script> محمد"
    )  # stored as plain text, never markup


# -- geometry --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("orientation", range(1, 9))
def test_stored_boxes_turn_like_the_pixels_do(orientation: int) -> None:
    """A red block drawn in the stored image is where the turned box says after exif_transpose."""
    stored_box = (0.1, 0.2, 0.3, 0.25)
    image = Image.new("RGB", (200, 100), "white")
    x, y, w, h = stored_box
    image.paste((255, 0, 0), (int(x * 200), int(y * 100), int((x + w) * 200), int((y + h) * 100)))
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    image.save(buffer, "PNG", exif=exif.tobytes())
    shown = ImageOps.exif_transpose(Image.open(buffer)).convert("RGB")
    pixels = shown.load()
    reds = [
        (px, py)
        for px in range(shown.width)
        for py in range(shown.height)
        if pixels[px, py][0] > 200 and pixels[px, py][1] < 50
    ]
    left, right = min(p[0] for p in reds) / shown.width, (max(p[0] for p in reds) + 1) / shown.width
    top, bottom = min(p[1] for p in reds) / shown.height, (max(p[1] for p in reds) + 1) / shown.height
    got = stored_to_displayed(stored_box, orientation)
    assert got == pytest.approx((left, top, right - left, bottom - top), abs=0.011)
    assert displayed_to_stored(got, orientation) == pytest.approx(stored_box)


# -- at scan ---------------------------------------------------------------------------------------------
def test_full_name_sidecar_wins_field_by_field_over_short_name_then_embedded(
    home: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    photo = make_photo(folder / "IMG_1.jpg", xmp=fixture("picasa.xmp"))
    (folder / "IMG_1.xmp").write_bytes(fixture("lightroom.xmp"))
    (folder / "IMG_1.jpg.xmp").write_bytes(
        fixture("lightroom.xmp").replace(b'xmp:Rating="5"', b'xmp:Rating="2"').replace(b"Evening walk", b"")
    )
    report = scan(home, folder)
    assert report.added == 1 and report.errors == []  # the sidecars are no photos of their own
    found = stored(home, photo)
    assert found is not None
    assert found.rating == 2  # IMG_1.jpg.xmp
    assert found.description is None or found.description == "Evening walk"
    assert found.sources[0] == "IMG_1.jpg.xmp"
    assert [r.name for r in found.regions] == ["Chloé"]  # a sidecar's regions over the embedded ones


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "TIFF", "HEIF"])
def test_embedded_xmp_is_read_in_every_format(home: Path, tmp_path: Path, fmt: str) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    photo = make_photo(folder / f"photo.{fmt.lower()}", fmt=fmt, xmp=fixture("picasa.xmp"))
    scan(home, folder)
    found = stored(home, photo)
    assert found is not None and found.sources == ("embedded XMP",)
    assert [k.name for k in found.keywords] == ["family"]
    (region,) = found.regions
    assert (region.name, region.left, region.top) == ("李小龍", pytest.approx(0.05), pytest.approx(0.15))


def _with_iptc(jpeg: bytes, keywords: list[bytes]) -> bytes:
    records = b"".join(b"\x1c\x02\x19" + struct.pack(">H", len(k)) + k for k in keywords)
    if len(records) % 2:
        records += b"\x00"
    resource = b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(records)) + records
    body = b"Photoshop 3.0\x00" + resource
    return jpeg[:2] + b"\xff\xed" + struct.pack(">H", len(body) + 2) + body + jpeg[2:]


def test_iptc_keywords_in_jpeg_are_read_in_utf8_and_latin1(home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    plain = make_photo(tmp_path / "plain.jpg").read_bytes()
    photo = folder / "iptc.jpg"
    photo.write_bytes(_with_iptc(plain, ["Zürich".encode(), "café".encode("latin-1"), b"lake"]))
    scan(home, folder)
    found = stored(home, photo)
    assert found is not None and found.sources == ("IPTC keywords",)
    assert [k.name for k in found.keywords] == ["Zürich", "café", "lake"]


def test_bad_sidecars_are_a_warning_on_the_photo_never_an_error(home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    bomb = make_photo(folder / "bomb.jpg")
    (folder / "bomb.jpg.xmp").write_bytes(BOMB)
    broken = make_photo(folder / "broken.jpg")
    (folder / "broken.xmp").write_bytes(b"<x:xmpmeta><rdf:RDF")
    outside = make_photo(folder / "outside.jpg")
    (folder / "outside.jpg.xmp").write_bytes(
        fixture("picasa.xmp").replace(b'stArea:x="0.125"', b'stArea:x="1.7"')
    )
    resized = make_photo(folder / "resized.jpg")
    (folder / "resized.jpg.xmp").write_bytes(
        fixture("picasa.xmp").replace(b'stDim:w="400"', b'stDim:w="900"')
    )
    report = scan(home, folder)
    assert report.errors == [] and report.added == 4
    assert "sidecar bomb.jpg.xmp: XMP refused: it declares entities" in warnings_of(home, bomb)
    assert "sidecar broken.xmp: XMP is not well-formed XML" in warnings_of(home, broken)
    assert "face region '李小龍' lies outside the image: ignored" in warnings_of(home, outside)
    assert "was drawn on a 900x300 image, this one is 400x300: ignored" in warnings_of(home, resized)
    assert stored(home, bomb) is None
    kept = stored(home, outside)
    assert kept is not None and [k.name for k in kept.keywords] == ["family"] and kept.regions == ()


def test_a_sidecar_up_to_the_packet_limit_is_read_and_one_byte_more_is_refused(
    home: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    packet = fixture("picasa.xmp")
    at_limit = make_photo(folder / "at_limit.jpg")
    (folder / "at_limit.jpg.xmp").write_bytes(packet + b" " * (MAX_PACKET_BYTES - len(packet)))
    over = make_photo(folder / "over.jpg")
    (folder / "over.jpg.xmp").write_bytes(packet + b" " * (MAX_PACKET_BYTES + 1 - len(packet)))
    report = scan(home, folder)
    assert report.errors == [] and report.added == 2
    kept = stored(home, at_limit)
    assert kept is not None and [k.name for k in kept.keywords] == ["family"]
    assert "sidecar over.jpg.xmp: XMP is 4096 KB, over the 4 MB limit" in warnings_of(home, over)
    assert stored(home, over) is None


def test_regions_honour_the_exif_rotation_and_applied_dimensions(home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    turned = make_photo(folder / "turned.jpg", orientation=6)  # 400x300 stored, 300x400 shown
    (folder / "turned.jpg.xmp").write_bytes(fixture("picasa.xmp"))
    # a writer that measured the photo as shown: AppliedToDimensions 300x400, no turn to undo
    shown = make_photo(folder / "shown.jpg", orientation=6)
    (folder / "shown.jpg.xmp").write_bytes(
        fixture("picasa.xmp").replace(b'stDim:w="400" stDim:h="300"', b'stDim:w="300" stDim:h="400"')
    )
    scan(home, folder)
    (region,) = stored(home, turned).regions  # type: ignore[union-attr]
    stored_box = (0.125 - 0.075, 0.25 - 0.1, 0.15, 0.2)
    assert (region.left, region.top, region.width, region.height) == pytest.approx(
        stored_to_displayed(stored_box, 6)
    )
    (as_shown,) = stored(home, shown).regions  # type: ignore[union-attr]
    assert (as_shown.left, as_shown.top) == pytest.approx(stored_box[:2])


def test_a_changed_sidecar_makes_the_next_scan_read_the_photo_again(home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    photo = make_photo(folder / "IMG_2.jpg")
    assert scan(home, folder).added == 1
    assert stored(home, photo) is None
    assert scan(home, folder).unchanged == 1
    (folder / "IMG_2.xmp").write_bytes(fixture("lightroom.xmp"))  # Lightroom's short name
    report = scan(home, folder)
    assert (report.updated, report.unchanged) == (1, 0)
    assert stored(home, photo).rating == 5  # type: ignore[union-attr]
    assert scan(home, folder).unchanged == 1
    (folder / "IMG_2.xmp").write_bytes(fixture("lightroom.xmp").replace(b'xmp:Rating="5"', b'xmp:Rating="3"'))
    assert scan(home, folder).updated == 1
    assert stored(home, photo).rating == 3  # type: ignore[union-attr]
    (folder / "IMG_2.xmp").unlink()
    assert scan(home, folder).updated == 1
    assert stored(home, photo) is None


def test_keywords_are_labels_you_gave_searchable_with_their_hierarchy(
    home: Path, tmp_path: Path, cli
) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    photo = make_photo(folder / "cafe.jpg")
    (folder / "cafe.jpg.xmp").write_bytes(fixture("digikam.jpg.xmp"))
    make_photo(folder / "other.jpg")
    scan(home, folder)
    with Library.open(home) as library:
        hits = search.search(library.catalog, "paris")
        assert [Path(h.path).name for h in hits] == ["cafe.jpg"]
        assert hits[0].why == ("your keyword Paris",)
        # the hierarchy is kept: a parent finds its children, and says which child
        assert search.search(library.catalog, "france")[0].why == ("your keyword Paris",)
        assert [h.path for h in search.search(library.catalog, "борис")] == [str(photo)]
        labels = {row.name: row for row in search.label_counts(library.catalog)}
        assert labels["Paris"].count == 1 and labels["Paris"].categories == ("Your keywords",)
    result = cli("--home", home, "labels")
    assert "Paris" in result.out and "Your keywords" in result.out


def test_copies_share_the_keywords_of_their_content(home: Path, tmp_path: Path) -> None:
    """Labels belong to content: a second copy's sidecar adds its keywords to both copies."""
    folder = tmp_path / "photos"
    (folder / "a").mkdir(parents=True)
    (folder / "b").mkdir()
    make_photo(folder / "a" / "same.jpg")
    shutil.copy(folder / "a" / "same.jpg", folder / "b" / "same.jpg")
    (folder / "b" / "same.jpg.xmp").write_bytes(fixture("picasa.xmp"))
    scan(home, folder)
    with Library.open(home) as library:
        assert len(search.search(library.catalog, "family")) == 2
    (folder / "b" / "same.jpg.xmp").unlink()
    scan(home, folder)
    with Library.open(home) as library:
        assert search.search(library.catalog, "family") == []


def test_keywords_read_after_the_search_index_was_built_are_found(home: Path, tmp_path: Path) -> None:
    """Keyword labels mark their content stale for search once per content, not per label (step v16):
    a new photo through its own row, a new or changed sidecar through the mark its labels' write leaves."""
    folder = tmp_path / "photos"
    folder.mkdir()
    make_photo(folder / "a.jpg")
    (folder / "a.jpg.xmp").write_bytes(fixture("picasa.xmp"))
    make_photo(folder / "c.jpg")
    scan(home, folder)
    with Library.open(home) as library:
        # the index as stored: from here on only what is marked is derived
        search_store.rebuild(library.catalog)
        assert len(search.search(library.catalog, "family")) == 1
    make_photo(folder / "b.jpg")
    (folder / "b.jpg.xmp").write_bytes(fixture("lightroom.xmp"))
    (folder / "a.jpg.xmp").write_bytes(fixture("picasa.xmp").replace(b">family<", b">picnic<"))
    # its first sidecar, keywords alone (a rating or a region would mark the photo stale on its own)
    (folder / "c.jpg.xmp").write_bytes(
        _packet(
            b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/">'
            b"<dc:subject><rdf:Bag><rdf:li>garden</rdf:li></rdf:Bag></dc:subject>"
            b"</rdf:Description>"
        )
    )
    scan(home, folder)
    with Library.open(home) as library:
        assert [Path(h.path).name for h in search.search(library.catalog, "sunset")] == ["b.jpg"]
        assert [Path(h.path).name for h in search.search(library.catalog, "garden")] == ["c.jpg"]
        assert [Path(h.path).name for h in search.search(library.catalog, "picnic")] == ["a.jpg"]
        assert search.search(library.catalog, "family") == []


def test_copies_with_sidecars_read_in_one_scan_keep_every_copys_keywords(home: Path, tmp_path: Path) -> None:
    """A first scan stores a new photo's metadata with its batch; a second copy of the same content in
    that batch must still merge with the first one's keywords, not be overwritten by them."""
    folder = tmp_path / "photos"
    (folder / "a").mkdir(parents=True)
    (folder / "b").mkdir()
    make_photo(folder / "a" / "same.jpg")
    shutil.copy(folder / "a" / "same.jpg", folder / "b" / "same.jpg")
    (folder / "a" / "same.jpg.xmp").write_bytes(fixture("picasa.xmp"))
    (folder / "b" / "same.jpg.xmp").write_bytes(fixture("lightroom.xmp"))
    make_photo(folder / "a" / "other.jpg")
    (folder / "a" / "other.jpg.xmp").write_bytes(fixture("lightroom.xmp"))
    report = scan(home, folder)
    assert report.added == 3
    with Library.open(home) as library:
        assert len(search.search(library.catalog, "family")) == 2
        assert len(search.search(library.catalog, "sunset")) == 3
        labels = {
            name
            for (name,) in library.catalog.connection().execute(
                "SELECT name FROM labels WHERE backend = ?", (meta.KEYWORD_BACKEND,)
            )
        }
    assert {"family", "sunset", "Dog"} <= labels


# -- named regions become named faces --------------------------------------------------------------------
def _detect(library: Library, content_hash: str, boxes: list[tuple[float, float, float, float]]) -> None:
    """Stores faces as the local analyzer would (embeddings far apart: no two cluster together)."""
    faces = tuple(
        Face(Box(*box), 99.9, embedding=tuple(float(i * 10 + j) for j in range(128)))
        for i, box in enumerate(boxes)
    )
    result = AnalysisResult("local", frozenset({Feature.FACES}), faces=faces)
    store_result(library.catalog, content_hash, result, {Feature.FACES: "test"})
    library.group_faces()


def _names(library: Library, content_hash: str) -> list[tuple[str, str | None]]:
    return sorted(((f.backend, f.person_name) for f in meta.faces_of(library.catalog, content_hash)), key=str)


def _scanned_pair(home: Path, tmp_path: Path) -> Path:
    """A photo with digiKam's sidecar (two named regions, Alice Martin and Борис), scanned."""
    folder = tmp_path / "photos"
    folder.mkdir()
    photo = make_photo(folder / "pair.jpg")
    (folder / "pair.jpg.xmp").write_bytes(fixture("digikam.jpg.xmp"))
    scan(home, folder)
    return photo


def test_a_region_read_after_the_search_index_was_built_finds_its_person(home: Path, tmp_path: Path) -> None:
    """Faces made for regions mark their content stale for search once per batch, not per face (step
    v16): a photo's first sidecar, a region alone (no keyword, no rating marks it), names it in search."""
    folder = tmp_path / "photos"
    folder.mkdir()
    make_photo(folder / "a.jpg")
    make_photo(folder / "b.jpg")
    scan(home, folder)
    with Library.open(home) as library:
        # the index as stored: from here on only what is marked is derived
        search_store.rebuild(library.catalog)
    (folder / "a.jpg.xmp").write_bytes(
        _packet(
            b'<rdf:Description xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/"'
            b' xmlns:stArea="http://ns.adobe.com/xmp/sType/Area#"><mwg-rs:Regions rdf:parseType="Resource">'
            b'<mwg-rs:RegionList><rdf:Bag><rdf:li><rdf:Description mwg-rs:Name="Dana" mwg-rs:Type="Face">'
            b'<mwg-rs:Area stArea:x="0.5" stArea:y="0.5" stArea:w="0.2" stArea:h="0.2"/>'
            b"</rdf:Description></rdf:li></rdf:Bag></mwg-rs:RegionList></mwg-rs:Regions>"
            b"</rdf:Description>"
        )
    )
    scan(home, folder)
    with Library.open(home) as library:
        assert [Path(h.path).name for h in search.search(library.catalog, "person:dana")] == ["a.jpg"]


def test_regions_name_faces_detected_later_and_keep_undetected_ones(home: Path, tmp_path: Path) -> None:
    photo = _scanned_pair(home, tmp_path)
    with Library.open(home) as library:
        content = library.photo_by_path(str(photo)).hash  # type: ignore[union-attr]
        # no faces looked for yet: the people show at once, as faces of their own
        assert _names(library, content) == [(REGION_BACKEND, "Alice Martin"), (REGION_BACKEND, "Борис")]
        # the detector finds Alice (a tighter box) and a stranger, not Boris
        _detect(library, content, [(0.21, 0.22, 0.08, 0.16), (0.0, 0.8, 0.1, 0.1)])
        assert _names(library, content) == [
            ("local", "Alice Martin"),
            ("local", None),
            (REGION_BACKEND, "Борис"),
        ]
        assert meta.pending_regions(library.catalog) == []
        # named as if the user did it: undo takes it back
        alice = next(f for f in meta.faces_of(library.catalog, content) if f.person_name == "Alice Martin")
        assert alice.assigned_by == "manual"
        assert "XMP face regions" in naming.undo(library.catalog)
        assert ("local", "Alice Martin") not in _names(library, content)


def test_region_faces_are_created_named_and_undo_leaves_them_unnamed(home: Path, tmp_path: Path) -> None:
    photo = _scanned_pair(home, tmp_path)
    with Library.open(home) as library:
        content = library.photo_by_path(str(photo)).hash  # type: ignore[union-attr]
        faces = meta.faces_of(library.catalog, content)
        assert sorted((f.backend, f.person_name, f.assigned_by) for f in faces) == [
            (REGION_BACKEND, "Alice Martin", "manual"),
            (REGION_BACKEND, "Борис", "manual"),
        ]
        assert "XMP face regions" in naming.undo(library.catalog)
        # as before naming: the faces stay, unnamed, and the people the step created are gone
        after = meta.faces_of(library.catalog, content)
        assert sorted(f.id for f in after) == sorted(f.id for f in faces)
        assert {(f.person_id, f.assigned_by) for f in after} == {(None, None)}
        count = library.catalog.connection().execute("SELECT count(*) FROM people").fetchone()[0]
        assert count == 0


def test_regions_name_faces_detected_before_the_scan(home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    photo = make_photo(folder / "pair.jpg")
    scan(home, folder)
    with Library.open(home) as library:
        content = library.photo_by_path(str(photo)).hash  # type: ignore[union-attr]
        _detect(library, content, [(0.6, 0.4, 0.2, 0.2)])
    (folder / "pair.jpg.xmp").write_bytes(fixture("digikam.jpg.xmp"))
    scan(home, folder)
    with Library.open(home) as library:
        assert _names(library, content) == [("local", "Борис"), (REGION_BACKEND, "Alice Martin")]
        # a rescan of the same sidecar names nothing again: a rename by the user stays
        naming.rename(library.catalog, "Борис", "Boris")
    scan(home, folder)
    with Library.open(home) as library:
        assert ("local", "Boris") in _names(library, content)


@needs_exiftool
def test_sidecars_exiftool_writes_are_read(home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    photo = make_photo(folder / "tool.jpg", orientation=8)
    subprocess.run(
        [
            EXIFTOOL,
            "-q",
            "-o",
            str(folder / "tool.jpg.xmp"),
            "-XMP-dc:Subject=tree",
            "-XMP-dc:Subject=lake",
            "-XMP-lr:HierarchicalSubject=Places|Norway|Bergen",
            "-XMP-xmp:Rating=3",
            "-XMP-mwg-rs:RegionAppliedToDimensionsW=400",
            "-XMP-mwg-rs:RegionAppliedToDimensionsH=300",
            "-XMP-mwg-rs:RegionAppliedToDimensionsUnit=pixel",
            "-XMP-mwg-rs:RegionName=Dana",
            "-XMP-mwg-rs:RegionType=Face",
            "-XMP-mwg-rs:RegionAreaX=0.5",
            "-XMP-mwg-rs:RegionAreaY=0.5",
            "-XMP-mwg-rs:RegionAreaW=0.2",
            "-XMP-mwg-rs:RegionAreaH=0.4",
            "-XMP-mwg-rs:RegionAreaUnit=normalized",
            str(photo),
        ],
        check=True,
    )
    microsoft = make_photo(folder / "ms.jpg")
    subprocess.run(
        [
            EXIFTOOL,
            "-q",
            "-o",
            str(folder / "ms.jpg.xmp"),
            "-XMP-MP:RegionPersonDisplayName=Eve",
            "-XMP-MP:RegionRectangle=0.1, 0.2, 0.3, 0.4",
            str(microsoft),
        ],
        check=True,
    )
    scan(home, folder)
    found = stored(home, photo)
    assert found is not None and found.rating == 3
    assert {(k.name, k.parents) for k in found.keywords} >= {("Bergen", ("Places", "Norway")), ("tree", ())}
    (region,) = found.regions
    assert (region.left, region.top, region.width, region.height) == pytest.approx(
        stored_to_displayed((0.4, 0.3, 0.2, 0.4), 8)
    )
    (eve,) = stored(home, microsoft).regions  # type: ignore[union-attr]
    assert eve.name == "Eve"
    assert (eve.left, eve.top, eve.width, eve.height) == pytest.approx((0.1, 0.2, 0.3, 0.4))


def test_show_says_what_the_metadata_said_and_where_from(home: Path, tmp_path: Path, cli) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    photo = make_photo(folder / "IMG_3.jpg")
    (folder / "IMG_3.xmp").write_bytes(fixture("lightroom.xmp"))
    scan(home, folder)
    data = json.loads(cli("--home", home, "show", str(photo), "--json").out)
    assert data["keywords"] == ["Animals|Dog", "beach", "sunset", "Animals"]
    assert (data["rating"], data["description"], data["face_regions"]) == (5, "Evening walk", ["Chloé"])
    assert data["metadata_from"] == ["IMG_3.xmp"]
    text = cli("--home", home, "show", str(photo)).out
    assert "Animals|Dog" in text and "metadata_from" in text


def test_sidecars_parsed_ahead_give_what_reading_them_with_the_photo_gives(tmp_path: Path) -> None:
    """A reader process parses a few photos' sidecars in a row before their images (parse_sidecars): the
    photo's metadata and warnings are the same, a broken sidecar is still a warning, and one that cannot
    be read is left for read_metadata to report."""
    good, broken, gone = tmp_path / "a.jpg.xmp", tmp_path / "b.jpg.xmp", tmp_path / "c.jpg.xmp"
    shutil.copy(DATA / "digikam.jpg.xmp", good)
    broken.write_bytes(b"<x:xmpmeta><rdf:RDF>")
    parsed = parse_sidecars([str(good), str(broken), str(gone)])
    assert set(parsed) == {str(good), str(broken)}
    assert isinstance(parsed[str(broken)], XmpError)

    image = Image.new("RGB", (640, 480))
    for sidecars in ((str(good),), (str(broken),), (str(broken), str(good))):
        assert read_metadata(image, sidecars, image.size, 1, parsed) == read_metadata(
            image, sidecars, image.size, 1
        )
    assert read_metadata(image, (str(good),), image.size, 1, parsed)[0].regions  # the faces are there
    with pytest.raises(FileNotFoundError):  # as without parsing ahead: the caller says what it means
        read_metadata(image, (str(gone),), image.size, 1, parsed)
