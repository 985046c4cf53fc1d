"""The instance's SSH server: an asyncssh server that answers ``sudo journalctl`` and ``systemctl``.

It has its own host key (written to ``known_hosts`` in the workdir) and accepts one client key
(``ssh_client_key``). Scenarios: ``ssh-flaky`` drops every connection after 2–4 s and raises the
live rate to ~500 entries/s; ``log-garbage`` mixes hostile entries in; ``service-down`` has the
unit failed, with systemd's exit lines at the end of the journal. ``ssh-blocked``: port 22 refuses
(the profile points at a port nothing listens on). The instance's files and commands
(``/tti``, ``df``, ``ss``…, ``systemctl restart``) come from :mod:`sandbox.host_shell`, over exec
and over SFTP (chrooted to the host root, root-only files refused as on the AMI).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import shlex
import time
from typing import Any

from sandbox.context import SandboxContext
from sandbox.host_files import build_host_root, restart_log
from sandbox.host_shell import HostShell, UnitState
from sandbox.journal_gen import UNIT, JournalGen
from sandbox.journalctl import JournalctlUsage, first_seq, last_seq, parse_journalctl, select, unit_matches
from sandbox.ports import free_port
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
        story: bool = False,
    ) -> None:
        self._story = story  # the journal tells sandbox/history.py's incident
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
        prelude: list[Any] = []
        overrides: dict[int, Any] = {}
        story = self._story and ctx.history
        if story:
            from sandbox.history import Story, journal_overrides, journal_prelude

            prelude, overrides = journal_prelude(Story(ctx.started)), journal_overrides(self._backlog)
        t0 = ctx.started if story else time.time()
        self.gen = JournalGen(
            t0=t0, scenarios=ctx.scenarios, backlog=self._backlog, rate=rate, prelude=prelude, overrides=overrides
        )
        self.unit = UnitState(active_since=self.gen.t0 - self.gen.backlog * 0.8)
        self.host_root = build_host_root(ctx.workdir / "host", acme_pem=_acme_pem(ctx), t0=self.gen.t0)
        self.shell = HostShell(self.host_root, boot_time=self.gen.t0 - 9 * 86400, disk_full=ctx.scenario("disk-full"))
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
            sftp_factory=_sftp_factory(self.shell),
            encoding=None,
            keepalive_interval=15,
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self.host_key = host_key
        self.known_hosts_path = ctx.workdir / "known_hosts"
        public = host_key.export_public_key().decode().strip()
        self.known_hosts_path.write_text(f"[127.0.0.1]:{self.port} {public}\n")
        self.profile_port = free_port() if ctx.scenario("ssh-blocked") else self.port
        if self.profile_port != self.port:
            self.known_hosts_path.write_text(f"[127.0.0.1]:{self.profile_port} {public}\n")

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
                "port": self.profile_port,
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
        as_root = False
        try:
            if argv[:1] == ["sudo"]:
                as_root = True
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
                status = self._systemctl(process, argv[1:], as_root)
            else:
                status, out, err = self.shell.run(argv or ["sh"], as_root=as_root)
                process.stdout.write(out)
                process.stderr.write(err)
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
            head = last_seq(gen, q, now)
            for chunk in select(gen, q, start, head):
                process.stdout.write(chunk)
                await process.stdout.drain()
            sent = max(head, start - 1)
            while q.follow and not stopped.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopped.wait(), TICK)
                head = gen.head()
                for chunk in select(gen, q, sent + 1, head):
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

    def _systemctl(self, process: Any, args: list[str], as_root: bool = False) -> int:
        assert self._ctx is not None and self.gen is not None
        verb = args[0] if args else ""
        units = [
            a for i, a in enumerate(args) if i > 0 and not a.startswith("-") and args[i - 1] not in ("-p", "--property")
        ]
        known = bool(units) and all(unit_matches(self.gen, u) for u in units)
        down = self._ctx.scenario("service-down")
        running, sub = self.unit.active_state()
        if verb == "restart":
            if not known:
                process.stderr.write(f"Failed to restart {units[0] if units else ''}: Unit not found.\n".encode())
                return 5
            if not as_root:
                process.stderr.write(f"Failed to restart {units[0]}: Access denied\n".encode())
                return 4
            invocation = self.unit.restart()
            self.gen.restart(invocation)
            log = self.host_root / "tti" / "bootstrap" / f"restart-{self.unit.restarts + 2}.log"
            log.write_text(restart_log(time.time(), "requested over SSH"))
            return 0
        if verb == "is-active":
            state = ("failed" if down else running) if known else "inactive"
            process.stdout.write(f"{state}\n".encode())
            return 0 if state == "active" else 3
        if verb == "show":
            started = self.unit.active_since
            failed_at = self.gen.t0 - 2
            props = {
                "Id": units[0] if units else "",
                "LoadState": "loaded" if known else "not-found",
                "ActiveState": ("failed" if down else running) if known else "inactive",
                "SubState": ("failed" if down else sub) if known else "dead",
                "InvocationID": self.unit.invocation_id if known else "",
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


def _acme_pem(ctx: SandboxContext) -> bytes:
    """The ACME cache's file: the served certificate, or with ``cert-not-reloaded`` a renewed one."""
    from datetime import UTC, datetime, timedelta

    from sandbox.web import served_leaf

    leaf = served_leaf(ctx)
    if ctx.scenario("cert-not-reloaded"):
        now = datetime.now(UTC)
        leaf = ctx.sandbox_ca().issue_cert(
            ctx.domain, not_before=now - timedelta(hours=2), not_after=now + timedelta(days=90)
        )
    pem: bytes = leaf.private_key_and_cert_chain_pem.bytes()
    return pem


def _sftp_factory(shell: HostShell) -> Any:
    """asyncssh's SFTP server chrooted to the host root; read-only; root's files refused."""
    import asyncssh

    class _Sftp(asyncssh.SFTPServer):
        def __init__(self, chan: Any) -> None:
            super().__init__(chan, chroot=str(shell.root).encode())

        def open(self, path: bytes, pflags: int, attrs: Any) -> Any:
            if pflags & ~asyncssh.FXF_READ:
                raise asyncssh.SFTPPermissionDenied("Read-only file system")
            if not shell.readable(path.decode(errors="replace"), as_root=False):
                raise asyncssh.SFTPPermissionDenied("Permission denied")
            return super().open(path, pflags, attrs)

    return _Sftp


def _systemd_time(epoch: float) -> str:
    return time.strftime("%a %Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch))


def profile_for(part: SshPart, **ssh: Any) -> Any:
    """A profile pointing at this part alone (tests and benchmarks that run no AWS part)."""
    from services.core.config import Profile, SshSettings

    settings = {**part.settings()["ssh"], **ssh}
    return Profile(name="sandbox-ssh", stack="ttes-demo", ssh=SshSettings(**settings))
