"""The operator's side of "why can't I SSH?": local SSH keys' EC2 fingerprints and the public address.

EC2's ``KeyFingerprint``: ED25519 keys, the base64 SHA-256 of the OpenSSH key blob (what
``ssh-keygen -l`` prints after ``SHA256:``); imported RSA keys, the MD5 of the DER public key;
RSA key pairs EC2 created, the SHA-1 of the DER PKCS#8 private key (only a private key file can
give that one). The agent's keys and the configured identity file are compared.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from services.core.config import Profile
from services.core.safe_text import safe_text


@dataclass(frozen=True)
class LocalKey:
    """One local key: where it is, its OpenSSH fingerprint and the forms EC2 may show for it."""

    source: str  # "identity file ~/.ssh/tti.pem" or "agent: comment"
    algorithm: str
    openssh_fingerprint: str  # SHA256:…
    ec2_forms: tuple[str, ...]


def normalise_fingerprint(value: str) -> str:
    """Compare fingerprints whatever their dress: no ``SHA256:`` prefix, padding, colons or case."""
    text = value.strip().removeprefix("SHA256:").rstrip("=")
    return text.replace(":", "").lower() if all(c in "0123456789abcdefABCDEF:" for c in text) else text


def _forms(key: object, private: bool) -> tuple[str, ...]:
    """The EC2 fingerprints this key may have (asyncssh key objects)."""
    import asyncssh
    from cryptography.hazmat.primitives import serialization

    assert isinstance(key, asyncssh.SSHKey)
    blob = key.public_data
    forms = [base64.b64encode(hashlib.sha256(blob).digest()).decode()]
    if key.get_algorithm() == "ssh-rsa":
        public = serialization.load_ssh_public_key(key.export_public_key("openssh"))
        der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        forms.append(hashlib.md5(der, usedforsecurity=False).hexdigest())
        if private:
            pkcs8 = key.export_private_key("pkcs8-der")
            forms.append(hashlib.sha1(pkcs8, usedforsecurity=False).hexdigest())
    return tuple(normalise_fingerprint(f) for f in forms)


async def local_keys(profile: Profile) -> tuple[list[LocalKey], list[str]]:
    """(the keys found, sentences about keys that could not be read)."""
    import asyncssh

    keys: list[LocalKey] = []
    problems: list[str] = []
    if profile.ssh.identity_file:
        path = Path(profile.ssh.identity_file).expanduser()
        try:
            key = asyncssh.read_private_key(str(path))
            keys.append(LocalKey(f"identity file {path}", key.get_algorithm(), key.get_fingerprint("sha256"),
                                 _forms(key, private=True)))  # fmt: skip
        except (OSError, asyncssh.KeyImportError, asyncssh.KeyEncryptionError) as exc:
            problems.append(f"The identity file {path} cannot be read ({safe_text(str(exc))})")
    if os.environ.get("SSH_AUTH_SOCK"):
        try:
            async with asyncssh.connect_agent() as agent:
                for agent_key in await asyncio.wait_for(agent.get_keys(), 5):
                    comment = (agent_key.get_comment() or "").strip()
                    public = asyncssh.import_public_key(agent_key.public_data)
                    keys.append(LocalKey(f"agent key {safe_text(comment)}".strip(), public.get_algorithm(),
                                         public.get_fingerprint("sha256"), _forms(public, private=False)))  # fmt: skip
        except (OSError, TimeoutError, asyncssh.Error) as exc:
            problems.append(f"The SSH agent could not be asked for its keys ({safe_text(str(exc))})")
    return keys, problems


async def public_address(profile: Profile) -> tuple[str, str]:
    """(the operator's public address or "", where it came from or why it is unknown)."""
    if profile.ssh.source_address:
        try:
            return str(ipaddress.ip_address(profile.ssh.source_address.strip())), "ssh.source_address"
        except ValueError:
            return "", f"ssh.source_address {safe_text(profile.ssh.source_address)!r} is not an IP address"
    url = profile.host.myip_url
    if not url:
        return "", "neither ssh.source_address nor host.myip_url is set"
    try:
        text = await asyncio.to_thread(_fetch, url)
    except OSError as exc:
        return "", f"{safe_text(url)} did not answer ({safe_text(str(exc))})"
    try:
        return str(ipaddress.ip_address(text.strip())), safe_text(url)
    except ValueError:
        return "", f"{safe_text(url)} answered something that is not an address"


def _fetch(url: str) -> str:
    import urllib.request

    if not url.startswith(("http://", "https://")):
        raise OSError(f"unsupported URL {url}")
    with urllib.request.urlopen(url, timeout=5) as response:
        return str(response.read(200).decode("ascii", "replace"))
