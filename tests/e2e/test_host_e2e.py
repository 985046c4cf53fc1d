"""End-to-end: services/host against Debian's OpenSSH sshd, the sandbox's /tti behind a fake ``sudo``.

sshd runs on a loopback port with its own config and keys. The SSH user's PATH holds a ``sudo``
that answers ``find``/``readlink``/``stat``/``tail``/``cat`` from the sandbox's host root (the
same files the asyncssh server serves, ``python -m sandbox.host_shell``) and runs anything else
as it is. SFTP is the real sftp-server, where ``/tti`` does not exist: reads fall back to sudo.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest

from sandbox.host_files import SECRETS, build_host_root
from services.core.config import Profile
from services.core.ssh import connect
from services.host.facts import gather_facts
from services.host.files import list_tree, read_file
from services.host.paths import PathRefused
from tests.e2e.sshd import ROOT, running_sshd

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def profile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Profile]:
    work = tmp_path_factory.mktemp("sshd-host")
    host_root = build_host_root(work / "host", acme_pem=b"-----BEGIN CERTIFICATE-----\nnot a real one\n"
                                                         b"-----END CERTIFICATE-----\n")  # fmt: skip
    sudo = (
        '#!/bin/sh\nwhile [ "${1#-}" != "$1" ]; do shift; done\n'
        'case "$1" in find|readlink|stat|tail|cat)\n'
        f'  PYTHONPATH={ROOT} exec {sys.executable} -m sandbox.host_shell {host_root} "$@";;\nesac\nexec "$@"\n'
    )
    sftp = next(
        (p for p in ("/usr/lib/openssh/sftp-server", "/usr/libexec/openssh/sftp-server") if os.path.exists(p)), ""
    )
    sftp_config = f"Subsystem sftp {sftp}\n" if sftp else ""
    with running_sshd(work, scripts={"sudo": sudo}, config=sftp_config) as server:
        yield server.profile()


async def test_tree_and_masked_config_through_real_sshd(profile: Profile) -> None:
    async with await connect(profile, "127.0.0.1") as conn:
        tree = await list_tree(conn)
        paths = {e.path for e in tree}
        assert {"/tti/acme/demo.ttes.test", "/tti/lorawan-stack/config.yml", "/tti/bootstrap/deploy.log"} <= paths
        config = await read_file(conn, "/tti/lorawan-stack/config.yml")
        assert config.via == "sudo" and config.masked == 11
        assert not [s for s in SECRETS if s in config.text]
        deploy = await read_file(conn, "/tti/bootstrap/deploy.log")
        assert deploy.truncated and deploy.text.rstrip().endswith("Deployment complete")


async def test_paths_out_of_tti_are_refused_through_real_sshd(profile: Profile) -> None:
    async with await connect(profile, "127.0.0.1") as conn:
        with pytest.raises(PathRefused, match="symlink to /etc/shadow"):
            await read_file(conn, "/tti/bootstrap/shadow.log")
        with pytest.raises(PathRefused, match=r"'\.\.' is not allowed"):
            await read_file(conn, "/tti/../etc/shadow")


async def test_facts_from_the_real_machine_through_real_sshd(profile: Profile) -> None:
    """uname, /proc, free, df run for real (with the tree beside them on one connection)."""
    import asyncio

    async with await connect(profile, "127.0.0.1") as conn:
        facts, tree = await asyncio.gather(gather_facts(conn, "lorawan-stack.service"), list_tree(conn))
    assert tree and facts.kernel and facts.uptime_seconds and facts.load is not None
    assert facts.memory_total and facts.memory_total > 0
    # No stack binary on this machine: its fact is missing, with the reason, and the rest still count.
    assert any(error.startswith("/tti/lorawan-stack/tti-lw-stack version") for error in facts.errors)
    assert not [e for e in facts.errors if "open failed" in e or "SSH connection" in e]  # within MaxSessions
    assert [d.mount for d in facts.disks] == ["/"]  # /tti does not exist here; / is still measured
