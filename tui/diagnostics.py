"""The diagnostic log: stdlib logging for the console and its SDKs, secrets scrubbed on the way out.

Configured once by the entry point (``--debug``, ``--log-file PATH``; the TUI keeps one in the
user's state directory by default) because logging is interpreter-wide state. botocore and
asyncssh log through stdlib logging and land here; awscrt logs from C into the same file, at
warning level only, because its lower levels can print request headers we cannot scrub.

Whatever reaches the file went through :class:`ScrubbingFormatter`: request signatures, the
Authorization header, session tokens and the secrets in credential answers (STS, SSO,
credential_process) are replaced by ``[redacted]``, message and traceback alike.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from pathlib import Path
from typing import TextIO

LOG_NAME = "console.log"
LOG_KEEP_BYTES = 8 * 1024 * 1024  # past this at start, the log becomes console.log.1 (one generation)
FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
REDACTED = "[redacted]"
# The libraries whose records are worth having; at INFO they stay at WARNING, with --debug they speak.
SDK_LOGGERS = ("botocore", "boto3", "urllib3", "asyncssh", "awsiot", "amqtt", "s3transfer")

_SECRET_PATTERNS = [
    # Headers, in botocore's debug dumps (dict reprs, bytes, canonical requests) and raw HTTP.
    re.compile(r"(?i)(\bauthorization['\"]?\s*[:=]\s*b?['\"]?)[^'\"\r\n,}]+"),
    re.compile(r"(?i)(\bx-amz-security-token['\"]?\s*[:=]\s*b?['\"]?)[^'\"\s,}&]+"),
    re.compile(r"(?i)(\bx-amz-signature=)[^&\s'\"]+"),
    re.compile(r"(?i)(\bx-amz-credential=)[^&\s'\"]+"),
    re.compile(r"(?i)(\bsignature=)[0-9a-f]+"),
    # Credentials in answers and files: XML (STS), JSON (SSO, credential_process), INI.
    re.compile(r"(?i)(<(?:SecretAccessKey|SessionToken)>)[^<]+"),
    re.compile(
        r"(?i)(['\"](?:secretAccessKey|sessionToken|accessToken|refreshToken|clientSecret|SecretAccessKey"
        r"|SessionToken|Token|Password|aws_secret_access_key|aws_session_token)['\"]\s*:\s*b?['\"])[^'\"]+"
    ),
    re.compile(r"(?i)(\baws_(?:secret_access_key|session_token)\s*=\s*)\S+"),
    # A bare SHA-256 hex string: botocore prints the request signature on a line of its own.
    re.compile(r"()\b[0-9a-f]{64}\b"),
    re.compile(r"(?i)(Credential=)[^\s\"',/]+"),
    # Access key ids wherever they appear (a crash report's exception text, a URL).
    re.compile(r"()\b(?:AKIA|ASIA)[A-Z0-9]{12,}\b"),
]
# The environment variables whose values are credentials wherever they appear.
SECRET_ENV = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ACCESS_KEY_ID")


def scrub(text: str) -> str:
    """``text`` with every secret the patterns know replaced by ``[redacted]``, control characters escaped."""
    for name in SECRET_ENV:
        value = os.environ.get(name, "")
        if len(value) >= 8:
            text = text.replace(value, REDACTED)
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    # Remote text reaches the log too (error messages quote it): a `cat` of the log must stay
    # harmless. Lines stay lines (tracebacks span several).
    from services.core.safe_text import safe_text

    return "\n".join(safe_text(line) for line in text.split("\n"))


class ScrubbingFormatter(logging.Formatter):
    """A formatter whose output (message, arguments and traceback) never carries a secret."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


_log_path: Path | None = None


class _ConsoleHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler :func:`configure` installs (and replaces when called again)."""


def log_path() -> Path | None:
    """The diagnostic log file, if one is being written."""
    return _log_path


def default_log_path() -> Path:
    from platformdirs import user_state_dir

    return Path(user_state_dir("ttes-console")) / LOG_NAME


def configure(*, debug: bool, log_file: Path | None, interactive: bool) -> Path | None:
    """Route the console's and the SDKs' logging into the diagnostic log; returns its file, if any.

    Headless commands log only when asked (``--log-file``; ``--debug`` alone goes to stderr);
    the interactive console always keeps a file, because its screen is no place for a traceback.
    """
    global _log_path
    root = logging.getLogger()
    for old in list(root.handlers):
        if isinstance(old, _ConsoleHandler):
            root.removeHandler(old)
            old.close()
    if log_file is None and interactive:
        log_file = default_log_path()
    if log_file is not None:
        handler = _ConsoleHandler(_open_private(log_file))
        _log_path = log_file
    elif debug:
        handler = _ConsoleHandler(sys.stderr)
    else:
        _log_path = None
        return None
    handler.setFormatter(ScrubbingFormatter(FORMAT))
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    for name in SDK_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if debug else logging.WARNING)
    if debug and log_file is not None:
        _route_awscrt(log_file)
    logging.getLogger("ttes_console").info("diagnostic log started (pid %d, argv %s)", os.getpid(), sys.argv[1:])
    return _log_path


def _open_private(path: Path) -> TextIO:
    """Open ``path`` for appending, created with mode 0600 (its directory 0700)."""
    path = path.expanduser()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        if path.is_file() and path.stat().st_size > LOG_KEEP_BYTES:
            os.replace(path, path.with_name(path.name + ".1"))  # the default log is kept for every TUI run
    except OSError:
        pass  # an old log that cannot be moved is appended to
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.fchmod(fd, 0o600)
    return os.fdopen(fd, "a", encoding="utf-8", errors="backslashreplace", buffering=1)


def _route_awscrt(path: Path) -> None:
    try:
        import awscrt.io
    except ImportError:
        return
    try:
        awscrt.io.init_logging(awscrt.io.LogLevel.Warn, str(path.expanduser()))
    except Exception:  # awscrt allows one initialisation per process; a second is harmless to skip
        logging.getLogger("ttes_console").debug("awscrt logging already initialised")


def unexpected(exc: BaseException, where: str) -> str:
    """Log an unexpected error with its traceback; the operator's sentence, naming the log."""
    logging.getLogger("ttes_console").error("unexpected error in %s", where, exc_info=exc)
    from services.core.safe_text import safe_text

    name = type(exc).__name__
    text = safe_text(scrub(str(exc))[:200])
    detail = f" ({name}: {text})" if text else f" ({name})"
    if _log_path is not None:
        return f"{where} stopped on an unexpected error{detail}; the details are in {_log_path}."
    return f"{where} stopped on an unexpected error{detail}; rerun with --debug or --log-file PATH for the details."
