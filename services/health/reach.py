"""Is the instance's SSH server reachable the way the journal reaches it? And its raw banner."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass

from services.core.errors import AuthFailed, ConfigError, ConsoleError, HostKeyMismatch, HostKeyUnknown, Unreachable
from services.core.safe_text import safe_bytes
from services.health.check import CheckContext, CheckResult, Status

MAX_PRELUDE_LINES = 20  # RFC 4253 allows lines before the identification string


@dataclass(frozen=True)
class SshBanner:
    """The identification string the SSH server sent and how long it took."""

    host: str
    port: int
    banner: str
    connect_ms: float
    banner_ms: float


async def ssh_banner(host: str, port: int, timeout: float = 10.0) -> SshBanner:
    """Connect and read the ``SSH-2.0-…`` line; raises Unreachable with a sentence."""
    where = f"{host}:{port}"
    started = time.perf_counter()
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except TimeoutError:
        raise Unreachable(f"{where} did not accept a TCP connection within {timeout:g} s.") from None
    except ConnectionRefusedError:
        raise Unreachable(f"Nothing listens for SSH on {where} (connection refused).") from None
    except OSError as exc:
        raise Unreachable(f"Cannot reach {where}: {exc.strerror or exc}.") from None
    connected = time.perf_counter()
    try:
        remaining = max(0.1, timeout - (connected - started))
        line = await asyncio.wait_for(_identification(reader), remaining)
    except TimeoutError:
        raise Unreachable(f"{where} accepted the connection but sent no SSH banner within {timeout:g} s.") from None
    except (OSError, asyncio.IncompleteReadError) as exc:
        raise Unreachable(f"{where} closed the connection before sending an SSH banner ({exc}).") from None
    except ValueError:  # a line longer than the stream limit: whatever it is, it is not SSH
        raise Unreachable(f"{where} answers, but not as an SSH server (an endless first line).") from None
    finally:
        writer.close()
        with contextlib.suppress(OSError, TimeoutError):
            await asyncio.wait_for(writer.wait_closed(), 1.0)
    if not line.startswith("SSH-"):
        raise Unreachable(f"{where} answers, but not as an SSH server (it said {line[:40]!r}).")
    done = time.perf_counter()
    return SshBanner(host, port, line, (connected - started) * 1000, (done - started) * 1000)


async def _identification(reader: asyncio.StreamReader) -> str:
    line = ""
    for _ in range(MAX_PRELUDE_LINES):
        raw = await reader.readline()
        if not raw:
            raise asyncio.IncompleteReadError(b"", None)
        line = safe_bytes(raw.rstrip(b"\r\n"))  # remote text, shown and printed
        if line.startswith("SSH-"):
            return line
    return line


async def check(ctx: CheckContext) -> CheckResult:
    """Health check ``ssh``: log in the way the journal does (``~/.ssh/config``, the jump hosts,
    the host key verified) to ssh.host (default: PublicIP); a bare TCP connect would call a
    host healthy that the journal cannot reach."""
    from services.core.ssh import connect

    host = ctx.profile.ssh.host or ctx.public_ip
    if not host:
        return CheckResult("ssh", Status.UNKNOWN, ctx.missing("PublicIP"))
    details: dict[str, object] = {"host": host}
    started = time.perf_counter()
    try:
        async with await connect(ctx.profile, host) as conn:
            banner = conn.server_version
            where = conn.where
    except HostKeyMismatch as exc:
        return _failed(Status.CRITICAL, exc, details, "key changed")
    except (HostKeyUnknown, AuthFailed) as exc:
        return _failed(Status.WARN, exc, details, "unknown key" if isinstance(exc, HostKeyUnknown) else "refused")
    except ConfigError as exc:
        return _failed(Status.UNKNOWN, exc, details, "no config")
    except ConsoleError as exc:
        return _failed(Status.CRITICAL, exc, details, "down")
    login_ms = (time.perf_counter() - started) * 1000
    return CheckResult(
        "ssh",
        Status.OK,
        f"{banner} answers on {where}; host key verified, logged in in {login_ms:.0f} ms",
        {**details, "endpoint": where, "banner": banner, "login_ms": round(login_ms, 1)},
        figure=f"{login_ms:.0f} ms",
    )


def _failed(status: Status, exc: ConsoleError, details: dict[str, object], figure: str) -> CheckResult:
    return CheckResult("ssh", status, str(exc).rstrip("."), {**details, "error": str(exc)}, figure=figure)
