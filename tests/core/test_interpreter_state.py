"""Services and headless commands leave the interpreter as they find it; only the app's start-up tunes it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Calls that change the whole process: the switch interval, the collector, the environment.
_PROCESS_WIDE = {
    ("sys", "setswitchinterval"),
    ("gc", "set_threshold"),
    ("gc", "freeze"),
    ("gc", "disable"),
    ("gc", "enable"),
    ("os", "putenv"),
    ("os", "unsetenv"),
}
_ENVIRON_WRITES = {"update", "pop", "setdefault", "clear", "popitem", "__setitem__", "__delitem__"}


def process_wide_changes(path: Path) -> list[str]:
    """Each place in ``path`` that changes interpreter-wide state, as ``line: what``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.id if isinstance(owner, ast.Name) else ""
            if (name, node.func.attr) in _PROCESS_WIDE:
                found.append(f"{node.lineno}: {name}.{node.func.attr}")
            if _is_environ(owner) and node.func.attr in _ENVIRON_WRITES:
                found.append(f"{node.lineno}: os.environ.{node.func.attr}")
        targets = node.targets if isinstance(node, ast.Assign | ast.Delete) else []
        if isinstance(node, ast.AugAssign):
            targets = [node.target]
        for target in targets:
            if isinstance(target, ast.Subscript) and _is_environ(target.value):
                found.append(f"{node.lineno}: os.environ[...]")
    return found


def _is_environ(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "environ" and isinstance(node.value, ast.Name)


@pytest.mark.parametrize("package", ["services", "widgets", "tui/cli", "tui/panes", "tui/screens"])
def test_no_process_wide_change_outside_the_app_start_up(package: str) -> None:
    changes = {
        str(p.relative_to(ROOT)): found for p in (ROOT / package).rglob("*.py") if (found := process_wide_changes(p))
    }
    assert changes == {}


def test_the_app_start_up_is_where_they_live() -> None:
    found = [change.split(": ", 1)[1] for change in process_wide_changes(ROOT / "tui" / "runtime.py")]
    assert sorted(set(found)) == ["gc.freeze", "gc.set_threshold", "sys.setswitchinterval"]


def test_the_walk_sees_each_kind_of_change(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import gc, os, sys\n"
        "sys.setswitchinterval(0.001)\n"
        "gc.set_threshold(1)\n"
        "os.environ['A'] = 'b'\n"
        "os.environ.update(B='c')\n"
        "del os.environ['A']\n"
    )
    assert len(process_wide_changes(sample)) == 5
    assert re.search("os.environ", " ".join(process_wide_changes(sample)))
