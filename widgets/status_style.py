"""Colours for CloudFormation statuses, as rain shows them (theme variables, not fixed colours).

The classification itself is ``services.stack.status``: the Health check judges by the same rule.
"""

from __future__ import annotations

from services.stack.status import classify_status


def status_class(status: str, *, resource: bool = False) -> str:
    """The component/CSS class for a stack (or resource) status: ok, busy, bad or idle."""
    return classify_status(status, resource=resource).value


def status_mark(status: str, *, resource: bool = False) -> str:
    """A one-character mark that survives a terminal without colours."""
    return classify_status(status, resource=resource).mark
