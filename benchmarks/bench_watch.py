"""How soon the live library's catalog follows the disk: the "within 2 s of the last write" promise.

Timed here, not in tests/test_watch.py: a wall-clock limit inside a test fails when the machine is busy,
not when the library is slow. Runs each change REPEATS times on real filesystem events and prints the
median and worst seconds from the last write to the catalog showing it, and whether 2 s held.

    python benchmarks/bench_watch.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from photosorter.core.library import Library
from photosorter.core.live import LiveLibrary

PROMISE_SECONDS = 2.0


def jpeg(index: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), ((index * 37) % 256, (index * 91) % 256, 128)).save(out, "JPEG")
    return out.getvalue()


def seconds_until(condition: Callable[[], bool], timeout: float = 60.0) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            return float("inf")
        time.sleep(0.01)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    timings: dict[str, list[float]] = {"create": [], "change": [], "rename": [], "delete": []}
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "photos"
        folder.mkdir()
        with Library.open(Path(scratch) / "home") as library:
            library.add_folder(folder)
            live = LiveLibrary(library, analyze=False)
            live.start()
            try:
                for round_ in range(args.repeats):
                    path, renamed = folder / f"new{round_}.jpg", folder / f"renamed{round_}.jpg"

                    def state(p: Path) -> tuple[str, str] | None:
                        photo = library.photo_by_path(str(p))
                        return (photo.state, photo.hash) if photo else None

                    path.write_bytes(jpeg(2 * round_))
                    timings["create"].append(seconds_until(lambda p=path: (state(p) or ("",))[0] == "ok"))
                    before = state(path)
                    path.write_bytes(jpeg(2 * round_ + 1))
                    timings["change"].append(seconds_until(lambda p=path, b=before: state(p) != b))
                    path.rename(renamed)
                    timings["rename"].append(seconds_until(lambda p=renamed: (state(p) or ("",))[0] == "ok"))
                    renamed.unlink()
                    timings["delete"].append(
                        seconds_until(lambda p=renamed: (state(p) or ("",))[0] == "missing")
                    )
            finally:
                live.stop()
    worst = max(max(values) for values in timings.values())
    for change, values in timings.items():
        print(f"{change:>7}: median {statistics.median(values):.2f} s, worst {max(values):.2f} s")
    verdict = "held" if worst <= PROMISE_SECONDS else "BROKEN"
    print(f"promise of {PROMISE_SECONDS:.0f} s from the last write: {verdict} (worst {worst:.2f} s)")


if __name__ == "__main__":
    main()
