"""services.core.ssh against the sandbox SSH server: host keys always verified, errors as sentences."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncssh
import pytest

from sandbox.core import SandboxContext
from sandbox.ports import free_port
from sandbox.ssh import SshPart, profile_for
from services.core.errors import AuthFailed, ConfigError, HostKeyMismatch, HostKeyUnknown, Unreachable
from services.core.ssh import connect, fetch_host_key, trust_host_key


@pytest.fixture
async def part(tmp_path: Path) -> AsyncIterator[SshPart]:
    server = SshPart(backlog=100)
    await server.start(SandboxContext(workdir=tmp_path, scenarios=frozenset()))
    yield server
    await server.stop()


def _fingerprint(part: SshPart) -> str:
    return str(part.host_key.get_fingerprint("sha256"))


async def test_connects_with_the_profile_and_runs_a_quoted_command(part: SshPart) -> None:
    async with await connect(profile_for(part), "127.0.0.1") as conn:
        result = await conn.run(["systemctl", "is-active", "lorawan-stack.service"])
        cipher = conn.raw.get_extra_info("recv_cipher")
    assert (result.exit_status, result.stdout) == (0, "active\n")
    assert cipher == "aes128-gcm@openssh.com"  # cheaper than asyncssh's default ChaCha20 for a journal flood


async def test_unknown_host_key_names_its_fingerprint_and_writes_nothing(part: SshPart, tmp_path: Path) -> None:
    known = tmp_path / "empty_known_hosts"
    known.write_text("")
    with pytest.raises(HostKeyUnknown) as err:
        await connect(profile_for(part, known_hosts=str(known)), "127.0.0.1")
    assert not isinstance(err.value, HostKeyMismatch)
    assert err.value.fingerprint == _fingerprint(part)
    assert _fingerprint(part) in str(err.value)
    assert known.read_text() == ""


async def test_missing_known_hosts_file_is_unknown_not_default(part: SshPart, tmp_path: Path) -> None:
    with pytest.raises(HostKeyUnknown):
        await connect(profile_for(part, known_hosts=str(tmp_path / "absent")), "127.0.0.1")
    assert not (tmp_path / "absent").exists()


async def test_changed_host_key_is_a_mismatch_with_the_offered_fingerprint(part: SshPart, tmp_path: Path) -> None:
    other = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode().strip()
    known = tmp_path / "changed_known_hosts"
    known.write_text(f"[127.0.0.1]:{part.port} {other}\n")
    before = known.read_bytes()
    with pytest.raises(HostKeyMismatch) as err:
        await connect(profile_for(part, known_hosts=str(known)), "127.0.0.1")
    assert _fingerprint(part) in str(err.value) and "CHANGED" in str(err.value)
    assert known.read_bytes() == before


async def test_accepting_an_offered_key_trusts_exactly_that_key(part: SshPart, tmp_path: Path) -> None:
    known = tmp_path / "kh" / "known_hosts"
    profile = profile_for(part, known_hosts=str(known))
    offered = await fetch_host_key(profile, "127.0.0.1")
    assert offered.fingerprint == _fingerprint(part)
    with pytest.raises(HostKeyMismatch):
        trust_host_key(profile, offered, "SHA256:somethingElse")
    assert not known.exists()
    trust_host_key(profile, offered, offered.fingerprint)
    assert known.read_text().startswith(f"[127.0.0.1]:{part.port} ssh-ed25519 ")
    async with await connect(profile, "127.0.0.1") as conn:
        assert (await conn.run(["systemctl", "is-active", "x.service"])).exit_status == 3


async def test_wrong_client_key_is_auth_failed(part: SshPart, tmp_path: Path) -> None:
    key = tmp_path / "other_key"
    asyncssh.generate_private_key("ssh-ed25519").write_private_key(str(key))
    with pytest.raises(AuthFailed) as err:
        await connect(profile_for(part, identity_file=str(key)), "127.0.0.1")
    assert "refused our SSH key" in str(err.value)


async def test_missing_identity_file_is_a_config_error(part: SshPart, tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        await connect(profile_for(part, identity_file=str(tmp_path / "nope")), "127.0.0.1")


async def test_closed_port_is_unreachable(part: SshPart) -> None:
    free = free_port()
    with pytest.raises(Unreachable) as err:
        await connect(profile_for(part, port=free), "127.0.0.1")
    assert "connection refused" in str(err.value)


async def test_jump_host_is_used_as_proxyjump(part: SshPart) -> None:
    profile = profile_for(part, jump_host=f"ec2-user@127.0.0.1:{part.port}")
    before = part.connections
    async with await connect(profile, "127.0.0.1") as conn:
        result = await conn.run(["systemctl", "is-active", "lorawan-stack.service"])
    assert result.stdout == "active\n"
    assert part.connections == before + 2  # the jump, then the target through it
