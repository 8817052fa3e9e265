"""The main window: sidebar, search, gallery, detail pane, people page, viewer, menus and background jobs."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QModelIndex, Signal
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QWidget,
)

from photosorter.core.browse import ViewFilter, ViewKind
from photosorter.core.jobs import CancelToken
from photosorter.core.photo_analysis import FaceRow
from photosorter.gui.detail import DetailPane
from photosorter.gui.duplicates_view import DuplicatesView
from photosorter.gui.facade import Facade, SidebarData
from photosorter.gui.file_actions import FileActions
from photosorter.gui.focus import FocusKeeper
from photosorter.gui.gallery import GalleryModel
from photosorter.gui.id_list import IdList
from photosorter.gui.ids_query import IdsQuery
from photosorter.gui.live_wiring import LiveWiring
from photosorter.gui.menus import build_menus
from photosorter.gui.organize import Organize
from photosorter.gui.people_view import PeopleView
from photosorter.gui.results_page import ResultsPage
from photosorter.gui.search_field import SearchField
from photosorter.gui.search_text import photo_count
from photosorter.gui.selection_actions import SelectionActions
from photosorter.gui.sidebar import Sidebar
from photosorter.gui.status import JobQueue, JobStatus
from photosorter.gui.timeline_view import GalleryView
from photosorter.gui.viewer import Viewer
from photosorter.gui.welcome import WelcomePage
from photosorter.gui.workers import Tasks, ThumbnailLoader, WorkerPool, favour_gui_thread


class MainWindow(QMainWindow):
    # The current photo's id and why it matched the search (empty without one), for the detail pane.
    why_matched = Signal(int, tuple)

    def __init__(self, facade: Facade, pool: WorkerPool | None = None) -> None:
        super().__init__()
        favour_gui_thread()
        self.facade = facade
        self.pool = pool or WorkerPool()
        self.tasks = Tasks(self.pool, self)
        cell = facade.library.settings.thumbnail_size
        tile = cell * 2 if self.devicePixelRatio() > 1 else cell
        self.loader = ThumbnailLoader(self.pool, tile, parent=self)
        self.model = GalleryModel(facade, self.tasks, self.loader, self)
        self.setWindowTitle("Photosorter")
        self.setAcceptDrops(True)
        self.resize(1280, 820)

        # -- widgets -------------------------------------------------------------------------------------
        self.sidebar = Sidebar(self)
        self.sidebar.filter_changed.connect(self._filter_changed)
        self.sidebar.people_requested.connect(self.show_people)
        self.sidebar.reselected.connect(self._show_gallery)
        self.gallery = GalleryView(cell, self)
        self.gallery.setModel(self.model)
        self.gallery.tile_changed.connect(self._tile_changed)
        self._tile_changed(self.gallery.cell_size() - 6)
        self.gallery.selectionModel().currentChanged.connect(self._current_changed)
        self.gallery.open_requested.connect(self.open_viewer)
        self.gallery.delete_pressed.connect(self._delete_pressed)
        self.search = SearchField(facade.completions, self.tasks, self)
        self.search.requested.connect(self._search_requested)
        self.ids_query = IdsQuery(
            facade,
            self.tasks,
            lambda: (self.sidebar.current_filter(), self.search.text()),
            lambda: self.model.ids,
            self,
        )
        self.ids_query.ready.connect(self._ids_loaded)
        self.ids_query.failed.connect(self._ids_failed)
        # the gallery's query runs while the rest of the window is built (half a second on a busy machine)
        self.refresh_gallery()
        self.gallery_page = ResultsPage(facade, self.tasks, self.gallery, self)
        self.gallery_page.link_activated.connect(self._empty_state_link)
        self.gallery_page.reasons_loaded.connect(self._reasons_loaded)
        self.view_title = self.gallery_page.title
        self.search_error = self.gallery_page.error
        self.empty_state = self.gallery_page.empty_state
        self.welcome = WelcomePage(self, facade.library.settings.backend)
        self.people = PeopleView(facade, self.tasks, self)
        self.people.show_person.connect(
            lambda name: self.sidebar.select(ViewFilter(ViewKind.PERSON, name, name))
        )
        self.people.changed.connect(self.refresh_sidebar)
        self.people.message.connect(lambda text: self.statusBar().showMessage(text, 5000))
        self.people.summary.connect(self._people_counted)
        self.duplicates = DuplicatesView(facade, self.tasks, self)
        self.duplicates.changed.connect(self.refresh_all)
        self.duplicates.message.connect(lambda text: self.statusBar().showMessage(text, 5000))
        self.sidebar.duplicates_requested.connect(self.show_duplicates)
        self.pages = QStackedWidget(self)
        for page in (self.welcome, self.gallery_page, self.people, self.duplicates):
            self.pages.addWidget(page)
        self.detail = DetailPane(facade, self.tasks, self)
        self.detail.face_clicked.connect(self._face_clicked)
        self.splitter = QSplitter(self)
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(self.pages)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([240, 700, 340])
        self.splitter.setCollapsible(1, False)
        self.viewer = Viewer(facade, self.tasks, self)
        self.viewer.navigate.connect(self._viewer_step)
        self.viewer.closed.connect(self.close_viewer)
        self.central = QStackedWidget(self)
        self.central.addWidget(self.splitter)
        self.central.addWidget(self.viewer)
        self.setCentralWidget(self.central)
        self.toolbar = QToolBar("Search", self)
        self.toolbar.setObjectName("searchBar")
        self.toolbar.setMovable(False)
        self.toolbar.addWidget(self.search)
        self.addToolBar(self.toolbar)
        self.count_label = QLabel(self)
        self.statusBar().addWidget(self.count_label)
        self.job_status = JobStatus(self)
        self.statusBar().addPermanentWidget(self.job_status)
        self.jobs = JobQueue(self.job_status, self)
        self.actions = FileActions(self)
        self.welcome.add_folder.connect(self.actions.choose_folder)
        self.live_wiring = LiveWiring(self)
        self.live = self.live_wiring.bridge
        self.live_status = self.live_wiring.status
        self.queue_panel = self.live_wiring.queue_panel
        self.organize = Organize(self)  # favourites, ratings, albums, saved searches, Undo/Redo
        build_menus(self)
        self.selection_actions = SelectionActions(self)
        self.focus_keeper = FocusKeeper(self, self._default_focus)
        self.refresh_page()
        self.refresh_sidebar()
        # places and perceptual hashes an older catalog lacks: once, in the background; cancelled when the
        # window closes (hashing 100,000 thumbnails takes minutes, and closing must not wait for it)
        self._backfill = CancelToken()
        self.tasks.run(
            lambda: facade.backfill(self._backfill),
            lambda filled: self.refresh_sidebar() if filled else None,
            background=True,
        )

    # -- contents ----------------------------------------------------------------------------------------
    def refresh_all(self) -> None:
        self.refresh_page()
        self.refresh_gallery()
        self.refresh_sidebar()

    def refresh_page(self) -> None:
        """The welcome page or the gallery: it needs only the folders, so the gallery never waits for the
        sidebar's counts (seconds in a 100,000-photo library) to be shown and ask for its thumbnails."""
        self.tasks.run(self.facade.library.folders, lambda folders: self._show_page(bool(folders)))

    def refresh_sidebar(self) -> None:
        """Reads the sidebar's groups and counts in the background; while a read runs, changes only ask
        for one more after it (the live library asks every 1.5 s, and a read can take longer)."""
        if self._sidebar_running:
            self._sidebar_again = True
            return
        self._sidebar_running = True
        self.tasks.run(
            self.facade.sidebar, self._sidebar_loaded, lambda _message: self._sidebar_done(), background=True
        )

    _sidebar_running = _sidebar_again = False

    def _sidebar_done(self) -> None:
        self._sidebar_running = False
        if self._sidebar_again:
            self._sidebar_again = False
            self.refresh_sidebar()

    def _show_page(self, has_folders: bool) -> None:
        if not has_folders:
            self.pages.setCurrentWidget(self.welcome)
        elif self.pages.currentWidget() is self.welcome:
            self.pages.setCurrentWidget(self.gallery_page)

    def _sidebar_loaded(self, data: SidebarData) -> None:
        self._sidebar_done()
        self.sidebar.set_data(data)
        self.organize.sidebar_loaded(data)
        self.people.set_names([p.name for p in data.people if p.name])  # naming from the detail pane
        has_folders = bool(data.folders)
        if has_folders and self.live.live is None and self.live.failed is None:
            self.live.start()  # the window opened on a library, or its first folder was just added
        self._show_page(has_folders)

    def refresh_gallery(self) -> None:
        """The user changed what to show: the newest query wins, earlier ones are dropped."""
        self.ids_query.refresh()

    def _ids_loaded(self, generation: int, prepared: IdList) -> None:
        index = self.gallery.currentIndex()
        current = self.model.ids[index.row()] if index.isValid() else None
        self.model.set_ids(prepared)  # inserts and removals keep the current index on its photo
        ids = self.model.ids
        now = self.gallery.currentIndex()
        kept = now.isValid() and current is not None and self.model.ids[now.row()] == current
        row = self.model.row_of(current) if current is not None else None
        if row is None and ids and not now.isValid():
            row = 0
        if not kept and row is not None:
            self.gallery.setCurrentIndex(self.model.index(row))
        elif not ids:
            self.detail.clear()
        if prepared.partial:
            return  # the first screens only: the count and the title wait for the whole list
        view, query = self.sidebar.current_filter(), self.search.text().strip()
        self._gallery_count = photo_count(len(ids))
        if self.pages.currentWidget() not in (self.people, self.duplicates):
            self.count_label.setText(self._gallery_count)
        self.gallery_page.show_results(view, query, len(ids), lambda: self.ids_query.is_current(generation))

    def _reasons_loaded(self) -> None:
        index = self.gallery.currentIndex()
        if index.isValid():
            self._current_changed(index, index)

    def _empty_state_link(self, link: str) -> None:
        kind, _, value = link.partition(":")
        if kind == "all":  # search every photo, not only the sidebar's selection
            self.sidebar.setCurrentItem(self.sidebar.all_item)
        elif kind == "search":
            self.search.setText(value)
            self.search.request()

    def _tile_changed(self, side: int) -> None:
        self.loader.set_tile(side, self.devicePixelRatio())
        self.model.forget_pending_thumbnails()

    def _ids_failed(self, _generation: int, message: str) -> None:
        self.gallery_page.show_error(message)

    def _search_requested(self) -> None:
        """A search always shows its results, whichever page was shown."""
        self._show_gallery()
        self.refresh_gallery()

    def _filter_changed(self, view: ViewFilter) -> None:
        self._show_gallery()
        self.refresh_gallery()

    def _show_gallery(self, _view: ViewFilter | None = None) -> None:
        if self.pages.currentWidget() in (self.people, self.duplicates):
            self.pages.setCurrentWidget(self.gallery_page)
            self.detail.show()
            self.count_label.setText(self._gallery_count)
            index = self.gallery.currentIndex()
            if index.isValid():  # the detail pane shows the gallery's photo again
                self._current_changed(index, index)
            if self.sidebar.currentItem() in (self.sidebar.people_item, self.sidebar.duplicates_item):
                self.sidebar.setCurrentItem(self.sidebar.all_item)

    def _default_focus(self) -> QWidget:
        """Where the keyboard goes when nothing had it: the page shown."""
        if self.central.currentWidget() is self.viewer:
            return self.viewer
        page = self.pages.currentWidget()
        return (
            self.people.list
            if page is self.people
            else self.welcome
            if page is self.welcome
            else self.duplicates.list
            if page is self.duplicates
            else self.gallery
        )

    # -- selection, detail and viewer --------------------------------------------------------------------
    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid() and self.pages.currentWidget() not in (self.people, self.duplicates):
            photo_id = self.model.ids[current.row()]
            self.detail.show_photo(photo_id)
            self.why_matched.emit(photo_id, self.model.reasons_of(photo_id))

    def open_viewer(self, index: QModelIndex | None = None) -> None:
        index = index if index is not None and index.isValid() else self.gallery.currentIndex()
        if not index.isValid():
            return
        moment = self.gallery_page.moments.get(self.model.ids[index.row()])
        if moment is not None:  # a video the search found at a moment plays from there
            self.open_video_at(self.model.ids[index.row()], moment)
            return
        # One video plays at a time: the detail pane lets its player go and the viewer goes on from there.
        shown = self.detail.photo
        at = self.detail.release_video()
        self.central.setCurrentWidget(self.viewer)
        self.toolbar.hide()
        same = shown is not None and shown.id == self.model.ids[index.row()]
        self._show_in_viewer(index.row(), at if same else None)
        self.viewer.setFocus()

    def open_video_at(self, photo_id: int, start_s: float) -> None:
        """Selects a video and plays it full-window from ``start_s`` seconds (a search hit's moment)."""
        row = self.model.row_of(photo_id)
        if row is None:
            return
        self.detail.release_video()
        self.central.setCurrentWidget(self.viewer)
        self.toolbar.hide()
        self.gallery.setCurrentIndex(self.model.index(row))
        self._show_in_viewer(row, start_s)
        self.viewer.setFocus()

    def _show_in_viewer(self, row: int, start_s: float | None = None) -> None:
        position = f"{row + 1:,} of {self.model.rowCount():,}"
        if start_s is None:
            self.viewer.show_photo(self.model.ids[row], position)
        else:
            self.viewer.show_video(self.model.ids[row], start_s, position)

    def _viewer_step(self, delta: int) -> None:
        row = self.gallery.currentIndex().row() + delta
        if 0 <= row < self.model.rowCount():
            self.gallery.setCurrentIndex(self.model.index(row))
            self._show_in_viewer(row)

    def close_viewer(self) -> None:
        shown = self.viewer.photo_id
        at = self.viewer.player.position_s() if self.viewer.player.player is not None else None
        self.viewer.clear()  # its decoder goes first: one video open at a time
        # the pane goes on from where the viewer was, for the same video
        same = self.detail.photo is not None and self.detail.photo.id == shown
        self.detail.restore_video(at if same else None)
        self.central.setCurrentWidget(self.splitter)
        self.toolbar.show()
        self.gallery.scrollTo(self.gallery.currentIndex())
        self.gallery.setFocus()

    def show_people(self) -> None:
        """The people page, with nothing left over from the gallery: no photo in the detail pane, People
        current in the sidebar, and the people's count in the status bar."""
        self.pages.setCurrentWidget(self.people)
        self.detail.show()
        self.sidebar.mark_people()
        self.detail.clear()
        self.count_label.setText("")
        self.people.refresh()

    def show_duplicates(self) -> None:
        """The duplicates page: groups found again each time it is opened (files change meanwhile)."""
        self.pages.setCurrentWidget(self.duplicates)
        self.sidebar.mark_duplicates()
        self.detail.clear()
        self.detail.hide()  # each file's facts are on its card: the room goes to the files
        self.count_label.setText("")
        self.duplicates.refresh()

    def _people_counted(self, summary: str) -> None:
        if self.pages.currentWidget() is self.people:
            self.count_label.setText(summary)

    def _face_clicked(self, face: FaceRow) -> None:
        asked = face.asked
        title = f"Is this {asked}?" if asked else "Name this face"
        name = self.people.ask_name(title, face.person or asked or "")
        if name:
            face_id = face.id
            # Keeping the suggested name confirms the suggestion (shown as "confirmed by you").
            confirm = asked is not None and name == asked
            facade = self.facade
            self.tasks.run(
                lambda: facade.accept_suggestion(face_id) if confirm else facade.name_face(face_id, name),
                lambda _r: (self.detail.reload(), self.refresh_sidebar()),
                lambda message: self.statusBar().showMessage(message, 8000),
            )

    def _delete_pressed(self) -> None:
        if self.organize.albums.remove_selection():  # in an album, Delete takes photos out of it
            return
        text = "Photosorter never deletes or hides photos. To stop showing a folder, remove it in Settings."
        self.statusBar().showMessage(text, 8000)

    _gallery_count = ""

    # -- window events -----------------------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        if any(u.isLocalFile() and Path(u.toLocalFile()).is_dir() for u in urls):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        for url in event.mimeData().urls():
            if url.isLocalFile() and Path(url.toLocalFile()).is_dir():
                self.actions.add_folder(url.toLocalFile())
        event.acceptProposedAction()

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stops jobs and loaders and waits for worker threads: nothing may outlive the window."""
        self._backfill.cancel()
        self.actions.stop()
        self.live_wiring.stop()
        self.jobs.shutdown()
        self.loader.close()
        self.tasks.forget()
        self.pool.shutdown()
