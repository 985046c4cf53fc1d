"""What a health check is: its verdict, its result, what it runs against, and the check itself.

Every check module and the runner import these types from here, so the module that lists the
checks imports the check modules and nothing imports back.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.core.config import Profile
from services.stack.model import Stack


class Status(enum.Enum):
    """A check's verdict, with the Nagios plugin exit code it maps to."""

    OK = "ok"
    WARN = "warn"
    CRITICAL = "critical"
    UNKNOWN = "unknown"

    @property
    def exit_code(self) -> int:
        return _EXIT_CODES[self]

    @property
    def nagios(self) -> str:
        """The Nagios word: OK, WARNING, CRITICAL, UNKNOWN."""
        return _NAGIOS_WORDS[self]

    @property
    def severity(self) -> int:
        """Ordering for the overall verdict: not knowing is worse than a known warning."""
        return _SEVERITY[self]


_EXIT_CODES = {Status.OK: 0, Status.WARN: 1, Status.CRITICAL: 2, Status.UNKNOWN: 3}
_NAGIOS_WORDS = {Status.OK: "OK", Status.WARN: "WARNING", Status.CRITICAL: "CRITICAL", Status.UNKNOWN: "UNKNOWN"}
_SEVERITY = {Status.OK: 0, Status.WARN: 1, Status.UNKNOWN: 2, Status.CRITICAL: 3}


def worst(statuses: Sequence[Status]) -> Status:
    """The overall verdict of several checks (OK when there are none)."""
    return max(statuses, key=lambda s: s.severity, default=Status.OK)


@dataclass(frozen=True)
class CheckResult:
    """One check's outcome: ``summary`` is the reason in words, ``details`` is JSON-ready."""

    name: str
    status: Status
    summary: str
    details: Mapping[str, Any] = field(default_factory=dict)
    figure: str = ""  # the key figure shown beside the status mark, e.g. "89 d" or "12 ms"

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status.value, "summary": self.summary, "details": dict(self.details)}


@dataclass(frozen=True)
class CheckContext:
    """What a check runs against: the profile and the loaded stack (or why it is missing)."""

    profile: Profile
    stack: Stack | None
    stack_error: str = ""

    @property
    def domain(self) -> str:
        return self.stack.domain if self.stack else ""

    @property
    def public_ip(self) -> str:
        return self.stack.public_ip if self.stack else ""

    @property
    def web_host(self) -> str:
        """Where the tls, https and plaintext checks connect: ``tls.connect_host``, else the PublicIP."""
        return self.profile.tls.connect_host or self.public_ip

    def missing(self, what: str) -> str:
        """The sentence for a check that cannot run because a stack output is unknown."""
        if self.stack is None:
            return f"No {what} to check: the stack could not be loaded ({self.stack_error.rstrip('.')})."
        return f"No {what} to check: stack {self.stack.name} has no {what} output."


CheckFn = Callable[[CheckContext], Awaitable[CheckResult]]


@dataclass(frozen=True)
class Check:
    """A named check and the time it may take (seconds, or computed from the profile)."""

    name: str
    run: CheckFn
    timeout: float | Callable[[Profile], float] = 10.0

    def timeout_for(self, profile: Profile) -> float:
        return self.timeout(profile) if callable(self.timeout) else self.timeout


def report_json(results: Sequence[CheckResult]) -> dict[str, Any]:
    """The ``check --json`` document: the overall verdict and every check's result."""
    return {"status": worst([r.status for r in results]).value, "checks": [r.as_json() for r in results]}
