"""The last resort: an exception nobody handled becomes one sentence and a scrubbed log entry.

Rich's and Textual's default crash reports print local variables, and botocore's locals hold the
signed request (``Authorization: … Credential=AKIA…``, ``X-Amz-Security-Token``). Here the
traceback is written without locals, with credentials scrubbed, to the diagnostic log, and the
operator reads a sentence that names the file.
"""

from __future__ import annotations

import logging
import os
import re
import traceback
from datetime import UTC, datetime
from pathlib import Path

# The environment variables whose values are credentials wherever they appear.
SECRET_ENV = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ACCESS_KEY_ID")
_PATTERNS = (
    re.compile(r"(?i)(X-Amz-Security-Token[\"']?\s*[:=]\s*[\"']?b?[\"']?)[^\s\"',&}]+"),
    re.compile(r"(?i)(Credential=)[^\s\"',/]+"),
    re.compile(r"(?i)(Signature=)[0-9a-f]+"),
    re.compile(r"(?i)((?:aws_)?(?:secret_access_key|session_token|secret_key|password)[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]+"),
    re.compile(r"()\b(?:AKIA|ASIA)[A-Z0-9]{12,}\b"),
)


def diagnostic_log_path() -> Path:
    """The diagnostic log file: the user's state directory (``--log-file`` may point elsewhere)."""
    from platformdirs import user_state_dir

    return Path(user_state_dir("ttes-console")) / "ttes-console.log"


def scrub(text: str, environ: dict[str, str] | None = None) -> str:
    """``text`` with request signatures, tokens and the process's AWS credentials replaced by ``****``."""
    env = os.environ if environ is None else environ
    for name in SECRET_ENV:
        value = env.get(name, "")
        if len(value) >= 8:
            text = text.replace(value, "****")
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + "****", text)
    return text


class ScrubSecrets(logging.Filter):
    """A logging filter for the diagnostic log: each record's text passes through :func:`scrub`.

    botocore's debug logging prints signed request headers; attach this to the log's handler.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = scrub("".join(traceback.format_exception(*record.exc_info)))
        return True


def record_crash(exc: BaseException, path: Path | None = None) -> Path | None:
    """Append the traceback (no local variables, scrubbed) to the diagnostic log; None if it cannot be written."""
    path = path or diagnostic_log_path()
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    entry = f"{datetime.now(UTC).isoformat(timespec='seconds')} unhandled exception\n{scrub(text)}\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, entry.encode("utf-8", "replace"))
        finally:
            os.close(fd)
    except OSError:
        return None
    return path


def crash_sentence(exc: BaseException, path: Path | None) -> str:
    """What the operator reads instead of a traceback: a sentence, then the log's path on a line of its own."""
    if path is None:
        return (f"ttes-console stopped on an unexpected error ({type(exc).__name__}); the diagnostic log could "
                "not be written either, so run the command again with --debug and report what it prints.")
    return (
        f"ttes-console stopped on an unexpected error ({type(exc).__name__}); nothing was changed by the "
        f"crash itself. Please report it with the diagnostic log:\n{path}"
    )
