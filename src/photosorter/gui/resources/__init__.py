"""Files the app ships: its icon (SVG, plus a PNG for desktops without SVG icons)."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent


def icon_path() -> Path:
    return HERE / "icon.svg"


def png_icon_path() -> Path:
    return HERE / "icon.png"
