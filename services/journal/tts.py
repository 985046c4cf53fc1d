"""The stack's own log format inside a journal ``MESSAGE``: its levels and how a message splits.

TTS writes either its console format ``LEVEL<TAB>message<TAB>{json fields}`` or its JSON format
``{"level": …, "msg": …, …}``. Plain Python, no journald: ``services.journal.parse`` reads the
journal lines around these messages.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from json import decoder as _json_decoder
from typing import Any

LEVELS = ("DEBUG", "INFO", "WARN", "ERROR", "FATAL")
LEVEL_RANK = {name: rank for rank, name in enumerate(LEVELS)}
LEVEL_ALIASES = {
    "DEBUG": "DEBUG",
    "INFO": "INFO",
    "WARN": "WARN",
    "WARNING": "WARN",
    "ERROR": "ERROR",
    "DPANIC": "ERROR",
    "PANIC": "FATAL",
    "FATAL": "FATAL",
}
# The console format's level words exactly as written (any other spelling goes through normalise_level).
CONSOLE_LEVELS = LEVEL_ALIASES | {name.lower(): level for name, level in LEVEL_ALIASES.items()}
# The C string scanner behind json.loads: decodes one JSON string starting after its opening quote.
# A TTS error written as a plain line (a start-up failure and its ``--- error:…`` causes), e.g.
# ``error:cmd/internal/shared:initialize_application_server (…)``: an error whatever journald's PRIORITY.
TTS_ERROR_LINE = re.compile(r"^(?:---\s*)?error:[a-z0-9_./-]+:[a-z0-9_]+\b")
scanstring: Callable[[str, int, bool], tuple[str, int]] = _json_decoder.scanstring  # type: ignore[attr-defined]


def normalise_level(name: str) -> str:
    """``warning`` -> ``WARN`` and so on; '' when not a level."""
    return LEVEL_ALIASES.get(name.strip().upper(), "")


def console_level(text: str) -> str | None:
    """The level a console-format message starts with (``INFO<TAB>…``), without splitting it; None
    when it does not start with one. It is the level :func:`split_tts_lazy` gives the message."""
    tab = text.find("\t", 0, 8)
    if tab <= 0:
        return None
    level = CONSOLE_LEVELS.get(text[:tab])
    if level is None:
        level = LEVEL_ALIASES.get(text[:tab].strip().upper())
    return level


def split_tts_lazy(text: str) -> tuple[str, str, str, str]:
    """(level, message, fields as JSON text, namespace) without decoding the fields."""
    head, tab, tail = text.partition("\t")
    if tab and len(head) <= 7:
        level = LEVEL_ALIASES.get(head.strip().upper(), "")
        if level:
            message, tab, tail_json = tail.partition("\t")
            if not tab:
                return level, message.strip(), "", ""
            stripped = tail_json.strip()
            if stripped[:1] == "{" and stripped[-1:] == "}":
                return level, message.strip(), stripped, _namespace(stripped)
    level, message, fields = split_tts(text)
    if not fields:
        return level, message, "", ""
    return level, message, json.dumps(fields), str(fields.get("namespace", ""))


def _namespace(fields_json: str) -> str:
    at = fields_json.find('"namespace":')
    if at < 0:
        return ""
    pos = at + 12
    while fields_json[pos : pos + 1] == " ":
        pos += 1
    if fields_json[pos : pos + 1] != '"':
        return ""
    try:
        return scanstring(fields_json, pos + 1, True)[0]
    except ValueError:
        return ""


def split_tts(text: str) -> tuple[str, str, dict[str, Any]]:
    """Split a stack message into (level, message, fields); level is '' when it has none."""
    stripped = text.strip()
    if stripped.startswith("{") and stripped.endswith("}"):
        try:
            obj = json.loads(stripped)
        except ValueError:
            obj = None
        if isinstance(obj, dict) and isinstance(obj.get("level"), str) and "msg" in obj:
            level = LEVEL_ALIASES.get(obj["level"].strip().upper(), "")
            if level:
                rest = {k: v for k, v in obj.items() if k not in ("level", "msg")}
                return level, str(obj["msg"]), rest
    head, tab, tail = text.partition("\t")
    if not tab:
        return "", text, {}
    level = LEVEL_ALIASES.get(head.strip().upper(), "")
    if not level:
        return "", text, {}
    message, tab, tail_json = tail.partition("\t")
    fields: dict[str, Any] = {}
    if tab:
        try:
            parsed = json.loads(tail_json)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            fields = parsed
        else:
            message = f"{message}\t{tail_json}"
    return level, message.strip(), fields
