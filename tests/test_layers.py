"""DESIGN.md's layers, checked in a fresh interpreter per package: what each must not pull in."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UI = ("textual", "rich")
SDKS = ("boto3", "botocore", "asyncssh", "awscrt", "awsiot", "dns", "moto")


def modules_of(package: str) -> list[str]:
    return [f"{package}.{m.name}" for m in pkgutil.iter_modules([str(ROOT / package)])]


def imported_by(module: str) -> set[str]:
    code = f"import sys, {module}; print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    return set(result.stdout.split())


@pytest.mark.parametrize("module", modules_of("services"))
def test_services_import_no_ui_and_load_sdks_lazily(module: str) -> None:
    loaded = imported_by(module)
    assert not loaded & set(UI), f"{module} imports {loaded & set(UI)}"
    assert not loaded & set(SDKS), f"{module} imports {loaded & set(SDKS)} at import time"
    assert "sandbox" not in loaded and "tui" not in loaded and "widgets" not in loaded


@pytest.mark.parametrize("module", modules_of("widgets"))
def test_widgets_know_nothing_of_the_world(module: str) -> None:
    loaded = imported_by(module)
    forbidden = set(SDKS) | {"services", "sandbox", "tui"}
    assert not loaded & forbidden, f"{module} imports {loaded & forbidden}"


def test_the_command_line_starts_without_ui_or_sdks() -> None:
    loaded = imported_by("tui.cli")
    assert not loaded & (set(UI) | set(SDKS)), loaded & (set(UI) | set(SDKS))


def test_services_never_import_the_sandbox() -> None:
    for path in (ROOT / "services").glob("*.py"):
        text = path.read_text()
        assert "import sandbox" not in text and "from sandbox" not in text, path.name
