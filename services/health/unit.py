"""The systemd unit's state on the instance (``systemctl show``), for the Health pane's service line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from services.core.config import Profile
from services.core.errors import ConsoleError
from services.core.ssh import connect

PROPERTIES = (
    "Id",
    "LoadState",
    "ActiveState",
    "SubState",
    "Result",
    "MainPID",
    "ExecMainStatus",
    "NRestarts",
    "ActiveEnterTimestamp",
    "InactiveEnterTimestamp",
    "StateChangeTimestamp",
)


@dataclass(frozen=True)
class UnitStatus:
    """What systemd says about the unit."""

    unit: str
    load_state: str
    active_state: str  # what `systemctl is-active` prints: active, failed, inactive, activating…
    sub_state: str
    result: str
    main_pid: int
    exit_status: int | None
    restarts: int | None  # NRestarts; None on systemd older than 235
    since: datetime | None  # when it entered its current state
    since_text: str  # systemd's own text when it could not be parsed

    @property
    def active(self) -> bool:
        return self.active_state == "active"

    def summary(self) -> str:
        """e.g. ``active (running) since 2026-11-26 10:00 UTC, 0 restarts``."""
        text = f"{self.active_state} ({self.sub_state})" if self.sub_state else self.active_state
        if self.since is not None:
            text += f" since {self.since:%Y-%m-%d %H:%M} UTC"
        elif self.since_text:
            text += f" since {self.since_text}"
        if self.restarts is not None:
            text += f", {self.restarts} restart{'s' if self.restarts != 1 else ''}"
        if self.active_state == "failed":
            text += f", result {self.result}"
            if self.exit_status:
                text += f", exit status {self.exit_status}"
        if self.load_state == "not-found":
            text = f"not found on the instance ({text})"
        return text


def parse_show(unit: str, text: str) -> UnitStatus:
    """Parse ``systemctl show`` output (``Key=Value`` lines)."""
    props: dict[str, str] = {}
    for line in text.splitlines():
        key, eq, value = line.partition("=")
        if eq:
            props[key.strip()] = value.strip()
    active = props.get("ActiveState", "")
    changed = props.get("StateChangeTimestamp", "")
    if not changed:
        changed = props.get("ActiveEnterTimestamp" if active == "active" else "InactiveEnterTimestamp", "")
    since = parse_systemd_time(changed)
    return UnitStatus(
        unit=props.get("Id") or unit,
        load_state=props.get("LoadState", ""),
        active_state=active or "unknown",
        sub_state=props.get("SubState", ""),
        result=props.get("Result", ""),
        main_pid=_int(props.get("MainPID")) or 0,
        exit_status=_int(props.get("ExecMainStatus")),
        restarts=_int(props.get("NRestarts")),
        since=since,
        since_text="" if since else changed,
    )


def parse_systemd_time(text: str) -> datetime | None:
    """``Thu 2026-11-26 10:00:00 UTC`` -> an aware datetime (UTC/GMT only; AMIs run in UTC)."""
    parts = text.split()
    if len(parts) == 4 and parts[3] in ("UTC", "GMT"):
        try:
            return datetime.strptime(f"{parts[1]} {parts[2]}", "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
        except ValueError:
            return None
    return None


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "", "[not set]") else None
    except ValueError:
        return None


async def unit_status(profile: Profile, host: str) -> UnitStatus:
    """``systemctl show <unit>`` over SSH."""
    unit = profile.ssh.unit
    async with await connect(profile, host) as conn:
        result = await conn.run(["systemctl", "show", unit, "--no-pager", f"--property={','.join(PROPERTIES)}"])
    if result.exit_status != 0:
        first = (result.stderr.strip().splitlines() or [f"exit status {result.exit_status}"])[0]
        raise ConsoleError(f"systemctl on {conn.where} could not show {unit}: {first}.")
    return parse_show(unit, result.stdout)
