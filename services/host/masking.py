"""Secrets in host files, masked before any text leaves the service layer.

The key stays visible, the value becomes :data:`MASK`. Masked: values whose key (or an
enclosing key) names a secret (password, secret, token, key, keys, kek, api-key, credentials…:
``is.database-uri``'s password, ``redis.password``, ``http.cookie.hash-key``, ``cluster.keys``,
``as.device-kek``, ``license.key``, ``console.oauth.client-secret``…), the same keys in
``environment`` (``TTN_LW_REDIS_PASSWORD=``), the password of any URI with ``user:password@``,
and every PEM private-key block. Applied to every file read, whatever its name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MASK = "••••"
SECRET_WORDS = frozenset(
    {
        "password",
        "passwd",
        "pass",
        "pwd",
        "secret",
        "token",
        "key",
        "keys",
        "kek",
        "apikey",
        "credential",
        "credentials",
        "private",
        "auth",
    }
)
_URI_CREDENTIALS = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^\s/:@'\"]*:)(?P<secret>[^\s@/'\"]+)(?=@)")
_YAML_KEY = re.compile(
    r"^(?P<indent>\s*)(?P<dash>-\s+)?(?P<key>[\"']?[A-Za-z0-9_.\-]+[\"']?)\s*:(?:\s+|$)(?P<value>.*)$"
)
_YAML_ITEM = re.compile(r"^(?P<indent>\s*)-\s+(?P<value>.*)$")
_ENV = re.compile(r"^(?P<head>\s*(?:export\s+)?(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*)(?P<value>.*)$")
_LOOSE = re.compile(
    r"(?i)(?P<head>\b[\w.-]*(?:password|passwd|secret|token|api[-_]?key)[\w.-]*\b\s*[:=]\s*)(?P<value>[^\s,;]+)"
)
_PEM_BEGIN = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")
_PEM_END = re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY-----")


@dataclass(frozen=True)
class MaskedText:
    """A file's text with its secrets replaced, and how many values were masked."""

    text: str
    masked: int


def secret_name(name: str) -> bool:
    """A key whose value is a secret: one of its words (split on ``-_.``) names one."""
    words = re.split(r"[-_.\s\"']+", name.lower())
    return any(word in SECRET_WORDS for word in words) or "apikey" in name.lower().replace("-", "").replace("_", "")


def mask_uris(text: str) -> tuple[str, int]:
    """``postgres://user:pass@host`` → ``postgres://user:••••@host``."""
    return _URI_CREDENTIALS.subn(lambda m: m.group("head") + MASK, text)


def mask_file(path: str, text: str) -> MaskedText:
    """Mask ``text`` read from ``path`` by the rules of its kind (YAML, environment, other)."""
    text, pem = _mask_pem(text)
    name = path.rsplit("/", 1)[-1]
    if name.endswith((".yml", ".yaml")):
        body, count = _mask_yaml(text)
    elif name == "environment" or name.endswith(".env"):
        body, count = _mask_env(text)
    else:
        body, count = _mask_loose(text)
    return MaskedText(body, count + pem)


def _mask_pem(text: str) -> tuple[str, int]:
    out: list[str] = []
    inside = False
    count = 0
    for line in text.splitlines(keepends=True):
        if not inside and _PEM_BEGIN.search(line):
            inside = True
            count += 1
            out.append(line)
            out.append(f"{MASK} (private key not shown)\n")
            continue
        if inside:
            if _PEM_END.search(line):
                inside = False
                out.append(line)
            continue
        out.append(line)
    return "".join(out), count


def _mask_yaml(text: str) -> tuple[str, int]:
    out: list[str] = []
    stack: list[tuple[int, bool]] = []  # (indent, secret) of the enclosing keys
    count = 0
    for line in text.splitlines(keepends=True):
        ending = line[len(line.rstrip("\r\n")) :]
        body = line[: len(line) - len(ending)]
        stripped = body.strip()
        if not stripped or stripped.startswith("#"):
            out.append(line)
            continue
        indent = len(body) - len(body.lstrip())
        key_match = _YAML_KEY.match(body)
        # A list item may sit at its key's own indent (``keys:`` then ``- a``): it still belongs to it.
        item_line = stripped.startswith("- ") or stripped == "-"
        while stack and (stack[-1][0] > indent or (stack[-1][0] == indent and not item_line)):
            stack.pop()
        inherited = any(secret for _, secret in stack)
        if key_match is not None:
            secret = inherited or secret_name(key_match.group("key"))
            value = key_match.group("value")
            if secret and value.strip() and not value.strip().startswith("#"):
                body = body[: key_match.start("value")] + MASK
                count += 1
            else:
                body, n = mask_uris(body)
                count += n
            stack.append((indent, secret))
        elif inherited and _YAML_ITEM.match(body):
            item = _YAML_ITEM.match(body)
            assert item is not None
            body = body[: item.start("value")] + MASK
            count += 1
        elif inherited:
            body = " " * indent + MASK
            count += 1
        else:
            body, n = mask_uris(body)
            count += n
        out.append(body + ending)
    return "".join(out), count


def _mask_env(text: str) -> tuple[str, int]:
    out: list[str] = []
    count = 0
    for line in text.splitlines(keepends=True):
        match = _ENV.match(line.rstrip("\r\n"))
        if match and secret_name(match.group("key")) and match.group("value"):
            out.append(match.group("head") + MASK + line[len(line.rstrip("\r\n")) :])
            count += 1
        else:
            masked, n = mask_uris(line)
            out.append(masked)
            count += n
    return "".join(out), count


def _mask_loose(text: str) -> tuple[str, int]:
    text, uris = mask_uris(text)
    text, loose = _LOOSE.subn(lambda m: m.group("head") + MASK, text)
    return text, uris + loose
