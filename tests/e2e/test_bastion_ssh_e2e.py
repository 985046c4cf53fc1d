"""End-to-end: SSH as an operator's bastion has it, against Debian's OpenSSH sshd.

A temporary HOME holds the usual ``~/.ssh/config``: an alias with its own HostName, Port, User,
IdentityFile and UserKnownHostsFile (hashed entries), a jump host (ProxyJump) whose key is
only in the GlobalKnownHostsFile, and a host reached by the name ``localhost`` behind the jump.
The console's profile names only the alias: no user, port, key or known_hosts. Two sshd run
on loopback (the instance and the jump host); the instance's PATH holds a fake ``journalctl``.
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncssh
import pytest

from services.core.config import Profile, SshSettings
from services.core.errors import HostKeyMismatch, HostKeyUnknown
from services.core.ssh import connect, fetch_host_key, trust_host_key
from services.health import reach
from services.health.run import CheckContext, Status
from services.journal.follow import read_journal
from tests.conftest import run_cli
from tests.e2e.sshd import Sshd, running_sshd

USER = getpass.getuser()
FORWARDING = "AllowTcpForwarding yes\n"  # ProxyJump reaches the instance through a forwarded channel
pytestmark = pytest.mark.e2e


def hashed_entry(host: str, port: int, public: str) -> str:
    """A known_hosts line as ``ssh-keygen -H`` writes it (HMAC-SHA1 of the host pattern)."""
    pattern = host if port == 22 else f"[{host}]:{port}"
    salt = os.urandom(20)
    digest = hmac.new(salt, pattern.encode(), hashlib.sha1).digest()
    return f"|1|{base64.b64encode(salt).decode()}|{base64.b64encode(digest).decode()} {public}"


@dataclass
class Bastion:
    home: Path
    target_port: int
    jump_port: int
    target_public: str
    jump_public: str

    @property
    def env(self) -> dict[str, str]:
        return {"HOME": str(self.home), "SSH_AUTH_SOCK": ""}

    def profile(self, host: str, **ssh: object) -> Profile:
        return Profile(name="bastion", stack="ttes-demo", ssh=SshSettings(host=host, connect_timeout=10.0, **ssh))  # type: ignore[arg-type]

    def config_file(self, host: str) -> Path:
        path = self.home / f"console-{host}.toml"
        path.write_text(
            f'[profiles.b]\nstack = "ttes-demo"\nregion = "eu-west-1"\n\n[profiles.b.ssh]\nhost = "{host}"\n'
        )
        return path


@pytest.fixture(scope="module")
def bastion(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bastion]:
    root = tmp_path_factory.mktemp("bastion")
    home = root / "home"
    ssh_dir = home / ".ssh"
    ssh_dir.mkdir(parents=True, mode=0o700)
    client = asyncssh.generate_private_key("ssh-ed25519")
    client.write_private_key(str(ssh_dir / "id_bastion"))
    os.chmod(ssh_dir / "id_bastion", 0o600)
    public = client.export_public_key().decode()
    with (
        running_sshd(root / "instance", journal=True, client_public=public, config=FORWARDING) as target,
        running_sshd(root / "jump", client_public=public, config=FORWARDING) as jump,
    ):
        yield _configure(root, ssh_dir, target, jump)


def _configure(root: Path, ssh_dir: Path, target: Sshd, jump: Sshd) -> Bastion:
    """The operator's ``~/.ssh``: aliases, the jump host, hashed and global known_hosts."""
    target_port, target_public, jump_port, jump_public = target.port, target.host_public, jump.port, jump.host_public
    global_file = root / "ssh_known_hosts"
    (ssh_dir / "config").write_text(
        f"Host ttes-alias\n  HostName 127.0.0.1\n  Port {target_port}\n  User {USER}\n"
        f"  IdentityFile ~/.ssh/id_bastion\n\n"
        f"Host ttes-behind\n  HostName localhost\n  Port {target_port}\n  User {USER}\n"
        f"  IdentityFile ~/.ssh/id_bastion\n  ProxyJump jumpbox\n\n"
        f"Host jumpbox\n  HostName 127.0.0.1\n  Port {jump_port}\n  User {USER}\n  IdentityFile ~/.ssh/id_bastion\n\n"
        f"Host *\n  UserKnownHostsFile ~/.ssh/known_hosts_hashed\n  GlobalKnownHostsFile {global_file}\n"
    )
    # The instance's key only hashed in the user's file; the jump host's only in the global file.
    (ssh_dir / "known_hosts_hashed").write_text(
        hashed_entry("127.0.0.1", target_port, target_public)
        + "\n"
        + hashed_entry("localhost", target_port, target_public)
        + "\n"
    )
    global_file.write_text(f"[127.0.0.1]:{jump_port} {jump_public}\n")
    return Bastion(ssh_dir.parent, target_port, jump_port, target_public, jump_public)


