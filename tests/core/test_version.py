"""The version is written once (pyproject.toml) and read from the installed package's metadata."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import pytest

from tui.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_version_comes_from_the_package_metadata(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out == f"ttes-console {version('ttes-console')}\n"


def test_no_second_copy_of_the_version_in_the_code() -> None:
    written = version("ttes-console")
    copies = [
        str(p.relative_to(ROOT))
        for package in ("services", "widgets", "tui", "sandbox")
        for p in (ROOT / package).rglob("*.py")
        if f'"{written}"' in p.read_text()
    ]
    assert copies == []
