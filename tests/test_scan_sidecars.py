"""A big scan's sidecars parsed ahead in a helper process: the same records, warnings and errors as the
reading threads' own parse, and no helper left behind."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from photosorter.core import scan_sidecars
from photosorter.core.scan_sidecars import SidecarPrefetch, sidecars_for
from photosorter.core.scan_walk import Candidate
from photosorter.core.xmp.sidecar import ParsedSidecar, parse_sidecar
from test_xmp_read import BOMB, fixture, make_photo, scan, stored, warnings_of


def _candidate(path: Path, *sidecars: Path) -> Candidate:
    return Candidate(1, str(path), 1, 1, None, tuple(map(str, sidecars)), "sig")


def _comparable(parsed: tuple[ParsedSidecar, ...]) -> list[tuple]:
    """Exceptions compare by identity: their type and message say the same."""
    return [(p.label, p.fields, p.problem, type(p.error), str(p.error)) for p in parsed]


def test_the_helper_sends_what_the_reader_would_parse(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(scan_sidecars, "HELPER_MIN_PHOTOS", 1)
    (tmp_path / "a.jpg.xmp").write_bytes(fixture("digikam.jpg.xmp"))
    (tmp_path / "a.xmp").write_bytes(fixture("lightroom.xmp"))
    (tmp_path / "bomb.jpg.xmp").write_bytes(BOMB)
    (tmp_path / "broken.xmp").write_bytes(b"<x:xmpmeta><rdf:RDF")
    candidates = [
        _candidate(tmp_path / "a.jpg", tmp_path / "a.jpg.xmp", tmp_path / "a.xmp"),
        _candidate(tmp_path / "plain.jpg"),
        _candidate(tmp_path / "bomb.jpg", tmp_path / "bomb.jpg.xmp"),
        _candidate(tmp_path / "broken.jpg", tmp_path / "broken.xmp"),
        _candidate(tmp_path / "gone.jpg", tmp_path / "gone.jpg.xmp"),  # deleted after the walk
    ]
    prefetch = SidecarPrefetch(candidates)
    try:
        tickets = [prefetch.ticket(i) for i in range(len(candidates))]
        assert tickets[1] is None  # no sidecars: nothing to wait for
        for ticket in tickets:
            if ticket is not None:
                ticket[0].result(timeout=60)  # the helper's answer, not the reader's own parse
        helped = [sidecars_for(c, t) for c, t in zip(candidates, tickets, strict=True)]
    finally:
        prefetch.close()
    local = [tuple(parse_sidecar(p) for p in c.sidecars) for c in candidates]
    assert [_comparable(p) for p in helped] == [_comparable(p) for p in local]
    assert helped[0][0].fields is not None and helped[0][0].fields.regions  # digiKam's faces crossed over
    assert "declares entities" in (helped[2][0].problem or "")  # the bomb is refused in the helper too
    assert isinstance(helped[4][0].error, FileNotFoundError)  # raised where the photo is read, as before
    assert multiprocessing.active_children() == []


def test_a_scan_with_the_helper_reads_sidecars_as_one_without(
    home: Path, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setattr(scan_sidecars, "HELPER_MIN_PHOTOS", 1)
    monkeypatch.setattr(scan_sidecars, "CHUNK", 2)  # several chunks, asked for as the reads go
    folder = tmp_path / "photos"
    folder.mkdir()
    photos = [make_photo(folder / f"p{i}.jpg") for i in range(7)]
    for photo in photos:
        (folder / f"{photo.name}.xmp").write_bytes(fixture("digikam.jpg.xmp"))
    bomb = make_photo(folder / "bomb.jpg")
    (folder / "bomb.jpg.xmp").write_bytes(BOMB)
    report = scan(home, folder)
    assert report.errors == [] and report.added == 8
    assert "sidecar bomb.jpg.xmp: XMP refused: it declares entities" in warnings_of(home, bomb)
    for photo in photos:
        found = stored(home, photo)
        assert (
            found is not None
            and found.rating == 4
            and [r.name for r in found.regions]
            == [
                "Alice Martin",
                "Борис",
            ]
        )
    assert multiprocessing.active_children() == []


def test_small_scans_start_no_helper(tmp_path: Path) -> None:
    (tmp_path / "a.jpg.xmp").write_bytes(fixture("digikam.jpg.xmp"))
    candidates = [_candidate(tmp_path / "a.jpg", tmp_path / "a.jpg.xmp")]
    prefetch = SidecarPrefetch(candidates)
    assert prefetch.ticket(0) is None
    assert multiprocessing.active_children() == []
    prefetch.close()


def test_a_helper_that_cannot_start_leaves_the_parse_to_the_readers(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(scan_sidecars, "HELPER_MIN_PHOTOS", 1)
    (tmp_path / "a.jpg.xmp").write_bytes(fixture("digikam.jpg.xmp"))
    candidate = _candidate(tmp_path / "a.jpg", tmp_path / "a.jpg.xmp")
    prefetch = SidecarPrefetch([candidate])

    def refuse(*args, **kwargs):
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(prefetch._pool, "submit", refuse)
    assert prefetch.ticket(0) is None
    assert _comparable(sidecars_for(candidate, None)) == _comparable((parse_sidecar(candidate.sidecars[0]),))
    prefetch.close()
