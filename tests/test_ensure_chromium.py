"""`make test` runs scripts/ensure-chromium first: silent when Chromium is there, one line saying what
to install when it is missing and cannot be installed (no apt-get here)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "ensure-chromium"


def _bin_with(tmp_path: Path, *tools: str) -> Path:
    """A PATH folder holding only the named tools (links to the real ones)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for tool in tools:
        (folder / tool).symlink_to(shutil.which(tool))
    return folder


def test_stops_at_once_with_one_line_when_chromium_cannot_be_installed(tmp_path):
    folder = _bin_with(tmp_path, "id")
    result = subprocess.run(
        [shutil.which("bash"), str(SCRIPT)],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": str(folder), "CHROMIUM_PATH": str(tmp_path / "no-chromium")},
    )
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "apt-get install chromium" in lines[0]


def test_passes_silently_when_chromium_is_there(tmp_path):
    chromium = tmp_path / "chromium"
    chromium.write_text("#!/bin/sh\n")
    chromium.chmod(0o755)
    result = subprocess.run(
        [shutil.which("bash"), str(SCRIPT)],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": os.environ["PATH"], "CHROMIUM_PATH": str(chromium)},
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_the_makefile_runs_it_before_the_suite():
    makefile = (SCRIPT.parents[1] / "Makefile").read_text()
    recipe = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert recipe.index("scripts/ensure-chromium") < recipe.index("pytest")
