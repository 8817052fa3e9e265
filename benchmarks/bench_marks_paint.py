"""Painting the gallery's hearts and stars: the visible grid (offscreen, placeholder tiles, 5,000 ids)
without the overlay, with it and no marks, with every tile marked, and with every tile marked the
first way (paths drawn for every tile, the baseline the cached badges replaced). Fastest of 300
paints each, so load from elsewhere on the machine does not count.

    python benchmarks/bench_marks_paint.py
"""

import os
import sys
import tempfile
import time

os.environ["QT_QPA_PLATFORM"] = "offscreen"
from pathlib import Path

from PySide6.QtWidgets import QApplication

from photosorter.core.catalog.marks import PhotoMarks
from photosorter.core.library import Library
from photosorter.gui.facade import Facade
from photosorter.gui.main_window import MainWindow


def main():
    app = QApplication(sys.argv)
    home = Path(tempfile.mkdtemp())
    lib = Library.open(home)
    (home / "empty").mkdir()
    lib.add_folder(str(home / "empty"))
    win = MainWindow(Facade(lib))
    win.resize(1600, 1000)
    win.show()
    app.processEvents()
    end = time.time() + 3
    while time.time() < end:
        app.processEvents()
    ids = list(range(1, 5001))
    win.model.set_ids(ids)
    win.pages.setCurrentWidget(win.gallery_page)
    for _ in range(50):
        app.processEvents()
    view = win.gallery.viewport()

    def paint_ms(n=300):
        times = []
        for _ in range(n):
            start = time.perf_counter()
            view.grab()
            times.append(time.perf_counter() - start)
        return min(times) * 1000

    overlay = win.gallery._painter.overlay
    win.gallery._painter.overlay = None
    base = paint_ms()
    win.gallery._painter.overlay = overlay
    win.organize.marks.marks = {}
    empty = paint_ms()
    win.organize.marks.marks = {i: PhotoMarks(i, i % 2 == 0, i % 6) for i in ids}
    full = paint_ms()
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QPainter, QPen

    from photosorter.gui import marks_paint as mp

    def paths(painter, tile, marks, hovered):  # the first version: paths drawn for every tile
        favorite = marks is not None and marks.favorite
        rating = marks.rating if marks is not None else 0
        if not (favorite or rating or hovered):
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        heart = mp.heart_rect(tile)
        width = mp.BADGE + 8 + (rating * (mp.STAR_SIDE + 2) + 4 if rating else 0)
        pill = QRectF(heart.left() - 4, heart.top() - 3, width, mp.BADGE + 6)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(mp.PILL)
        painter.drawRoundedRect(pill, pill.height() / 2, pill.height() / 2)
        path = mp.heart_path(QRectF(heart).adjusted(1, 2, -1, -1))
        painter.fillPath(path, mp.HEART) if favorite else painter.strokePath(path, QPen(mp.EMPTY, 1.5))
        painter.setBrush(mp.STAR)
        top = heart.top() + (mp.BADGE - mp.STAR_SIDE) / 2
        for i in range(rating):
            painter.drawPolygon(
                mp.star_polygon(
                    QRectF(heart.right() + 6 + i * (mp.STAR_SIDE + 2), top, mp.STAR_SIDE, mp.STAR_SIDE)
                )
            )
        painter.restore()

    win.organize.marks.badges.paint = paths
    old = paint_ms()
    first, last = win.gallery.visible_rows()
    print(f"every tile marked, paths drawn per tile (first version): {old:.2f} ms ({old / base:.2f}x)")
    print(
        f"grid paint ({last - first + 1} cells visible): no overlay {base:.2f} ms,"
        f" overlay with no marks {empty:.2f} ms ({empty / base:.2f}x),"
        f" every tile marked {full:.2f} ms ({full / base:.2f}x)"
    )
    win.shutdown()
    lib.close()


if __name__ == "__main__":
    main()
