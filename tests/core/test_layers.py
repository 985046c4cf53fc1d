"""DESIGN.md's layers, checked in a fresh interpreter per module: what each must not pull in."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UI = ("textual", "rich")
SDKS = ("boto3", "botocore", "asyncssh", "awscrt", "awsiot", "dns", "moto")
# The rules every layer shares, pure standard library: the safe-text rule and the stack-status
# classification (the widgets colour statuses by the rule the Health check judges them by).
PURE_RULES = ("services.core.safe_text", "services.stack.status")
SHARED_WITH_WIDGETS = {"services", "services.core", "services.stack", *PURE_RULES}


def modules_of(package: str) -> list[str]:
    """Every module of ``package``, sub-packages included."""
    found = pkgutil.walk_packages([str(ROOT / package)], prefix=f"{package}.")
    return sorted(m.name for m in found if not m.name.endswith("__main__"))


def imported_by(module: str) -> set[str]:
    """Every module (full dotted names) a fresh interpreter holds after ``import module``."""
    code = f"import sys, {module}; print(' '.join(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    return set(result.stdout.split())


def tops(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def test_every_layer_is_walked() -> None:
    assert "services.health.dns" in modules_of("services")
    assert "services.core.safe_text" in modules_of("services")


@pytest.mark.parametrize("module", modules_of("services"))
def test_services_import_no_ui_and_load_sdks_lazily(module: str) -> None:
    loaded = tops(imported_by(module))
    assert not loaded & set(UI), f"{module} imports {loaded & set(UI)}"
    assert not loaded & set(SDKS), f"{module} imports {loaded & set(SDKS)} at import time"
    assert "sandbox" not in loaded and "tui" not in loaded and "widgets" not in loaded


@pytest.mark.parametrize("module", modules_of("widgets"))
def test_widgets_know_nothing_of_the_world(module: str) -> None:
    loaded = imported_by(module)
    forbidden = set(SDKS) | {"sandbox", "tui"}
    assert not tops(loaded) & forbidden, f"{module} imports {tops(loaded) & forbidden}"
    services = {m for m in loaded if m.split(".")[0] == "services"}
    assert services <= SHARED_WITH_WIDGETS, f"{module} imports {services - SHARED_WITH_WIDGETS}"


@pytest.mark.parametrize("module", PURE_RULES)
def test_shared_rules_are_standard_library_only(module: str) -> None:
    loaded = imported_by(module) - imported_by("sys")
    ours = {m for m in loaded if m.split(".")[0] in {"services", "widgets", "tui", "sandbox"}}
    assert ours <= SHARED_WITH_WIDGETS and module in ours
    third_party = {m for m in tops(loaded) if m not in sys.stdlib_module_names and m != "services"}
    assert not third_party, third_party


def test_the_command_line_starts_without_ui_or_sdks() -> None:
    loaded = tops(imported_by("tui.cli"))
    assert not loaded & (set(UI) | set(SDKS)), loaded & (set(UI) | set(SDKS))


def test_services_never_import_the_sandbox() -> None:
    for path in (ROOT / "services").rglob("*.py"):
        text = path.read_text()
        assert "import sandbox" not in text and "from sandbox" not in text, path.name
