"""The README's set-up commands and CI must agree: CI runs exactly what a new developer runs."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).parents[1]


def readme_commands() -> list[str]:
    lines = (ROOT / "README.md").read_text().splitlines()
    start = lines.index("```sh") + 1
    return lines[start : start + 2]


def test_the_readme_begins_with_the_app_command_and_the_test_command() -> None:
    app, tests = readme_commands()
    assert app.endswith("photosorter") and "pip install ." in app
    assert '".[test]"' in tests and "pytest" in tests


def test_ci_runs_exactly_the_readme_test_command() -> None:
    _app, tests = readme_commands()
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert tests in ci_lines
