"""The terminal driver of the interactive console: Textual's, made to survive a terminal that vanished.

When the SSH session to the bastion drops or its tmux window is closed, the terminal goes away
under the running console (SIGHUP). Textual's writer thread then fails on its next write
(``EIO``) and dies, its bounded queue fills, and the shutdown that should end the console
blocks for ever putting the last escape sequences into it: the process stays behind with its
SSH channels open until something kills it. Here the terminal's writes stop at the first such
error and everything after is dropped, so the shutdown runs to its end (the workers' clean-up
included) whether or not there is still a terminal to restore.
"""

from __future__ import annotations

from typing import IO, Any

from textual.drivers.linux_driver import LinuxDriver


class VanishingTerminal:
    """A text stream that writes to ``stream`` until the first ``OSError``, then drops everything."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self.gone = False

    def write(self, text: str) -> int:
        if not self.gone:
            try:
                return self._stream.write(text)
            except OSError:  # EIO once the pty has no other end, EPIPE, ENXIO
                self.gone = True
        return len(text)

    def flush(self) -> None:
        if not self.gone:
            try:
                self._stream.flush()
            except OSError:
                self.gone = True

    def fileno(self) -> int:
        return self._stream.fileno()

    def isatty(self) -> bool:
        return not self.gone and self._stream.isatty()

    def __getattr__(self, name: str) -> Any:  # encoding, errors…: as the stream's
        return getattr(self._stream, name)


class ConsoleDriver(LinuxDriver):
    """Textual's Linux driver, writing through a :class:`VanishingTerminal`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._file = VanishingTerminal(self._file)  # type: ignore[assignment,arg-type]
