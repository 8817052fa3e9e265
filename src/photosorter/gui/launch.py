"""Starting the desktop app: checks the display and system libraries first, so failures are one clear line."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import socket
import sys
from collections.abc import Iterator
from typing import Any

# Qt's xcb plugin loads these at start and aborts without them; PySide6 wheels do not carry them.
XCB_LIBRARIES = {
    "xcb-cursor": "libxcb-cursor0",
    "xcb-icccm": "libxcb-icccm4",
    "xcb-keysyms": "libxcb-keysyms1",
    "xcb-image": "libxcb-image0",
    "xcb-render-util": "libxcb-render-util0",
    "xcb-xkb": "libxcb-xkb1",
    "xkbcommon-x11": "libxkbcommon-x11-0",
    "xcb-shape": "libxcb-shape0",
    "xcb-randr": "libxcb-randr0",
    "xcb-xinerama": "libxcb-xinerama0",
}
APT_ALL = "sudo apt install " + " ".join(XCB_LIBRARIES.values())


def platform_name() -> str:
    """The Qt platform plugin that will be used (before a QApplication exists)."""
    explicit = os.environ.get("QT_QPA_PLATFORM", "").split(":")[0].split(";")[0].strip()
    if explicit:
        return explicit
    if sys.platform.startswith("linux"):
        if os.environ.get("WAYLAND_DISPLAY") and not os.environ.get("DISPLAY"):
            return "wayland"
        return "xcb"
    return "native"


def _loadable(name: str) -> bool:
    found = ctypes.util.find_library(name)
    candidates = [found] if found else []
    candidates.append(f"lib{name}.so.0")
    candidates.append(f"lib{name}.so.1")
    candidates.append(f"lib{name}.so.4")
    for candidate in candidates:
        try:
            ctypes.CDLL(candidate)
            return True
        except OSError:
            continue
    return False


def missing_xcb_library() -> str | None:
    """The Debian package of the first missing xcb library, or None when all load."""
    for name, package in XCB_LIBRARIES.items():
        if not _loadable(name):
            return package
    return None


def display_problem() -> str | None:
    """A one-line reason the window cannot open, or None."""
    platform = platform_name()
    if platform in ("offscreen", "minimal", "vnc", "eglfs", "linuxfb", "native", "windows", "cocoa"):
        return None
    if platform == "xcb":
        if not os.environ.get("DISPLAY"):
            return (
                "photosorter: no display found (DISPLAY is not set); run it in a desktop session, "
                "or use the command line (photosorter --help)"
            )
        package = missing_xcb_library()
        if package is not None:
            return (
                f"photosorter: the system library {package} is missing, which Qt needs to open a window; "
                f"install it with: {APT_ALL}"
            )
    if platform == "wayland" and not os.environ.get("WAYLAND_DISPLAY"):
        return "photosorter: no Wayland display found (WAYLAND_DISPLAY is not set)"
    return None


def launch(home: str | None, folder: str | None) -> int:
    problem = display_problem()
    if problem is not None:
        print(problem, file=sys.stderr)
        return 1
    from PySide6.QtWidgets import QApplication

    from photosorter.core.library import Library
    from photosorter.gui.facade import Facade
    from photosorter.gui.main_window import MainWindow
    from photosorter.gui.theme import apply_theme

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "photosorter"])
    if app.platformName() == "" or not QApplication.primaryScreen():
        print("photosorter: no display available for the window", file=sys.stderr)
        return 1
    apply_theme(app)
    library = Library.open(home)
    window = MainWindow(Facade(library))
    window.show()
    if folder:
        window.actions.add_folder(folder)
    # no explicit scan: the live library catches up with the disk when it starts (gui/live.py)
    with quit_on_signals(app):
        try:
            return int(app.exec())
        finally:
            window.shutdown()
            library.close()


# What a logout or system shutdown (TERM), Ctrl-C in the terminal (INT) and a closed terminal (HUP) send
QUIT_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, name)
)


@contextlib.contextmanager
def quit_on_signals(app: Any) -> Iterator[None]:
    """While inside, TERM, INT and HUP end ``app``'s event loop, so the window shuts down as if closed;
    a second one while that shutdown runs ends the process at once (its workers end with it).

    Python runs its signal handlers only when the main thread runs Python, and a Qt event loop may
    wait in C for minutes; so the C-level handler writes the signal number to a socket (Python's wakeup
    fd) that Qt watches, and the socket's notifier is Python code.
    """
    from PySide6.QtCore import QSocketNotifier

    receive, send = socket.socketpair()
    receive.setblocking(False)
    send.setblocking(False)

    quitting = False

    def received() -> None:
        numbers = b""
        with contextlib.suppress(OSError):
            numbers = receive.recv(64)  # one byte per signal caught, whichever had a Python handler
        if any(number in QUIT_SIGNALS for number in numbers):
            app.exit(0)

    def handle(signum: int, frame: Any) -> None:
        nonlocal quitting
        if quitting:  # asked twice: the user does not want to wait for the shutdown
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
        quitting = True  # the notifier ends the event loop

    notifier = QSocketNotifier(receive.fileno(), QSocketNotifier.Type.Read)
    notifier.activated.connect(received)
    previous_fd = signal.set_wakeup_fd(send.fileno(), warn_on_full_buffer=False)
    previous = {signum: signal.signal(signum, handle) for signum in QUIT_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        signal.set_wakeup_fd(previous_fd)
        notifier.setEnabled(False)
        notifier.deleteLater()
        receive.close()
        send.close()
