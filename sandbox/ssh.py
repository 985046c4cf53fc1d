"""The instance's SSH server: an asyncssh server that answers ``sudo journalctl`` and ``systemctl``.

It has its own host key (written to ``known_hosts`` in the workdir) and accepts one client key
(``ssh_client_key``). Scenarios: ``ssh-flaky`` drops every connection after 2–4 s and raises the
live rate to ~500 entries/s; ``log-garbage`` mixes hostile entries in; ``service-down`` has the
unit failed, with systemd's exit lines at the end of the journal.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import shlex
import time
from typing import Any

from sandbox.core import SandboxContext
from sandbox.journal_gen import UNIT, JournalGen, chunks
from sandbox.journalctl import JournalctlUsage, first_seq, parse_journalctl, unit_matches
from services.core.files import write_private_text

RATE_ENV = "TTES_SANDBOX_JOURNAL_RATE"  # entries/s, for benchmarks
FLAKY_RATE = 500.0
NORMAL_RATE = 20.0
TICK = 0.02


class SshPart:
    """The sandbox part serving SSH on 127.0.0.1."""

    def __init__(
        self,
        *,
        rate: float | None = None,
        backlog: int = 3000,
        sudo_password: bool = False,
        drop_after: tuple[float, float] | None = None,
    ) -> None:
        self._rate = rate
        self._drop_after = drop_after  # seconds (min, max) before a connection is cut; ssh-flaky: 2–4 s
        self._backlog = backlog
        self.sudo_password = sudo_password  # sudo that wants a password (tests)
        self.port = 0
        self.gen: JournalGen | None = None
        self._server: Any = None
        self._ctx: SandboxContext | None = None
        self._conns: set[Any] = set()
        self._random = random.Random(4)
        self.connections = 0
        self.running_journalctl = 0

    async def start(self, ctx: SandboxContext) -> None:
        import asyncssh

        self._ctx = ctx
        flaky = ctx.scenario("ssh-flaky")
        drop_after = self._drop_after or ((2.0, 4.0) if flaky else None)
        rate = self._rate or float(os.environ.get(RATE_ENV) or 0) or (FLAKY_RATE if flaky else NORMAL_RATE)
        self.gen = JournalGen(t0=time.time(), scenarios=ctx.scenarios, backlog=self._backlog, rate=rate)
        host_key = asyncssh.generate_private_key("ssh-ed25519")
        client_key = asyncssh.generate_private_key("ssh-ed25519", comment="ttes-console sandbox")
        self.client_key_path = ctx.workdir / "ssh_client_key"
        write_private_text(self.client_key_path, client_key.export_private_key().decode())
        os.chmod(self.client_key_path, 0o600)
        authorized = asyncssh.import_authorized_keys(client_key.export_public_key().decode())
        part = self

        class _Server(asyncssh.SSHServer):
            def connection_made(self, conn: Any) -> None:
                part._conns.add(conn)
                part.connections += 1
                if drop_after:
                    asyncio.get_running_loop().call_later(part._random.uniform(*drop_after), conn.abort)

            def connection_requested(self, dest_host: str, dest_port: int, orig_host: str, orig_port: int) -> bool:
                return dest_host in ("127.0.0.1", "localhost")  # lets tests use this server as a jump host

            def connection_lost(self, exc: Exception | None) -> None:
                part._conns.difference_update({c for c in part._conns if c.is_closed()})

        self._server = await asyncssh.create_server(
            _Server,
            "127.0.0.1",
            0,
            server_host_keys=[host_key],
            authorized_client_keys=authorized,
            process_factory=self._handle,
            encoding=None,
            keepalive_interval=15,
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self.host_key = host_key
        self.known_hosts_path = ctx.workdir / "known_hosts"
        public = host_key.export_public_key().decode().strip()
        self.known_hosts_path.write_text(f"[127.0.0.1]:{self.port} {public}\n")

    async def stop(self) -> None:
        for conn in list(self._conns):
            conn.abort()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def settings(self) -> dict[str, dict[str, Any]]:
        return {
            "ssh": {
                "host": "127.0.0.1",
                "port": self.port,
                "user": "ec2-user",
                "identity_file": str(self.client_key_path),
                "known_hosts": str(self.known_hosts_path),
                "unit": UNIT,
            }
        }

    # --- the remote shell ---------------------------------------------------------------------

    async def _handle(self, process: Any) -> None:
        try:
            argv = shlex.split(process.command or "")
        except ValueError:
            argv = []
        status = 127
        try:
            if argv[:1] == ["sudo"]:
                argv = argv[1:]
                interactive = True
                while argv and argv[0].startswith("-"):
                    interactive = interactive and argv[0] != "-n"
                    argv = argv[1:]
                if self.sudo_password:
                    if interactive:
                        process.stderr.write(b"sudo: a terminal is required to read the password\n")
                    else:
                        process.stderr.write(b"sudo: a password is required\n")
                    status = 1
                    return
            if argv[:1] == ["journalctl"]:
                status = await self._journalctl(process, argv[1:])
            elif argv[:1] == ["systemctl"]:
                status = self._systemctl(process, argv[1:])
            else:
                name = argv[0] if argv else "sh"
                process.stderr.write(f"bash: {name}: command not found\n".encode())
        except (BrokenPipeError, ConnectionError, OSError):
            status = 141
        except Exception as exc:  # any asyncssh channel error ends this one command
            if type(exc).__module__.startswith("asyncssh"):
                status = 141
            else:
                raise
        finally:
            with contextlib.suppress(Exception):
                process.exit(status)

    async def _journalctl(self, process: Any, args: list[str]) -> int:
        gen = self.gen
        assert gen is not None
        try:
            q = parse_journalctl(args)
            now = time.time()
            start = first_seq(gen, q, now)
        except JournalctlUsage as exc:
            process.stderr.write(f"{exc}\n".encode())
            return 1
        if not unit_matches(gen, q.unit):
            return 0
        stopped = asyncio.Event()
        watcher = asyncio.create_task(self._watch_stdin(process, stopped))
        self.running_journalctl += 1
        try:
            head = gen.head(now)
            for chunk in chunks(gen, start, head):
                process.stdout.write(chunk)
                await process.stdout.drain()
            sent = max(head, start - 1)
            while q.follow and not stopped.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopped.wait(), TICK)
                head = gen.head()
                for chunk in chunks(gen, sent + 1, head):
                    if stopped.is_set():
                        break
                    process.stdout.write(chunk)
                    await process.stdout.drain()
                sent = max(sent, head)
        finally:
            self.running_journalctl -= 1
            watcher.cancel()
        return 0 if not stopped.is_set() else 143

    @staticmethod
    async def _watch_stdin(process: Any, stopped: asyncio.Event) -> None:
        """EOF, a closed channel or a signal (the client's TERM) ends journalctl -f."""
        with contextlib.suppress(Exception):
            while await process.stdin.read(4096):
                pass
        stopped.set()

    def _systemctl(self, process: Any, args: list[str]) -> int:
        assert self._ctx is not None and self.gen is not None
        verb = args[0] if args else ""
        units = [
            a for i, a in enumerate(args) if i > 0 and not a.startswith("-") and args[i - 1] not in ("-p", "--property")
        ]
        known = bool(units) and all(unit_matches(self.gen, u) for u in units)
        down = self._ctx.scenario("service-down")
        if verb == "is-active":
            state = ("failed" if down else "active") if known else "inactive"
            process.stdout.write(f"{state}\n".encode())
            return 0 if state == "active" else 3
        if verb == "show":
            started = self.gen.t0 - self.gen.backlog * 0.8
            failed_at = self.gen.t0 - 2
            props = {
                "Id": units[0] if units else "",
                "LoadState": "loaded" if known else "not-found",
                "ActiveState": ("failed" if down else "active") if known else "inactive",
                "SubState": ("failed" if down else "running") if known else "dead",
                "Result": "exit-code" if down else "success",
                "MainPID": "0" if down or not known else "2417",
                "ExecMainStatus": "255" if down else "0",
                "NRestarts": "5" if down else "0",
                "ActiveEnterTimestamp": _systemd_time(started) if known else "",
                "InactiveEnterTimestamp": _systemd_time(failed_at) if down else "",
                "StateChangeTimestamp": _systemd_time(failed_at if down else started) if known else "",
            }
            wanted: list[str] = []
            for i, arg in enumerate(args):
                if arg.startswith("--property="):
                    wanted += arg.split("=", 1)[1].split(",")
                elif arg in ("-p", "--property") and i + 1 < len(args):
                    wanted += args[i + 1].split(",")
            keys = wanted or list(props)
            process.stdout.write("".join(f"{k}={props.get(k, '')}\n" for k in keys).encode())
            return 0
        process.stderr.write(f"Unknown command verb '{verb}'.\n".encode())
        return 1


def _systemd_time(epoch: float) -> str:
    return time.strftime("%a %Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch))


def profile_for(part: SshPart, **ssh: Any) -> Any:
    """A profile pointing at this part alone (tests and benchmarks that run no AWS part)."""
    from services.core.config import Profile, SshSettings

    settings = {**part.settings()["ssh"], **ssh}
    return Profile(name="sandbox-ssh", stack="ttes-demo", ssh=SshSettings(**settings))
