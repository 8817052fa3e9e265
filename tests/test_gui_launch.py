"""Starting the app where it cannot open a window: one clear line, never Qt's abort."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import subprocess
import sys
from pathlib import Path

from photosorter.gui import launch as launch_module

SRC = Path(__file__).parents[1] / "src"


def test_without_a_display_it_prints_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env |= {"QT_QPA_PLATFORM": "xcb", "PYTHONPATH": str(SRC)}
    result = subprocess.run(
        [sys.executable, "-m", "photosorter", "--home", str(tmp_path / "home"), "gui"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "no display" in lines[0]


def test_a_missing_xcb_library_is_named_with_the_install_command(monkeypatch) -> None:
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.setenv("DISPLAY", ":42")
    monkeypatch.setattr(launch_module, "_loadable", lambda name: name != "xcb-cursor")
    problem = launch_module.display_problem()
    assert problem is not None and "\n" not in problem
    assert "libxcb-cursor0" in problem
    assert "sudo apt install" in problem


def test_offscreen_needs_no_display(monkeypatch) -> None:
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    monkeypatch.delenv("DISPLAY", raising=False)
    assert launch_module.display_problem() is None
