"""A deterministic journal of ``lorawan-stack.service``: entries as journalctl would print them.

Entry ``seqnum`` is a pure function of the seqnum and the scenarios, and the journal's head is a
function of the clock (a backlog, then ``rate`` entries per second from ``t0``). So every reader
— the sandbox SSH server, or the fake ``journalctl`` put on a real sshd's PATH by the
end-to-end tests (``python -m sandbox.journalctl``) — sees the same journal with stable
``__CURSOR`` and ``__SEQNUM`` values.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

UNIT = "lorawan-stack.service"
HOSTNAME = "ip-10-0-1-23.eu-west-1.compute.internal"
BOOT_ID = "5b3c3a1f0e7d4c2a9e8f7a6b5c4d3e2f"
MACHINE_ID = "ec2b7c9d1e0f4a3b8c6d5e4f3a2b1c0d"
SEQNUM_ID = "9a8b7c6d5e4f30211203f4e5d6c7b8a9"
INVOCATION_ID = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
PID = 2417
BACKLOG_SPACING = 0.8  # seconds between backlog entries
ORDINARY_VARIANTS = 8192  # distinct ordinary messages (request ids, durations…)

_STARTUP = [
    ("INFO", "Setting up Identity Server", "identityserver", {}),
    ("INFO", "Setting up Gateway Server", "gatewayserver", {}),
    ("INFO", "Setting up Network Server", "networkserver", {}),
    ("INFO", "Setting up Application Server", "applicationserver", {}),
    ("INFO", "Setting up Join Server", "joinserver", {}),
    ("INFO", "Starting...", "cmd", {}),
    ("INFO", "Listening for connections", "grpc", {"address": "0.0.0.0:1884", "protocol": "grpc"}),
    ("INFO", "Listening for connections", "web", {"address": "0.0.0.0:1885", "protocol": "http"}),
    ("INFO", "Listening for connections", "web", {"address": "0.0.0.0:8885", "protocol": "https"}),
    ("INFO", "Listening for connections", "gatewayserver/io/udp", {"address": "0.0.0.0:1700", "protocol": "udp"}),
    ("INFO", "Listening for connections", "gatewayserver/io/mqtt", {"address": "0.0.0.0:1882", "protocol": "mqtt"}),
]
_GRPC = [
    ("ttn.lorawan.v3.GsNs", "HandleUplink"),
    ("ttn.lorawan.v3.NsAs", "HandleUplink"),
    ("ttn.lorawan.v3.EntityAccess", "AuthInfo"),
    ("ttn.lorawan.v3.GatewayRegistry", "Get"),
    ("ttn.lorawan.v3.ApplicationUpStorage", "GetStoredApplicationUp"),
]
_PATHS = ["/api/v3/applications", "/api/v3/gateways", "/console", "/api/v3/events", "/healthz/live"]
_GATEWAYS = [
    ("ttig-52ec", "58A0CBFFFE8052EC"),
    ("eui-0242020000247803", "0242020000247803"),
    ("kerlink-roof", "7076FF0056050A2B"),
]
_ERRORS = [
    ("pkg/redis", "store", "store error", "dial tcp 10.0.2.15:6379: i/o timeout"),
    ("pkg/networkserver", "device_not_found", "device not found", ""),
    ("pkg/gatewayserver/io/udp", "rate_exceeded", "gateway traffic exceeded allowed rate", ""),
    ("pkg/identityserver/bunstore", "driver", "driver error", 'pq: too many connections for role "postgres"'),
]
_GARBAGE: list[tuple[str, object]] = [
    ("esc", 'ERROR\t\x1b[31mred alert\x1b[0m \x1b]0;pwned\x07\x1b[2J\t{"namespace": "web"}'),
    ("utf8", b'WARN\tinvalid utf-8 \xff\xfe\xc3\x28 here\t{"namespace": "gatewayserver/io/udp"}'),
    ("markup", "INFO\t[bold red]not markup[/] [link=file:///etc/passwd]click[/link] [@click=app.quit]x[/]\t{}"),
    ("null", None),
    ("jsonesc", 'INFO\tcarriage\rreturn and \x1b[1;1H cursor move\t{"namespace": "grpc"}'),
    ("huge", "INFO\t" + "A" * 1_048_576 + '\t{"namespace": "web"}'),
]
_FAILURE = [
    (
        "error:cmd/internal/shared:initialize_application_server (could not initialize application server)",
        6,
        "tti-lw-stack",
    ),
    ("--- error:pkg/redis:connection (dial tcp 127.0.0.1:5432: connect: connection refused)", 6, "tti-lw-stack"),
    (f"{UNIT}: Main process exited, code=exited, status=255/EXCEPTION", 5, "systemd"),
    (f"{UNIT}: Failed with result 'exit-code'.", 4, "systemd"),
    (f"{UNIT}: Scheduled restart job, restart counter is at 5.", 5, "systemd"),
    (f"{UNIT}: Start request repeated too quickly.", 4, "systemd"),
    (f"{UNIT}: Failed with result 'exit-code'.", 4, "systemd"),
    ("Failed to start The Things Stack.", 3, "systemd"),
]


def _mix(seq: int) -> int:
    x = (seq * 0x9E3779B1 + 0x7F4A7C15) & 0xFFFFFFFF
    x ^= x >> 15
    x = (x * 0x2C1B3C6D) & 0xFFFFFFFF
    return x ^ (x >> 12)


def _tts(level: str, message: str, namespace: str, fields: Mapping[str, object]) -> str:
    return f"{level}\t{message}\t{json.dumps({'namespace': namespace, **fields}, sort_keys=True)}"


@dataclass
class JournalGen:
    """The journal: ``backlog`` old entries, then ``rate`` new ones per second from ``t0``."""

    t0: float
    scenarios: frozenset[str] = frozenset()
    backlog: int = 3000
    rate: float = 20.0
    unit: str = UNIT
    # Entries older than the backlog, oldest first: (realtime µs, MESSAGE, PRIORITY, SYSLOG_IDENTIFIER).
    # They take seqnums 1..len(prelude); the backlog and live entries follow unchanged.
    prelude: Sequence[tuple[int, object, int, str]] = ()
    # What some backlog entries say instead (by their place in the backlog, 1-based).
    overrides: Mapping[int, tuple[object, int, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if "service-down" in self.scenarios:
            self.rate = 0.0
        self._garbage_every = 97 if "log-garbage" in self.scenarios else 0
        # A flood of 50,000+ entries/s must not be limited by making them up: ordinary messages
        # come from a pool of ORDINARY_VARIANTS (still a pure function of the seqnum), and the
        # journald fields around MESSAGE are encoded once per (PRIORITY, SYSLOG_IDENTIFIER).
        self._ordinary_json: dict[int, str] = {}
        self._middle: dict[tuple[int, str, str], str] = {}
        self._mono_base = int((self.t0 - 86_400) * 1_000_000)
        self._n = len(self.prelude)
        # A restart writes systemd's and the stack's start-up lines at the journal's head and
        # starts a new invocation: seqnum -> entry, and (first seqnum, InvocationID) pairs.
        self._inserted: dict[int, tuple[object, int, str]] = {}
        self._invocations: list[tuple[int, str]] = [(1, INVOCATION_ID)]

    def restart(self, invocation_id: str, now: float | None = None) -> int:
        """Write a restart's lines from the next seqnum on; returns the first new invocation's seqnum."""
        seq = self.head(now) + 1
        before = [
            (f"Stopping The Things Stack ({self.unit})...", 6, "systemd"),
            (_tts("INFO", "Received signal, exiting...", "cmd", {"signal": "terminated"}), 6, "tti-lw-stack"),
            (f"{self.unit}: Deactivated successfully.", 6, "systemd"),
            ("Stopped The Things Stack.", 6, "systemd"),
        ]
        after = [("Started The Things Stack.", 6, "systemd")]
        after += [(_tts(*line), 6, "tti-lw-stack") for line in _STARTUP]
        for entry in before:
            self._inserted[seq] = entry
            seq += 1
        self._invocations.append((seq, invocation_id))
        first = seq
        for entry in after:
            self._inserted[seq] = entry
            seq += 1
        return first

    def invocation(self, seq: int) -> str:
        """The unit invocation entry ``seq`` belongs to."""
        current = INVOCATION_ID
        for start, invocation in self._invocations:
            if seq >= start:
                current = invocation
        return current

    # --- what exists ----------------------------------------------------------------------

    def head(self, now: float | None = None) -> int:
        """The newest seqnum at ``now``."""
        now = time.time() if now is None else now
        return self._n + self.backlog + max(0, int((now - self.t0) * self.rate))

    def realtime_us(self, seq: int) -> int:
        if seq <= self._n:
            return self.prelude[seq - 1][0]
        seq -= self._n
        if seq <= self.backlog:
            return int((self.t0 - (self.backlog - seq) * BACKLOG_SPACING) * 1_000_000)
        return int((self.t0 + (seq - self.backlog) / self.rate) * 1_000_000)

    def cursor(self, seq: int) -> str:
        rt = self.realtime_us(seq)
        mono = rt - int((self.t0 - 86_400) * 1_000_000)
        return f"s={SEQNUM_ID};i={seq:x};b={BOOT_ID};m={mono:x};t={rt:x};x={_mix(seq) ^ 0x5A5A:x}"

    def first_since(self, since_us: int) -> int:
        """The first seqnum whose timestamp is at or after ``since_us`` (``--since`` is inclusive)."""
        lo, hi = 1, max(self.head(), 1) + 1
        while lo < hi:
            mid = (lo + hi) // 2
            if self.realtime_us(mid) < since_us:
                lo = mid + 1
            else:
                hi = mid
        return lo

    # --- what an entry says ---------------------------------------------------------------

    def message(self, seq: int) -> tuple[object, int, str]:
        """(MESSAGE value, PRIORITY, SYSLOG_IDENTIFIER) of entry ``seq``."""
        if seq in self._inserted:
            return self._inserted[seq]
        if seq <= self._n:
            _, message, priority, ident = self.prelude[seq - 1]
            return message, priority, ident
        own = seq - self._n
        if own in self.overrides:
            return self.overrides[own]
        return self._message(own)

    def _message(self, seq: int) -> tuple[object, int, str]:
        if seq <= len(_STARTUP):
            return _tts(*_STARTUP[seq - 1]), 6, "tti-lw-stack"
        if "service-down" in self.scenarios and seq > self.backlog - len(_FAILURE):
            text, prio, ident = _FAILURE[seq - (self.backlog - len(_FAILURE)) - 1]
            return text, prio, ident
        if self._garbage_every and seq % self._garbage_every == 0:
            kind, value = _GARBAGE[(seq // self._garbage_every) % len(_GARBAGE)]
            if isinstance(value, bytes):
                return list(value), 6, "tti-lw-stack"
            if kind == "esc" and isinstance(value, str):
                return list(value.encode()), 6, "tti-lw-stack"  # journald sends unprintable text as bytes
            return value, 6, "tti-lw-stack"
        block, pos = divmod(seq, 4)
        if _mix(block) % 61 == 0:  # an error with a stack trace: one ERROR then three trace lines
            return self._trace(seq, pos), 6, "tti-lw-stack"
        return self._ordinary(_mix(seq) % ORDINARY_VARIANTS), 6, "tti-lw-stack"

    def _trace(self, seq: int, pos: int) -> str:
        pkg, name, desc, cause = _ERRORS[_mix(seq // 4) % len(_ERRORS)]
        if pos == 0:
            return _tts("ERROR", "Server error", "grpc", self._error_fields(seq, pkg, name, desc, cause))
        lines = [
            f"--- error:{pkg}:{name} ({desc})",
            "\tgo.thethings.network/lorawan-stack/v3/pkg/errors.(*Definition).New",
            "\t\t/src/pkg/errors/definition.go:117",
        ]
        return lines[pos - 1]

    @staticmethod
    def _error_fields(seq: int, pkg: str, name: str, desc: str, cause: str) -> dict[str, object]:
        fields: dict[str, object] = {
            "error": f"error:{pkg}:{name} ({desc})",
            "error_name": name,
            "error_namespace": pkg,
            "error_correlation_id": f"{_mix(seq):08x}{_mix(seq + 1):08x}{_mix(seq + 2):08x}{_mix(seq + 3):08x}",
        }
        if cause:
            fields["error_cause"] = cause
        return fields

    def _ordinary(self, seq: int) -> str:
        r = _mix(seq)
        pick = r % 100
        rid = f"01J{r:08X}{_mix(r):08X}"
        duration = ((r >> 8) % 50_000) / 1_000_000
        if pick < 38:
            svc, method = _GRPC[(r >> 4) % len(_GRPC)]
            return _tts(
                "INFO",
                "Finished unary call",
                "grpc",
                {
                    "duration": duration,
                    "grpc.method": method,
                    "grpc.service": svc,
                    "grpc_code": "OK",
                    "peer.address": f"10.0.{(r >> 3) % 4}.{(r >> 6) % 250 + 2}:{40000 + r % 20000}",
                    "request_id": rid,
                },
            )
        if pick < 70:
            status = (200, 200, 200, 204, 304, 404)[(r >> 5) % 6]
            return _tts(
                "INFO",
                "Request handled",
                "web",
                {
                    "duration": duration,
                    "http.method": "GET" if r & 16 else "POST",
                    "http.path": _PATHS[(r >> 7) % len(_PATHS)],
                    "http.status": status,
                    "remote_addr": f"203.0.113.{(r >> 9) % 250 + 1}",
                    "request_id": rid,
                },
            )
        if pick < 85:
            return _tts(
                "DEBUG",
                "Uplink received",
                "gatewayserver/io/udp",
                {
                    "gateway_uid": _GATEWAYS[r % 3][0],
                    "frequency": 868100000 + 200000 * (r % 3),
                    "data_rate": r % 6,
                },
            )
        if pick < 94:
            uid, eui = _GATEWAYS[(r >> 3) % 3]
            return _tts(
                "INFO",
                "Connected" if r & 32 else "Disconnected",
                "gatewayserver",
                {
                    "gateway_eui": eui,
                    "gateway_uid": uid,
                    "protocol": "udp",
                    "remote_addr": f"198.51.100.{r % 200 + 1}:1700",
                },
            )
        if pick < 97:
            gateway = {"gateway_uid": _GATEWAYS[r % 3][0]}
            return _tts("WARN", "Gateway missed too many pings", "gatewayserver/io/ws", gateway)
        pkg, name, desc, cause = _ERRORS[r % len(_ERRORS)]
        error = self._error_fields(seq, pkg, name, desc, cause)
        return _tts("WARN" if r & 64 else "ERROR", "Task failed", "events/cloud", error)

    def line(self, seq: int) -> bytes:
        """Entry ``seq`` exactly as ``journalctl -o json`` prints it, newline included."""
        own = seq - self._n  # the entry's place after the prelude decides what it says
        block = own >> 2
        garbage = self._garbage_every and own % self._garbage_every == 0
        plain = own > len(_STARTUP) and not garbage and own not in self.overrides and seq not in self._inserted
        if plain and _mix(block) % 61 and "service-down" not in self.scenarios:
            key = _mix(own) % ORDINARY_VARIANTS
            message_json = self._ordinary_json.get(key)
            if message_json is None:
                message_json = self._ordinary_json[key] = json.dumps(self._ordinary(key))
            priority, ident = 6, "tti-lw-stack"
        else:
            message, priority, ident = self.message(seq)
            message_json = json.dumps(message)
        invocation = self.invocation(seq) if len(self._invocations) > 1 else INVOCATION_ID
        middle = self._middle.get((priority, ident, invocation))
        if middle is None:
            middle = self._middle[(priority, ident, invocation)] = self._journald_fields(priority, ident, invocation)
        rt = self.realtime_us(seq)
        mono = rt - self._mono_base
        return (
            f'{{"__CURSOR":"s={SEQNUM_ID};i={seq:x};b={BOOT_ID};m={mono:x};t={rt:x};x={_mix(seq) ^ 0x5A5A:x}",'
            f'"__REALTIME_TIMESTAMP":"{rt}","__MONOTONIC_TIMESTAMP":"{mono}","__SEQNUM":"{seq}",'
            f'{middle},"MESSAGE":{message_json}}}\n'
        ).encode()

    def _journald_fields(self, priority: int, ident: str, invocation: str = INVOCATION_ID) -> str:
        systemd = ident == "systemd"
        pid = 1 if systemd else PID
        unit_fields = (
            f'"_SYSTEMD_UNIT":"init.scope","UNIT":"{self.unit}","_COMM":"systemd","_EXE":"/usr/lib/systemd/systemd",'
            f'"_CMDLINE":"/usr/lib/systemd/systemd --switched-root --system --deserialize 31","_TRANSPORT":"journal"'
            if systemd
            else f'"_SYSTEMD_UNIT":"{self.unit}","_COMM":"tti-lw-stack","_EXE":"/tti/lorawan-stack/tti-lw-stack",'
            f'"_CMDLINE":"/tti/lorawan-stack/tti-lw-stack start all","_TRANSPORT":"stdout","_STREAM_ID":"{_mix(7):08x}"'
        )
        return (
            f'"__SEQNUM_ID":"{SEQNUM_ID}","_BOOT_ID":"{BOOT_ID}","_MACHINE_ID":"{MACHINE_ID}",'
            f'"_HOSTNAME":"{HOSTNAME}","PRIORITY":"{priority}","SYSLOG_FACILITY":"3","SYSLOG_IDENTIFIER":"{ident}",'
            f'"_PID":"{pid}","_UID":"0","_GID":"0","_CAP_EFFECTIVE":"1ffffffffff",'
            f'"_SYSTEMD_CGROUP":"/system.slice/{self.unit}","_SYSTEMD_SLICE":"system.slice",'
            f'"_SYSTEMD_INVOCATION_ID":"{invocation}",{unit_fields}'
        )


def chunks(gen: JournalGen, start: int, end: int, size: int = 500) -> Iterator[bytes]:
    """Entries ``start..end`` inclusive as journalctl output, ``size`` entries per chunk."""
    for lo in range(start, end + 1, size):
        yield b"".join(gen.line(s) for s in range(lo, min(end, lo + size - 1) + 1))
