"""The host's facts: OS, uptime, load, memory, disks, the stack's version, clock, sockets, the unit.

Each is one read-only command over the same SSH connection, run concurrently; a command that
fails leaves its fact empty with the reason, the others still count. Every string is safe text.
"""

from __future__ import annotations

import asyncio
import shlex
from dataclasses import asdict, dataclass, field
from typing import Any

from services.core.safe_text import safe_text
from services.core.ssh import CommandResult, SshConnection
from services.health.check import Status
from services.health.unit import PROPERTIES, UnitStatus, parse_show

STACK_BINARY = "/tti/lorawan-stack/tti-lw-stack"
# The stack's listeners: HTTP/HTTPS, the Semtech UDP packet forwarder, 1881–1887 and their TLS twins.
EXPECTED_TCP = (80, 443, *range(1881, 1888), *range(8881, 8888))
EXPECTED_UDP = (1700,)
# OpenSSH allows 10 sessions per connection (MaxSessions): the facts take at most this many at once,
# leaving room for the tree listing and the screen's reads on the same connection.
CONCURRENT_COMMANDS = 4
DISK_WARN = 85
DISK_CRITICAL = 95


@dataclass(frozen=True)
class DiskUse:
    """One mount's use, as ``df`` reports it."""

    mount: str
    filesystem: str
    size: int
    used: int
    available: int
    percent: int


@dataclass(frozen=True)
class Finding:
    """One thing the operator should know, with what to do: a sentence and its weight."""

    status: Status
    sentence: str
    lines: tuple[str, ...] = ()  # supporting text (console output, journal lines)

    def __post_init__(self) -> None:
        # Sentences quote AWS and host strings: made safe here, once, whoever built the finding.
        object.__setattr__(self, "sentence", safe_text(self.sentence))
        object.__setattr__(self, "lines", tuple(safe_text(line) for line in self.lines))

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"status": self.status.value, "finding": self.sentence}
        if self.lines:
            data["lines"] = list(self.lines)
        return data


@dataclass(frozen=True)
class HostFacts:
    """What an engineer checks first after ``ssh`` and ``cd /tti``."""

    os_name: str = ""
    kernel: str = ""
    uptime_seconds: float | None = None
    load: tuple[float, float, float] | None = None
    memory_total: int | None = None
    memory_available: int | None = None
    disks: tuple[DiskUse, ...] = ()
    version: dict[str, str] = field(default_factory=dict)
    clock_synchronized: bool | None = None
    ntp_enabled: bool | None = None
    listening: tuple[str, ...] = ()  # "tcp/443", "udp/1700"
    unit: UnitStatus | None = None
    invocation_id: str = ""
    errors: tuple[str, ...] = ()

    def missing_listeners(self) -> list[str]:
        expected = [f"tcp/{p}" for p in EXPECTED_TCP] + [f"udp/{p}" for p in EXPECTED_UDP]
        return [p for p in expected if p not in self.listening]

    def findings(self) -> list[Finding]:
        """Disk over 85/95 %, an unsynchronised clock, missing listeners, a unit not active."""
        found: list[Finding] = []
        volumes: dict[str, list[DiskUse]] = {}
        for disk in self.disks:  # /tti is usually on the root volume: one finding per volume
            volumes.setdefault(disk.filesystem, []).append(disk)
        for disks in volumes.values():
            disk = disks[0]
            if disk.percent >= DISK_WARN:
                level = Status.CRITICAL if disk.percent >= DISK_CRITICAL else Status.WARN
                mounts = " and ".join(d.mount for d in disks)
                verb = "are" if len(disks) > 1 else "is"
                found.append(Finding(level, f"{mounts} ({disk.filesystem}) {verb} {disk.percent} % full; free space (old "
                                            "bootstrap logs, journald's vacuum) or grow the volume before the stack "
                                            "stops writing"))  # fmt: skip
        if self.clock_synchronized is False:
            found.append(Finding(Status.WARN, "The clock is not synchronised (timedatectl); TLS renewal and LoRaWAN "
                                              "timing depend on it: check chronyd"))  # fmt: skip
        if self.unit is not None and not self.unit.active:
            found.append(Finding(Status.CRITICAL, f"{self.unit.unit} is {self.unit.summary()}"))
        elif self.listening:
            missing = self.missing_listeners()
            if missing:
                found.append(Finding(Status.WARN, f"Nothing listens on {', '.join(missing)}; gateways or clients of "
                                                  "those ports cannot connect"))  # fmt: skip
        return found

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["unit"] = None
        if self.unit is not None:
            unit = self.unit
            data["unit"] = {
                "unit": unit.unit,
                "active_state": unit.active_state,
                "sub_state": unit.sub_state,
                "since": unit.since.isoformat() if unit.since else unit.since_text or None,
                "restarts": unit.restarts,
                "main_pid": unit.main_pid,
                "invocation_id": self.invocation_id,
            }
        data["missing_listeners"] = self.missing_listeners() if self.listening else []
        return data


def unit_argv(unit: str) -> list[str]:
    """``systemctl show`` with the health check's properties and the InvocationID."""
    return ["systemctl", "show", unit, "--no-pager", f"--property={','.join((*PROPERTIES, 'InvocationID'))}"]


