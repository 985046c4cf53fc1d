"""The one classification of CloudFormation statuses: what the Health check judges and what every pane colours.

Pure standard library, so the widgets that colour a status use this rule and not a copy.
A stack that is being deleted or was rolled back is bad news, whatever its suffix says; a
*resource* being deleted is the normal end of a replacement during an update, so for resources
and their events ``DELETE_*`` is busy or done, not bad.
"""

from __future__ import annotations

import enum

__all__ = ["StatusKind", "classify_status"]


class StatusKind(enum.Enum):
    """The four ways a status reads: settled and fine, changing, failed or going away, or neither."""

    OK = "ok"
    BUSY = "busy"
    BAD = "bad"
    IDLE = "idle"

    @property
    def mark(self) -> str:
        """A one-character mark that survives a terminal without colours."""
        return _MARKS[self]


_MARKS = {StatusKind.OK: "✓", StatusKind.BUSY: "…", StatusKind.BAD: "✗", StatusKind.IDLE: "·"}
_SETTLED = ("available", "AVAILABLE")


def classify_status(status: str, *, resource: bool = False) -> StatusKind:
    """The kind of a stack status (or, with ``resource=True``, a resource's or an event's status)."""
    if "FAILED" in status or "ROLLBACK" in status:
        return StatusKind.BAD
    if status.startswith("DELETE"):
        if not resource:
            return StatusKind.BAD
        return StatusKind.BUSY if status.endswith("_IN_PROGRESS") else StatusKind.IDLE
    if status.endswith(("_IN_PROGRESS", "_PENDING")):
        return StatusKind.BUSY
    if status.endswith("_COMPLETE") or status in _SETTLED:
        return StatusKind.OK
    return StatusKind.IDLE
