"""The one safe-text rule for every string that comes from outside the console.

Journal lines, MQTT payloads, DNS answers, certificate fields, AWS strings and host files may
carry bytes that a terminal would act on. Before such text is shown or printed (JSON included)
it goes through :func:`safe_text`: C0 and C1 controls, ESC, DEL, line and paragraph separators,
every format character (bidi embeddings, overrides and isolates, zero-width, tags) and lone
surrogates (what undecodable UTF-8 becomes with ``surrogateescape``) turn into visible escapes
such as ``\\x1b`` or ``\\u202e``. Nothing is interpreted: callers render the result as plain
text, never markup. :func:`safe_json` applies the same rule to every string of a JSON document,
so what a consumer decodes is as safe as what a terminal shows.

Pure standard library, so every layer (widgets included) may use it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["UNSAFE", "UNSAFE_BEYOND_BMP", "safe_bytes", "safe_data", "safe_json", "safe_text"]

# C0 (tab kept), DEL, C1, line and paragraph separators, every format character (Unicode
# category Cf: soft hyphen, bidi embeddings/overrides/isolates, zero-width, BOM, interlinear
# annotation, tag characters), and surrogates. The few format characters beyond the BMP sit in a
# second class, searched only in text that is not ASCII: one class holding both is several times
# slower to search, and the journal searches every line it shows.
UNSAFE = re.compile(
    "[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029"
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff]"
)
UNSAFE_BEYOND_BMP = re.compile(
    "[\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f]"
)
_NAMED = {"\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte, from surrogateescape
        code -= 0xDC00
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def safe_text(text: str, *, tabs: int | None = None) -> str:
    """``text`` with every character a terminal could act on shown as a visible escape.

    ``tabs``: expand tab stops to that width (a tab is otherwise kept: it moves the cursor
    but changes nothing else).
    """
    if tabs is not None and "\t" in text:
        text = text.expandtabs(tabs)
    if not UNSAFE.search(text) and (text.isascii() or not UNSAFE_BEYOND_BMP.search(text)):
        return text
    text = UNSAFE.sub(_escape, text)
    return text if text.isascii() else UNSAFE_BEYOND_BMP.sub(_escape, text)


def safe_bytes(data: bytes) -> str:
    """Remote bytes as safe text: invalid UTF-8 shown as ``\\xNN`` escapes, never raised."""
    return safe_text(data.decode("utf-8", "surrogateescape"))


def safe_data(value: Any) -> Any:
    """A JSON-ready tree with every string (keys included) passed through :func:`safe_text`.

    Values that are not JSON types become their safe ``str()``, so a consumer that decodes the
    JSON (``jq -r``) gets the same visible escapes a terminal reader would.
    """
    if isinstance(value, str):
        return safe_text(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Mapping):
        return {safe_text(str(k)): safe_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [safe_data(v) for v in value]
    if isinstance(value, bytes):
        return safe_bytes(value)
    return safe_text(str(value))


def safe_json(value: Any, *, indent: int | None = None) -> str:
    """``value`` as JSON whose decoded strings hold no character a terminal could act on."""
    try:
        text = json.dumps(value, ensure_ascii=False, indent=indent)
    except TypeError:  # a value JSON has no type for: safe_data turns it into its safe str()
        text = "\\"
    # JSON escapes control characters itself, but a decoder turns them back: only text with no
    # escape and no unsafe character can be printed as it is.
    if "\\" not in text and safe_text(text) is text:
        return text
    return json.dumps(safe_data(value), ensure_ascii=False, indent=indent)