@pytest.fixture
def at_home(bastion: Bastion, monkeypatch: pytest.MonkeyPatch) -> Bastion:
    monkeypatch.setenv("HOME", str(bastion.home))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    return bastion


@pytest.mark.parametrize("alias", ["ttes-alias", "ttes-behind"])
def test_logs_through_an_alias_defined_only_in_ssh_config(bastion: Bastion, alias: str) -> None:
    done = run_cli("--config", str(bastion.config_file(alias)), "logs", "-n", "20", env=bastion.env, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 20 and all("Z " in line for line in lines), lines[:3]


@pytest.mark.parametrize("alias", ["ttes-alias", "ttes-behind"])
async def test_the_ssh_health_check_goes_the_way_the_journal_goes(at_home: Bastion, alias: str) -> None:
    result = await reach.check(CheckContext(at_home.profile(alias), None))
    assert result.status is Status.OK, result.summary
    assert result.summary.startswith("SSH-2.0-OpenSSH")
    host = "127.0.0.1" if alias == "ttes-alias" else "localhost"
    assert f"{alias} = {USER}@{host}:{at_home.target_port}" in result.summary
    assert ("via jumpbox" in result.summary) == (alias == "ttes-behind")


async def test_profile_jump_host_in_proxyjump_syntax_with_its_own_user_and_port(at_home: Bastion) -> None:
    profile = at_home.profile(
        "localhost",
        port=at_home.target_port,
        user=USER,
        identity_file=str(at_home.home / ".ssh" / "id_bastion"),  # no config block: the profile's key, every hop
        jump_host=f"{USER}@127.0.0.1:{at_home.jump_port}",
    )
    entries = await read_journal(profile, "localhost", lines=5)
    assert len(entries) == 5
    async with await connect(profile, "localhost") as conn:
        assert conn.where == f"{USER}@localhost:{at_home.target_port} via {USER}@127.0.0.1:{at_home.jump_port}"


async def test_a_changed_host_key_is_refused_with_the_fingerprint(at_home: Bastion, tmp_path: Path) -> None:
    other = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode().strip()
    known = tmp_path / "known_hosts"
    known.write_text(hashed_entry("127.0.0.1", at_home.target_port, other) + "\n")
    offered = asyncssh.import_public_key(at_home.target_public).get_fingerprint("sha256")
    with pytest.raises(HostKeyMismatch) as err:
        await connect(at_home.profile("ttes-alias", known_hosts=str(known)), "ttes-alias")
    assert err.value.fingerprint == offered and offered in str(err.value) and "CHANGED" in str(err.value)
    result = await reach.check(CheckContext(at_home.profile("ttes-alias", known_hosts=str(known)), None))
    assert result.status is Status.CRITICAL and offered in result.summary


async def test_first_contact_through_the_jump_asks_then_writes_the_users_file_only(
    at_home: Bastion, tmp_path: Path
) -> None:
    known = tmp_path / "mine"
    profile = at_home.profile("ttes-behind", known_hosts=str(known))
    with pytest.raises(HostKeyUnknown) as err:
        await connect(profile, "ttes-behind")
    offered = await fetch_host_key(profile, "ttes-behind")  # through the jump, to localhost's sshd
    assert offered.fingerprint == err.value.fingerprint
    assert offered.known_hosts_line == f"[localhost]:{at_home.target_port} {at_home.target_public}"
    global_before = (at_home.home.parent / "ssh_known_hosts").read_text()
    assert trust_host_key(profile, offered, err.value.fingerprint) == known
    async with await connect(profile, "ttes-behind") as conn:
        assert (await conn.run(["true"])).exit_status == 0
    assert (at_home.home.parent / "ssh_known_hosts").read_text() == global_before
