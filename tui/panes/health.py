"""The Health pane: every check on one line, re-checked every minute and on ``r``; Enter for details."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.message import Message
from textual.timer import Timer

from services.core.config import Profile
from services.health.run import Check, CheckResult, all_checks, iter_checks
from services.stack.model import Stack
from services.timeline.health_history import keep_history
from tui.panes import Pane
from widgets.health_list import MARKS, RANK, HealthLine, HealthList

RECHECK_SECONDS = 60.0


class HealthPane(Pane):
    """Runs the health checks concurrently and shows each verdict as soon as it is known."""

    DEFAULT_CSS = """
    HealthPane { height: 1fr; }
    HealthPane > HealthList { height: 1fr; }
    """

    class DetailsRequested(Message):
        """The operator wants the full details of one check; the screen decides how to show them."""

        def __init__(self, result: CheckResult) -> None:
            super().__init__()
            self.result = result

    class VerdictChanged(Message):
        """The overall verdict changed: ``status`` is the worst check's, ``summary`` says why in one line."""

        def __init__(self, status: str, summary: str, failing: tuple[str, ...]) -> None:
            super().__init__()
            self.status = status
            self.summary = summary
            self.failing = failing

    def __init__(
        self,
        profile: Profile,
        *,
        read_only: bool = False,
        interval: float = RECHECK_SECONDS,
        checks: Sequence[Check] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(profile, read_only=read_only, **kwargs)
        self.checks = tuple(checks) if checks is not None else all_checks()
        self.interval = interval
        self.results: dict[str, CheckResult] = {}
        self.checking = False
        self.checked_at: datetime | None = None
        self._names = [check.name for check in self.checks]
        self._timer: Timer | None = None
        self._round = 0  # which round of checks is current (a replaced round must not touch the display)
        self._verdict: tuple[str, str, tuple[str, ...]] = ("", "", ())

    def compose(self) -> ComposeResult:
        yield HealthList(id="health-list")

    def on_mount(self) -> None:
        self.border_subtitle = "waiting for the stack"
        self._show()

    def stack_loaded(self, stack: Stack) -> None:
        super().stack_loaded(stack)
        self.start_checks()
        if self._timer is None:
            self._timer = self.set_interval(self.interval, self.start_checks)
        else:
            self._timer.reset()

    def reload(self) -> None:
        if self.stack is not None:
            self.start_checks()

    def start_checks(self) -> None:
        """Run every check once (a run still going is cancelled and replaced)."""
        if self.stack is None:
            return
        self._round += 1
        self.checking = True
        self.border_subtitle = "checking…"
        self._show()
        self._run(self.stack, self._round)

    @work(exclusive=True, group="health-checks", exit_on_error=False)
    async def _run(self, stack: Stack, round_: int) -> None:
        async for result in iter_checks(self.profile, stack=stack, checks=self.checks):
            if round_ != self._round:
                return
            self.results[result.name] = result
            if result.name not in self._names:
                self._names.append(result.name)
            self._show()
        if round_ == self._round:
            await keep_history(self.profile, self.results.values())
            self.checking = False
            self.checked_at = datetime.now()
            self.border_subtitle = f"checked {self.checked_at:%H:%M:%S}"
            self._show()

    def show_failure(self, sentence: str) -> None:
        self.checking = False
        super().show_failure(sentence)

    def _show(self) -> None:
        lines = []
        for name in self._names:
            result = self.results.get(name)
            if result is None:
                waiting = "checking…" if self.checking else "waiting for the stack"
                lines.append(HealthLine(name, "checking", "", waiting))
            else:
                lines.append(HealthLine(name, result.status.value, result.figure, result.summary))
        self.query_one(HealthList).show(lines)
        self._show_verdict()

    def verdict(self) -> tuple[str, str, tuple[str, ...]]:
        """(worst status, one-line summary, names of the checks not ok), from the results so far."""
        bad = sorted(
            (r for r in self.results.values() if r.status.value != "ok"), key=lambda r: RANK[r.status.value]
        )
        if not bad:
            done = len(self.results)
            return ("ok" if done else "", f"all {done} checks ok" if done else "", ())
        worst = bad[0]
        more = f" (+{len(bad) - 1} more)" if len(bad) > 1 else ""
        summary = f"{MARKS[worst.status.value]} {worst.name}: {worst.summary}{more}"
        return worst.status.value, summary, tuple(r.name for r in bad)

    def _show_verdict(self) -> None:
        status, summary, failing = self.verdict()
        counts = {s: sum(1 for r in self.results.values() if r.status.value == s) for s in RANK}
        words = [f"{counts[s]} {s}" for s in ("critical", "warn", "unknown") if counts[s]]
        if words:
            title = f"Health {MARKS[status]} " + " · ".join(words)
        elif self.results and not self.checking:
            title = f"Health ✓ {counts['ok']} ok"
        else:
            title = "Health"
        self.border_title = title
        self.set_class(status in ("critical", "warn", "unknown"), "-failing")
        if (status, summary, failing) != self._verdict:
            self._verdict = (status, summary, failing)
            self.post_message(self.VerdictChanged(status, summary, failing))

    def on_health_list_selected(self, event: HealthList.Selected) -> None:
        event.stop()
        result = self.results.get(event.check)
        if result is not None:
            self.post_message(self.DetailsRequested(result))
