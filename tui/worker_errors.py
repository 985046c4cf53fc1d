"""A worker that fails shows why in its own pane or screen, as one sentence; the app keeps running.

Every ``@work`` in tui/ runs with ``exit_on_error=False``, and its node mixes in
:class:`ShowsWorkerFailures`: Textual then posts ``Worker.StateChanged`` with the ERROR state to
that node, which says what stopped. Expected failures (a :class:`ConsoleError`) are usually
caught inside the worker, next to the call; this catches the rest.
"""

from __future__ import annotations

from typing import Any

from textual.worker import Worker, WorkerState

from services.core.errors import ConsoleError
from services.core.safe_text import safe_text


def failure_sentence(worker: Worker[Any]) -> str:
    """What the operator reads when ``worker`` ended on an exception."""
    error = worker.error
    if isinstance(error, ConsoleError):
        return str(error)
    what = (worker.group if worker.group != "default" else "") or worker.name or "A background task"
    if error is None:
        return safe_text(f"{what} stopped.")
    from tui import diagnostics  # logs the traceback; the sentence names the log

    return safe_text(diagnostics.unexpected(error, what) + " r retries.")


class ShowsWorkerFailures:
    """Mixin for a pane, screen or app whose workers run with ``exit_on_error=False``."""

    def show_failure(self, sentence: str) -> None:
        """Show ``sentence`` where the operator looks for this node's data."""
        raise NotImplementedError

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.show_failure(failure_sentence(event.worker))
