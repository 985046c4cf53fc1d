"""`ttes-console report`: the hand-over as Markdown, checked by parsing its headings and tables."""

from __future__ import annotations

import stat
from pathlib import Path

from tests.conftest import RunningSandbox, run_cli

PARTS = [
    "Now",
    "Health transitions",
    "Top errors",
    "Uplink traffic",
    "Changes",
    "Actions taken",
    "Still failing",
]


def _cells(line: str) -> list[str]:
    """A Markdown table row's cells (escaped pipes stay inside their cell)."""
    inner = line.strip()[1:-1].replace("\\|", "\0")
    return [c.strip().replace("\0", "|") for c in inner.split("|")]


def parse_markdown(text: str) -> tuple[str, dict[str, list[str]], dict[str, list[dict[str, str]]]]:
    """(title, section -> its lines, section -> its table's rows as dicts)."""
    title = ""
    sections: dict[str, list[str]] = {}
    tables: dict[str, list[dict[str, str]]] = {}
    current = ""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("# "):
            title = line[2:]
        elif line.startswith("## "):
            current = line[3:]
            sections[current] = []
        elif line.startswith("|") and current:
            header = _cells(line)
            separator = _cells(lines[i + 1])
            assert all(set(s) <= set("-:") and s for s in separator), lines[i + 1]
            assert len(separator) == len(header)
            rows = []
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                cells = _cells(lines[i])
                assert len(cells) == len(header), lines[i]
                rows.append(dict(zip(header, cells, strict=True)))
                i += 1
            tables[current] = rows
            continue
        elif current:
            sections[current].append(line)
        i += 1
    return title, sections, tables


def test_demo_report_has_every_part_with_the_story() -> None:
    done = run_cli("--demo", "report", "--since", "3h")
    assert done.returncode == 0, done.stderr
    title, sections, tables = parse_markdown(done.stdout)
    assert title == "Hand-over: ttes-demo (eu-west-1)"
    assert [s for s in sections if s in PARTS] == PARTS
    assert {row["Check"] for row in tables["Now"]} >= {"stack", "dns", "tls", "https", "ssh"}
    assert {(r["Check"], r["From"], r["To"]) for r in tables["Health transitions"]} >= {
        ("ssh", "ok", "critical"),
        ("ssh", "critical", "ok"),
    }
    redis = [r for r in tables["Top errors"] if "pkg/redis:connection" in r["Error"]]
    assert len(redis) == 1 and redis[0]["New"] == "yes" and int(redis[0]["Count"]) > 50
    assert redis[0]["First seen"] <= redis[0]["Last seen"]
    traffic = tables["Uplink traffic"][0]
    assert traffic["Change"].startswith("-")
    assert any("below the same time yesterday" in line for line in sections["Uplink traffic"])
    changes = [r["What"] for r in tables["Changes"]]
    assert any("UPDATE_COMPLETE" in w for w in changes)
    assert any("Failover" in w for w in changes)
    assert any("Started The Things Stack" in w for w in changes)
    action = tables["Actions taken"][0]
    assert (action["Who"], action["Action"], action["Outcome"]) == ("alice", "create_snapshot", "ok")
    assert action["Principal"] == "arn:aws:iam::123456789012:user/oncall"
    assert any("pkg/redis:connection" in line for line in sections["Still failing"])
    assert "Sources not read" not in sections


def test_report_to_a_file_is_private(sandbox: RunningSandbox, tmp_path: Path) -> None:
    target = tmp_path / "handover.md"
    done = run_cli(
        "--config", str(sandbox.config_path), "report", "--since", "1h", "-o", str(target), env=sandbox.environ
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    title, sections, _ = parse_markdown(target.read_text())
    assert title.startswith("Hand-over: ttes-demo")
    assert [s for s in sections if s in PARTS] == PARTS


def test_table_cells_cannot_break_the_markdown() -> None:
    from services.timeline.report import cell

    assert cell("a|b\nc\x1b[31m`x`") == "a\\|b\\nc\\x1b[31m'x'".replace("\\n", " ")
