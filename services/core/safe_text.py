"""The one safe-text rule for every string that comes from outside the console.

Journal lines, MQTT payloads, DNS answers, certificate fields, AWS strings and host files may
carry bytes that a terminal would act on. Before such text is shown or printed (JSON included)
it goes through :func:`safe_text`: C0 and C1 controls, ESC, DEL, line and paragraph separators,
bidi embeddings, overrides and isolates, zero-width characters and lone surrogates (what
undecodable UTF-8 becomes with ``surrogateescape``) turn into visible escapes such as ``\\x1b``
or ``\\u202e``. Nothing is interpreted: callers render the result as plain text, never markup.

Pure standard library, so every layer (widgets included) may use it.
"""

from __future__ import annotations

import re

__all__ = ["UNSAFE", "safe_bytes", "safe_text"]

# C0 (tab kept), DEL, C1, separators, bidi controls, zero-width and BOM, surrogates.
UNSAFE = re.compile(
    "[\x00-\x08\x0a-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb"
    "\ud800-\udfff]"
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
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe_text(text: str, *, tabs: int | None = None) -> str:
    """``text`` with every character a terminal could act on shown as a visible escape.

    ``tabs``: expand tab stops to that width (a tab is otherwise kept: it moves the cursor
    but changes nothing else).
    """
    if tabs is not None and "\t" in text:
        text = text.expandtabs(tabs)
    if not UNSAFE.search(text):
        return text
    return UNSAFE.sub(_escape, text)


def safe_bytes(data: bytes) -> str:
    """Remote bytes as safe text: invalid UTF-8 shown as ``\\xNN`` escapes, never raised."""
    return safe_text(data.decode("utf-8", "surrogateescape"))