def parse_unit(unit: str, text: str) -> tuple[UnitStatus, str]:
    """The unit's status and its InvocationID."""
    invocation = next(
        (line.split("=", 1)[1].strip() for line in text.splitlines() if line.startswith("InvocationID=")), ""
    )
    return parse_show(unit, "\n".join(safe_text(line) for line in text.splitlines())), safe_text(invocation)


async def gather_facts(conn: SshConnection, unit: str) -> HostFacts:
    """Every fact, read concurrently over ``conn``."""
    commands = {
        "os": ["cat", "/etc/os-release"],
        "kernel": ["uname", "-r"],
        "uptime": ["cat", "/proc/uptime"],
        "load": ["cat", "/proc/loadavg"],
        "memory": ["free", "-b"],
        "disk": ["df", "-P", "-B1", "/"],
        "disk_tti": ["df", "-P", "-B1", "/tti"],
        "version": [STACK_BINARY, "version"],
        "clock": ["timedatectl", "show"],
        "sockets": ["ss", "-Hltnu"],
        "unit": unit_argv(unit),
    }
    gate = asyncio.Semaphore(CONCURRENT_COMMANDS)

    async def run(argv: list[str]) -> CommandResult:
        async with gate:
            return await conn.run(argv, timeout=20)

    results = await asyncio.gather(*(run(argv) for argv in commands.values()), return_exceptions=True)
    out: dict[str, str] = {}
    errors: list[str] = []
    for (name, argv), result in zip(commands.items(), results, strict=True):
        if isinstance(result, CommandResult) and result.exit_status == 0:
            out[name] = result.stdout
        elif isinstance(result, CommandResult):
            first = (result.stderr.strip().splitlines() or [f"exit status {result.exit_status}"])[0]
            errors.append(f"{shlex.join(argv)}: {safe_text(first)}")
        elif isinstance(result, Exception):
            errors.append(f"{shlex.join(argv)}: {safe_text(str(result))}")
        else:
            raise result
    unit_status, invocation = parse_unit(unit, out["unit"]) if "unit" in out else (None, "")
    return HostFacts(
        os_name=_os_name(out.get("os", "")),
        kernel=safe_text(out.get("kernel", "").strip()),
        uptime_seconds=_first_float(out.get("uptime", "")),
        load=_load(out.get("load", "")),
        memory_total=_memory(out.get("memory", ""))[0],
        memory_available=_memory(out.get("memory", ""))[1],
        disks=_disks("/", out.get("disk", "")) + _disks("/tti", out.get("disk_tti", "")),
        version=_version(out.get("version", "")),
        clock_synchronized=_flag(out.get("clock", ""), "NTPSynchronized"),
        ntp_enabled=_flag(out.get("clock", ""), "NTP"),
        listening=_listening(out.get("sockets", "")),
        unit=unit_status,
        invocation_id=invocation,
        errors=tuple(errors),
    )


def _os_name(text: str) -> str:
    values = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    return safe_text((values.get("PRETTY_NAME") or values.get("NAME") or "").strip().strip('"'))


def _first_float(text: str) -> float | None:
    try:
        return float(text.split()[0])
    except (IndexError, ValueError):
        return None


def _load(text: str) -> tuple[float, float, float] | None:
    try:
        a, b, c = (float(x) for x in text.split()[:3])
    except ValueError:
        return None
    return a, b, c


def _memory(text: str) -> tuple[int | None, int | None]:
    for line in text.splitlines():
        parts = line.split()
        if parts[:1] == ["Mem:"] and len(parts) >= 7 and parts[1].isdigit() and parts[6].isdigit():
            return int(parts[1]), int(parts[6])
    return None, None


def _disks(path: str, text: str) -> tuple[DiskUse, ...]:
    """``df -P -B1 PATH``'s row: the use of the file system holding ``path``."""
    for line in text.splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 6 and all(p.isdigit() for p in parts[1:4]) and parts[4].endswith("%"):
            size, used, avail = int(parts[1]), int(parts[2]), int(parts[3])
            return (DiskUse(path, safe_text(parts[0]), size, used, avail, int(parts[4].rstrip("%") or 0)),)
    return ()


def _version(text: str) -> dict[str, str]:
    version: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and value.strip():
            version[safe_text(key.strip().lower().replace(" ", "_"))] = safe_text(value.strip())
        elif line.strip() and "product" not in version:
            version["product"] = safe_text(line.strip())
    return version


def _flag(text: str, key: str) -> bool | None:
    for line in text.splitlines():
        if line.startswith(key + "="):
            return line.split("=", 1)[1].strip() == "yes"
    return None


def _listening(text: str) -> tuple[str, ...]:
    found: set[str] = set()
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 5 and parts[0] in ("tcp", "udp"):
            port = parts[4].rsplit(":", 1)[-1]
            if port.isdigit():
                found.add(f"{parts[0]}/{port}")
    return tuple(sorted(found, key=lambda p: (p.split("/")[0], int(p.split("/")[1]))))
