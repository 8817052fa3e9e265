"""Duplicates: exact copies and near-duplicates (resized, re-saved, lightly edited) grouped by an index of
perceptual hashes, listed by `photosorter duplicates`, and sent to the trash only on request."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageEnhance
from send2trash import plat_other

from photosorter.core import duplicates
from photosorter.core.backfill import fill_perceptual_hashes
from photosorter.core.catalog import duplicates as duplicate_rows
from photosorter.core.duplicates import find_groups, move_to_trash
from photosorter.core.jobs import CancelToken
from photosorter.core.library import Library
from photosorter.core.near_duplicates import (
    NEAR_BITS,
    components,
    distance,
    near_pairs,
    near_pairs_all,
    perceptual_hash,
)
from photosorter.core.search import search_ids
from photosorter.gui.facade import Facade

DATA = Path(__file__).parent / "data" / "photos"


def _resaved(image: Image.Image, scale: float, quality: int) -> Image.Image:
    small = image.resize((int(image.width * scale), int(image.height * scale)), Image.Resampling.BICUBIC)
    out = io.BytesIO()
    small.save(out, "JPEG", quality=quality)
    return Image.open(io.BytesIO(out.getvalue()))


# -- the hash ------------------------------------------------------------------------------------------
def test_a_resized_resaved_or_brightened_copy_stays_near_and_other_photos_stay_far() -> None:
    cat_and_dog = Image.open(DATA / "cat_and_dog.jpeg").convert("RGB")
    bridge = Image.open(DATA / "golden_gate_bridge.webp").convert("RGB")
    original = perceptual_hash(cat_and_dog)
    assert distance(original, perceptual_hash(_resaved(cat_and_dog, 0.5, 50))) <= NEAR_BITS
    assert distance(original, perceptual_hash(ImageEnhance.Brightness(cat_and_dog).enhance(1.2))) <= NEAR_BITS
    assert distance(original, perceptual_hash(bridge)) > 3 * NEAR_BITS
    assert -(1 << 63) <= original < 1 << 63  # fits SQLite's INTEGER


def test_the_index_finds_exactly_the_pairs_comparing_all_pairs_finds() -> None:
    rng = np.random.default_rng(3)
    hashes = rng.integers(-(1 << 63), (1 << 63) - 1, 3000, dtype=np.int64)
    # plant near copies at every distance up to the limit and a little past it
    for k in range(600):
        source = int(rng.integers(600, hashes.size))
        bits = rng.choice(64, size=k % (NEAR_BITS + 3), replace=False)
        flip = sum(1 << int(b) for b in bits)
        hashes[k] = np.int64(np.uint64(int(hashes[source].view(np.uint64)) ^ flip).view(np.int64))
    found = set(zip(*(a.tolist() for a in near_pairs(hashes)), strict=True))
    truth = set(zip(*(a.tolist() for a in near_pairs_all(hashes)), strict=True))
    assert len(truth) > 400 and found == truth
    with pytest.raises(ValueError):
        near_pairs(hashes, bits=NEAR_BITS + 1)


def test_pairs_join_into_groups() -> None:
    groups = components(7, np.array([0, 1, 4]), np.array([1, 2, 5]))
    assert sorted(groups) == [[0, 1, 2], [4, 5]]


# -- in the library ------------------------------------------------------------------------------------
@pytest.fixture
def shoot(tmp_path: Path) -> Path:
    return make_shoot(tmp_path)


def make_shoot(tmp_path: Path) -> Path:
    """An original, a byte-for-byte copy, a resized re-save, a brightened edit, and an unrelated photo."""
    folder = tmp_path / "shoot"
    (folder / "backup").mkdir(parents=True)
    original = Image.open(DATA / "cat_and_dog.jpeg").convert("RGB")
    original.save(folder / "pets.jpg", quality=92)
    shutil.copyfile(folder / "pets.jpg", folder / "backup" / "pets.jpg")
    _resaved(original, 0.5, 60).save(folder / "pets_small.jpg", quality=60)
    ImageEnhance.Brightness(original).enhance(1.15).save(folder / "pets_edit.jpg", quality=85)
    Image.open(DATA / "golden_gate_bridge.webp").convert("RGB").save(folder / "bridge.jpg")
    return folder


def test_duplicates_lists_exact_copies_and_near_duplicates_in_one_group(cli, home: Path, shoot: Path) -> None:
    assert cli("--home", home, "scan", shoot).code == 0
    groups = cli("--home", home, "duplicates", "--json").json()
    assert len(groups) == 1
    group = groups[0]
    assert group["kind"] == "exact+near"
    files = {Path(f["path"]).relative_to(shoot).as_posix(): f for f in group["files"]}
    assert set(files) == {"pets.jpg", "backup/pets.jpg", "pets_small.jpg", "pets_edit.jpg"}
    first = group["files"][0]
    assert first["match"] == "first" and first["width"] == max(f["width"] for f in group["files"])
    assert first["path"].endswith("pets.jpg") and "small" not in first["path"] and "edit" not in first["path"]
    assert {f["match"] for f in group["files"][1:]} == {"exact", "near"}
    near = [f for f in group["files"] if f["match"] == "near"]
    assert sorted(Path(f["path"]).name for f in near) == ["pets_edit.jpg", "pets_small.jpg"]
    assert all(0 <= f["distance"] <= NEAR_BITS for f in near), near
    assert group["reclaimable_bytes"] == sum(f["size"] for f in group["files"][1:])
    assert group["keep_reason"] == "largest file"  # the edit has as many pixels, saved at a lower quality
    text = cli("--home", home, "duplicates").out
    assert (
        "group 1: 4 files, exact+near" in text
        and "keeping the first (largest file)" in text
        and "near " in text
        and "bridge" not in text
    )


def test_the_keep_reason_names_what_the_first_file_has_more_of() -> None:
    def copy(photo_id: int, width: int, size: int, content: str, exact: bool) -> duplicates.DuplicateCopy:
        return duplicates.DuplicateCopy(
            photo_id, f"/p/{photo_id}.jpg", size, width, 100, None, content, exact, 0
        )

    best = copy(1, 400, 900, "a", True)
    reason = duplicates.KeepReason
    assert duplicates.DuplicateGroup((best, copy(2, 200, 999, "b", False))).keep_reason is reason.MOST_PIXELS
    assert duplicates.DuplicateGroup((best, copy(2, 400, 800, "b", False))).keep_reason is reason.LARGEST_FILE
    assert duplicates.DuplicateGroup((best, copy(2, 400, 900, "b", False))).keep_reason is reason.FOUND_FIRST
    assert duplicates.DuplicateGroup((best, copy(2, 400, 900, "a", True))).keep_reason is reason.FOUND_FIRST
    # an exact copy ties by nature: the reason is what beat the other pictures
    group = duplicates.DuplicateGroup((best, copy(2, 400, 900, "a", True), copy(3, 300, 950, "c", False)))
    assert group.keep_reason is reason.MOST_PIXELS


def test_no_duplicates_says_so(cli, home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "few"
    folder.mkdir()
    shutil.copyfile(DATA / "cat_and_dog.jpeg", folder / "a.jpg")
    cli("--home", home, "scan", folder)
    assert cli("--home", home, "duplicates").out.strip() == "no duplicates"
    assert cli("--home", home, "duplicates", "--json").json() == []


def test_an_older_catalog_is_hashed_from_its_cached_thumbnails_not_the_originals(
    home: Path, shoot: Path
) -> None:
    with Library.open(home) as library:
        library.add_folder(shoot)
        for _ in library.scan():
            pass
        with library.catalog.transaction() as conn:  # as a catalog from before perceptual hashes
            conn.execute("DELETE FROM perceptual_hashes")
        assert find_groups(library.catalog) == [] or all(
            g.kind == "exact" for g in find_groups(library.catalog)
        )
        # the originals are gone (an unplugged disk not yet noticed): only the thumbnails can be read
        shutil.rmtree(shoot)
        closing = CancelToken()
        closing.cancel()  # the window closed: the backfill stops at once and stores nothing
        assert Facade(library).backfill(closing) == 0
        assert fill_perceptual_hashes(library.catalog, library.paths.thumbnails) == 4  # 4 contents
        assert fill_perceptual_hashes(library.catalog, library.paths.thumbnails) == 0
        (group,) = find_groups(library.catalog)
        assert len(group.copies) == 4 and group.kind == "exact+near"


def test_move_to_trash_uses_the_trash_and_the_row_goes_missing_at_once(
    home: Path, shoot: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the freedesktop trash of a home of our own: the test never touches the user's real trash
    data_home = tmp_path / "xdg"
    monkeypatch.setattr(plat_other, "XDG_DATA_HOME", str(data_home).encode())
    monkeypatch.setattr(plat_other, "HOMETRASH_B", str(data_home / "Trash").encode())
    monkeypatch.setattr(plat_other, "HOMETRASH", str(data_home / "Trash"))
    monkeypatch.setattr(duplicates, "send2trash", plat_other.send2trash)
    with Library.open(home) as library:
        library.add_folder(shoot)
        for _ in library.scan():
            pass
        (group,) = find_groups(library.catalog)
        unwanted = [c for c in group.copies[1:] if c.path.endswith("pets_small.jpg")]
        gone = shoot / "bridge.jpg"
        bridge_id = library.photo_by_path(str(gone)).id
        gone.unlink()  # already deleted by the user: reported, nothing else happens
        report = move_to_trash(library.catalog, [unwanted[0].photo_id, bridge_id])
        assert report.trashed == [unwanted[0].path]
        assert [path for path, _ in report.failed] == [str(gone)]
        assert not Path(unwanted[0].path).exists()
        assert (data_home / "Trash" / "files" / "pets_small.jpg").read_bytes()[:2] == b"\xff\xd8"
        assert (data_home / "Trash" / "info" / "pets_small.jpg.trashinfo").exists()  # restorable
        assert library.photo_by_path(unwanted[0].path).state == "missing"
        assert unwanted[0].photo_id not in search_ids(library.catalog, "")
        (after,) = find_groups(library.catalog)
        assert len(after.copies) == 3


def test_visible_hashes_leave_out_contents_whose_files_are_all_gone(home: Path, shoot: Path) -> None:
    with Library.open(home) as library:
        library.add_folder(shoot)
        for _ in library.scan():
            pass
        contents, _ = duplicate_rows.visible_hashes(library.catalog)
        assert len(contents) == 4
        bridge = library.photo_by_path(str(shoot / "bridge.jpg"))
        with library.catalog.transaction() as conn:
            conn.execute("UPDATE photos SET state = 'missing' WHERE id = ?", (bridge.id,))
        assert bridge.hash not in duplicate_rows.visible_hashes(library.catalog)[0]


def test_sizes_read_the_same_everywhere() -> None:
    """The duplicates page, the detail pane, the CLI and the error messages share one size format."""
    from photosorter.cli.places_commands import _size
    from photosorter.core.headers import human_size
    from photosorter.gui.duplicates_view import size_text

    assert human_size(999) == "999 bytes"
    assert human_size(102_400) == "100.0 KB"
    assert human_size(3 << 30) == "3.0 GB"
    assert size_text(79_053) == _size(79_053) == human_size(79_053) == "77.2 KB"
    assert size_text(None) == "—"
