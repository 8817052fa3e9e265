"""The gallery page: its title (the view, or the search and its count), the search error, the grid, and
the empty state that says why nothing matched; it also fetches why each shown photo matched."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from photosorter.core.browse import ViewFilter
from photosorter.core.search.suggest import no_match_help, unlabelled_words
from photosorter.gui.facade import Facade, MatchReason
from photosorter.gui.gallery import GalleryModel
from photosorter.gui.search_text import gallery_title, no_match_html
from photosorter.gui.timeline_view import GalleryView
from photosorter.gui.workers import Tasks


class ResultsPage(QWidget):
    reasons_loaded = Signal()  # the model holds new "why it matched" reasons
    link_activated = Signal(str)  # a link of the empty state: "all:" or "search:<query>"

    def __init__(
        self, facade: Facade, tasks: Tasks, gallery: GalleryView, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.facade = facade
        self.tasks = tasks
        self.gallery = gallery
        self._explained: tuple[ViewFilter, str] | None = None  # the view and search the reasons are for
        self.moments: dict[int, float] = {}  # video hits: the second the search found them at
        self.title = QLabel("All Photos", self)
        self.title.setObjectName("pageTitle")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        # "no photo is labelled “mountain”; 3 mention it in their text": results that only name the word
        self.note = QLabel(self)
        self.note.setObjectName("searchNote")
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.note.setWordWrap(True)
        self.note.hide()
        self.error = QLabel(self)
        self.error.setObjectName("searchError")
        self.error.setWordWrap(True)
        self.error.hide()
        self.empty_state = QLabel(self)
        self.empty_state.setObjectName("emptyState")
        self.empty_state.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_state.setWordWrap(True)
        self.empty_state.setTextFormat(Qt.TextFormat.RichText)
        self.empty_state.linkActivated.connect(self.link_activated.emit)
        self.empty_state.hide()
        self.header = QHBoxLayout()  # the title, and controls for the grid (the sort order) at its right
        self.header.addWidget(self.title, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(self.header)
        layout.addWidget(self.note)
        layout.addWidget(self.error)
        layout.addWidget(gallery, 1)
        layout.addWidget(self.empty_state, 1)

    def add_header_widget(self, widget: QWidget) -> None:
        self.header.addWidget(widget)

    def show_error(self, message: str) -> None:
        self.error.setText(f"⚠ {message}")
        self.error.show()

    def show_results(self, view: ViewFilter, query: str, count: int, is_current: Callable[[], bool]) -> None:
        """New ids are shown: the title, and why they matched (on hover) or, when none did, why not and
        what to try. ``is_current`` says whether these results are still the newest when reasons arrive."""
        self.error.hide()
        self.note.hide()
        self.title.setText(gallery_title(view, query, count))
        model = self.gallery.model()
        assert isinstance(model, GalleryModel)
        if (view, query) != self._explained:  # reasons of another search must not show; a refresh of
            self._explained = (view, query)  # the same one keeps them until the new ones arrive
            model.set_reasons({})
            self.moments = {}
        self._show_empty_state("" if count or query else "No photos here yet.")
        if not query:
            return
        if count:
            self.tasks.run(
                lambda: self.facade.match_reasons(view, query),
                lambda reasons: is_current() and self._reasons(model, reasons),
            )
            catalog = self.facade.catalog
            self.tasks.run(
                lambda: unlabelled_words(catalog, query),
                lambda words: is_current() and self._show_note(words),
            )
        else:
            self._show_empty_state(no_match_html(view, query, None))
            catalog = self.facade.catalog
            self.tasks.run(
                lambda: no_match_help(catalog, query),
                lambda found: is_current() and self._show_empty_state(no_match_html(view, query, found)),
            )

    def _show_note(self, words) -> None:
        text = "; ".join(word.sentence() for word in words)
        self.note.setText(text[:1].upper() + text[1:])
        self.note.setVisible(bool(words))

    def _reasons(self, model: GalleryModel, reasons: dict[int, MatchReason]) -> None:
        model.set_reasons({photo_id: reason.why for photo_id, reason in reasons.items()})
        self.moments = {p: r.start_s for p, r in reasons.items() if r.start_s is not None}
        self.reasons_loaded.emit()

    def _show_empty_state(self, html: str) -> None:
        self.empty_state.setText(html)
        self.empty_state.setVisible(bool(html))
        self.gallery.setVisible(not html)
