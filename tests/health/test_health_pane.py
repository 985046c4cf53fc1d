"""The Health pane in a small App (Pilot) against real peers, the details screen, and SVG snapshots."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.app import App, ComposeResult

from services.core.config import Profile
from services.health.run import Check, CheckContext, CheckResult, Status
from tests.health_sandbox import eventually, health_peers, peer_checks
from tui.panes.health import HealthPane
from tui.screens.check_details import CheckDetailsScreen
from widgets.health_list import HealthLine, HealthList

NAMES = ["stack", "dns", "tls", "https", "plaintext", "ssh"]


class PaneApp(App[None]):
    """Hosts the pane the way the dashboard does: a bordered box about 7 rows tall, details on request."""

    CSS = """
    HealthPane { height: 7; border: round $accent; }
    """

    def __init__(self, profile: Profile, interval: float = 60.0, checks: list[Check] | None = None) -> None:
        super().__init__()
        self.profile = profile
        self.interval = interval
        # The checks these peers answer: DNS, HTTPS and SSH only (no IoT broker, no journal).
        self.checks = checks if checks is not None else peer_checks()

    def compose(self) -> ComposeResult:
        yield HealthPane(self.profile, interval=self.interval, checks=self.checks, id="health")

    def on_mount(self) -> None:
        self.query_one(HealthPane).border_title = "Health"

    def on_health_pane_details_requested(self, event: HealthPane.DetailsRequested) -> None:
        self.push_screen(CheckDetailsScreen(event.result))


def statuses(pane: HealthPane) -> dict[str, str]:
    return {line.name: line.status for line in pane.query_one(HealthList).lines}


def row_text(widget: HealthList, y: int) -> str:
    return widget.render_line(y).text


async def test_checks_start_on_stack_loaded_and_enter_opens_details(tmp_path: Path) -> None:
    async with health_peers(tmp_path) as peers:
        app = PaneApp(peers.profile)
        async with app.run_test(size=(80, 24)) as pilot:
            pane = app.query_one(HealthPane)
            assert statuses(pane) == dict.fromkeys(NAMES, "checking")
            assert pane.border_subtitle == "waiting for the stack"
            pane.stack_loaded(peers.stack)
            assert pane.checking and pane.border_subtitle == "checking…"
            await eventually(lambda: not pane.checking)
            await pilot.pause()
            assert statuses(pane) == dict.fromkeys(NAMES, "ok")
            assert pane.border_subtitle.startswith("checked ")
            assert pane.region.height == 7
            health_list = pane.query_one(HealthList)
            assert row_text(health_list, 0).startswith("✓ stack     COMPLETE     Stack ttes-demo is CREATE_COMPLETE")
            # One line per check: a long reason is cut with an ellipsis, never wrapped onto the next row.
            assert row_text(health_list, 1).startswith("✓ dns       198.51.100.7 demo.ttes.test → 198.51.100.7")
            assert row_text(health_list, 1).rstrip().endswith("…")
            assert row_text(health_list, 2).startswith("✓ tls       89 d         Valid certificate")

            health_list.focus()
            await pilot.press("down", "down", "enter")
            await pilot.pause()
            assert isinstance(app.screen, CheckDetailsScreen)
            assert app.screen.result.name == "tls"
            details = str(app.screen.query_one("#details").render())
            assert "verified_chain:" in details and "ttes-console sandbox" in details
            assert "sans:\n" in details and "- demo.ttes.test" in details
            await pilot.press("escape")
            assert not isinstance(app.screen, CheckDetailsScreen)


async def test_failures_show_in_words_and_reload_rechecks(tmp_path: Path) -> None:
    async with health_peers(tmp_path, frozenset({"cert-expired", "plaintext-open"})) as peers:
        app = PaneApp(peers.profile)
        async with app.run_test(size=(200, 50)) as pilot:
            pane = app.query_one(HealthPane)
            pane.stack_loaded(peers.stack)
            await eventually(lambda: not pane.checking)
            first = pane.checked_at
            expected = {"tls": "critical", "https": "critical", "plaintext": "critical"}  # https verifies too
            assert statuses(pane) == {**dict.fromkeys(NAMES, "ok"), **expected}
            await pilot.pause()
            health_list = pane.query_one(HealthList)
            # worst first: the three failures are the top lines, in the list's order
            assert "✗ tls       expired      The certificate for demo.ttes.test expired 2 days ago" in row_text(
                health_list, 0
            )
            assert row_text(health_list, 1).startswith("✗ https")
            assert row_text(health_list, 2).startswith("✗ plaintext")
            assert pane.border_title == "Health ✗ 3 critical"
            pane.reload()
            assert pane.checking and pane.border_subtitle == "checking…"
            assert statuses(pane)["tls"] == "critical"  # the last verdicts stay while re-checking
            await eventually(lambda: not pane.checking)
            assert pane.checked_at is not None and first is not None and pane.checked_at >= first


async def test_the_pane_rechecks_on_its_interval(tmp_path: Path) -> None:
    async with health_peers(tmp_path) as peers:
        app = PaneApp(peers.profile, interval=0.3)
        async with app.run_test(size=(80, 24)):
            pane = app.query_one(HealthPane)
            pane.stack_loaded(peers.stack)
            await eventually(lambda: pane.checked_at is not None)
            first = pane.checked_at
            await eventually(lambda: pane.checked_at != first and not pane.checking)


async def test_a_replaced_round_does_not_end_the_checking_state(tmp_path: Path) -> None:
    release = asyncio.Event()

    async def slow(ctx: CheckContext) -> CheckResult:
        await release.wait()
        return CheckResult("slow", Status.OK, "done")

    async with health_peers(tmp_path) as peers:
        app = PaneApp(peers.profile, checks=[*peer_checks(), Check("slow", slow, 30)])
        async with app.run_test(size=(80, 24)) as pilot:
            pane = app.query_one(HealthPane)
            pane.stack_loaded(peers.stack)
            await eventually(lambda: "dns" in pane.results)
            pane.reload()  # replaces the round still waiting for "slow"
            await pilot.pause()
            await pilot.pause()
            assert pane.checking and pane.border_subtitle == "checking…"
            assert statuses(pane)["slow"] == "checking"
            release.set()
            await eventually(lambda: not pane.checking)
            assert statuses(pane)["slow"] == "ok"


class ListApp(App[None]):
    """The Health list as the dashboard shows it, fed fixed data so the snapshot is stable."""

    CSS = "#box { height: 8; width: 64; border: round $accent; }"

    def __init__(self, lines: list[HealthLine]) -> None:
        super().__init__()
        self.lines = lines

    def compose(self) -> ComposeResult:
        health_list = HealthList(id="box")
        health_list.border_title = "Health"
        health_list.border_subtitle = "checked 10:42:07"
        yield health_list

    def on_mount(self) -> None:
        self.query_one(HealthList).show(self.lines)


HEALTHY = [
    HealthLine("stack", "ok", "COMPLETE", "Stack ttes-demo is CREATE_COMPLETE"),
    HealthLine("dns", "ok", "198.51.100.7", "demo.ttes.test → 198.51.100.7 at 1.1.1.1, 8.8.8.8 (TTL 300 s)"),
    HealthLine("tls", "ok", "89 d", "Valid certificate for demo.ttes.test, 89 days left, issued by R11"),
    HealthLine("https", "ok", "41 ms", "https://demo.ttes.test/console 200 in 41 ms, /healthz 200"),
    HealthLine("plaintext", "ok", "308", "http://demo.ttes.test redirects to https://demo.ttes.test/"),
    HealthLine("ssh", "ok", "23 ms", "SSH-2.0-OpenSSH_8.7 answers on 198.51.100.7:22 in 23 ms"),
]
FAILING = [
    HEALTHY[0],
    HealthLine("dns", "critical", "203.0.113.10", "demo.ttes.test → 203.0.113.10 ≠ PublicIP 198.51.100.7 at 1.1.1.1"),
    HealthLine("tls", "warn", "10 d", "The certificate for demo.ttes.test expires in 10 days; renewal is failing"),
    *HEALTHY[3:5],
    HealthLine("ssh", "checking", "", "checking…"),
]


def test_snapshot_healthy(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(ListApp(HEALTHY), terminal_size=(70, 10))


def test_snapshot_two_failures(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(ListApp(FAILING), terminal_size=(70, 10))


async def test_a_narrow_list_puts_the_reasons_of_failures_below_them_worst_first() -> None:
    app = ListApp(FAILING)
    async with app.run_test(size=(80, 12)) as pilot:
        box = app.query_one(HealthList)
        box.styles.width = 32  # the dashboard's Health area at 80×24
        await pilot.pause()
        assert row_text(box, 0).rstrip() == "✗ dns       203.0.113.10"
        assert row_text(box, 1).strip().startswith("demo.ttes.test →")
        assert "203.0.113.10" in row_text(box, 2)
        assert row_text(box, 3).startswith("! tls")
        assert "The certificate for" in row_text(box, 4)
        assert [line.status for line in box.lines] == ["critical", "warn", "checking", "ok", "ok", "ok"]
        box.styles.width = 64
        await pilot.pause()
        assert "demo.ttes.test → 203.0.113.10 ≠" in row_text(box, 0)
