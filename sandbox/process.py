"""Run the sandbox in a child process, as ``--demo`` does, so its work and output stay apart."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from sandbox.runner import env_path_for
from services.core.errors import ConsoleError

START_TIMEOUT = 60.0
# Ambient AWS settings that would send boto3 elsewhere than the sandbox.
AMBIENT_AWS = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN")


class SandboxProcess:
    """``with SandboxProcess() as sb:`` starts ``python -m sandbox`` and waits for its profile."""

    def __init__(self, scenarios: Sequence[str] = (), workdir: Path | None = None) -> None:
        self.scenarios = list(scenarios)
        self._own_workdir = workdir is None
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="ttes-demo-"))
        self.config_path = self.workdir / "config.toml"
        self.log_path = self.workdir / "sandbox.log"
        self.environ: dict[str, str] = {}
        self._proc: subprocess.Popen[bytes] | None = None
        self._saved_environ: dict[str, str | None] | None = None

    def __enter__(self) -> SandboxProcess:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Start the child and wait for its profile; on any failure (or a signal) nothing is left behind."""
        try:
            self.launch()
            self.wait_ready()
        except BaseException:
            self.stop()
            raise

    def launch(self) -> None:
        """Start ``python -m sandbox`` and return at once (:meth:`wait_ready` waits for its profile)."""
        cmd = [sys.executable, "-m", "sandbox", "--write-config", str(self.config_path), "--workdir", str(self.workdir)]
        cmd.append("--exit-with-parent")
        for name in self.scenarios:
            cmd += ["--scenario", name]
        self.workdir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self._proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def wait_ready(self, progress: Callable[[str], None] | None = None) -> None:
        """Block until the profile is written; ``progress`` hears each part as it comes up."""
        assert self._proc is not None, "launch() first"
        told = 0
        deadline = time.monotonic() + START_TIMEOUT
        while not self.config_path.exists():
            if progress is not None:
                told = self._tell(progress, told)
            if self._proc.poll() is not None:
                tail = self.log_path.read_text(errors="replace").strip().splitlines()[-1:]
                why = tail[0] if tail else "no output"
                if self._own_workdir:  # the log goes with the directory: quote it instead
                    raise ConsoleError(f"The simulated deployment did not start: {why}")
                raise ConsoleError(f"The simulated deployment did not start: {why} (log: {self.log_path}).")
            if time.monotonic() > deadline:
                raise ConsoleError(f"The simulated deployment did not start within {START_TIMEOUT:.0f} s.")
            time.sleep(0.02)
        if progress is not None:
            self._tell(progress, told)
        self.environ = read_env_file(env_path_for(self.config_path))

    def export_credentials(self) -> None:
        """The sandbox's AWS credentials into ``os.environ`` until :meth:`stop` (or :meth:`restore_environment`).

        boto3's credential chain reads them there from every thread (clients, the IoT websocket
        signer). The launcher is the one place allowed to write the environment: services and
        commands never do.
        """
        if self._saved_environ is None:
            self._saved_environ = {key: os.environ.get(key) for key in (*AMBIENT_AWS, *self.environ)}
        for key in AMBIENT_AWS:
            os.environ.pop(key, None)
        os.environ.update(self.environ)

    def restore_environment(self) -> None:
        """``os.environ`` as it was before :meth:`export_credentials`."""
        saved, self._saved_environ = self._saved_environ, None
        for key, value in (saved or {}).items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    @contextmanager
    def credentials_in_environment(self) -> Iterator[None]:
        """The sandbox's AWS credentials in ``os.environ`` while a console runs against it; restored after."""
        self.export_credentials()
        try:
            yield
        finally:
            self.restore_environment()

    def _tell(self, progress: Callable[[str], None], told: int) -> int:
        try:
            lines = [line for line in self.log_path.read_text(errors="replace").splitlines() if line.startswith("ready: ")]
        except OSError:
            return told
        for line in lines[told:]:
            progress(line.removeprefix("ready: "))
        return max(told, len(lines))

    def stop(self) -> None:
        self.restore_environment()
        proc, self._proc = self._proc, None
        if proc is not None:
            end_process(proc)
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)


def read_env_file(path: Path) -> dict[str, str]:
    """Parse the ``export KEY=VALUE`` lines the sandbox writes."""
    environ: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if line.startswith("export ") and "=" in line:
            key, _, value = line[len("export ") :].partition("=")
            environ[key] = shlex.split(value)[0] if value else ""
    return environ


def end_process(proc: subprocess.Popen[bytes], timeout: float = 5.0) -> None:
    """SIGTERM, then SIGKILL if it has not exited within ``timeout`` seconds; reaped either way."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
