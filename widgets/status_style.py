"""Colours for CloudFormation statuses, as rain shows them (theme variables, not fixed colours)."""

from __future__ import annotations


def status_class(status: str) -> str:
    """The component/CSS class for a stack or resource status: ok, busy, bad or idle."""
    if "FAILED" in status or "ROLLBACK" in status or status.startswith("DELETE_COMPLETE"):
        return "bad"
    if status.endswith("_IN_PROGRESS") or status.endswith("_PENDING") or status == "REVIEW_IN_PROGRESS":
        return "busy"
    if status.endswith("_COMPLETE") or status in ("AVAILABLE", "available"):
        return "ok"
    return "idle"


def status_mark(status: str) -> str:
    """A one-character mark that survives a terminal without colours."""
    return {"ok": "✓", "busy": "…", "bad": "✗", "idle": "·"}[status_class(status)]
