"""EC2 fidelity for ``host doctor`` around moto, and the operator's what-is-my-address service.

moto answers DescribeInstances, DescribeSecurityGroups, DescribeAddresses and DescribeKeyPairs
from the stack's resources, but every instance's status checks are always ``ok``, its console
output is a fixed 2013 boot log, and an imported ED25519 key gets a hex fingerprint EC2 never
gives. Inside the sandbox process only, this part:

- imports the sandbox's SSH client key as the stack's key pair, with EC2's ED25519 fingerprint
  (base64 SHA-256 of the OpenSSH public key blob);
- gives the instance an Amazon Linux console log, and with ``instance-impaired`` failing system
  and instance reachability checks, a scheduled event and a log that ends in a disk-full error;
- serves ``http://127.0.0.1:PORT/`` answering the operator's public address, as
  checkip.amazonaws.com does (:data:`OPERATOR_ADDRESS`, outside ``ssh-blocked``'s range).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.context import SandboxContext

OPERATOR_ADDRESS = "198.51.100.200"

CONSOLE_OK = """\
[    0.000000] Linux version 6.1.112-122.189.amzn2023.x86_64 (mockbuild@ip-10-0-53-154) (gcc (GCC) 11.4.1)
[    0.000000] Command line: BOOT_IMAGE=(hd0,gpt1)/boot/vmlinuz-6.1.112 root=UUID=2b7e ro console=ttyS0,115200n8
[    1.204311] EXT4-fs (nvme0n1p1): mounted filesystem with ordered data mode
[    4.118220] cloud-init[1422]: Cloud-init v. 22.2.2 running 'modules:final'
[  OK  ] Started lorawan-stack.service - The Things Stack.
[  OK  ] Reached target multi-user.target - Multi-User System.
Amazon Linux 2023.6.20241031
Kernel 6.1.112-122.189.amzn2023.x86_64 on an x86_64 (-)
ip-10-0-1-23 login:
"""
CONSOLE_IMPAIRED_TAIL = """\
[812344.551201] EXT4-fs warning (device nvme0n1p1): ext4_dx_add_entry:2516: Directory index full!
[812344.551874] systemd-journald[612]: Failed to write entry (22 items, 731 bytes), ignoring: No space left on device
[812345.002311] EXT4-fs error (device nvme0n1p1): ext4_journal_check_start:83: comm sshd: Detected aborted journal
[812345.003118] EXT4-fs (nvme0n1p1): Remounting filesystem read-only
[812351.774102] sshd[24170]: fatal: mm_request_send: write: Broken pipe
[812402.118330] INFO: task jbd2/nvme0n1p1-:388 blocked for more than 120 seconds.
"""


class HostAwsPart:
    """Started after the AWS and SSH parts: key pair, status-check fidelity, address service."""

    def __init__(self) -> None:
        self._server: asyncio.Server | None = None
        self.myip_port = 0

    async def start(self, ctx: SandboxContext) -> None:
        impaired = ctx.scenario("instance-impaired")
        await asyncio.to_thread(_install, ctx, impaired)
        self._server = await asyncio.start_server(self._answer, "127.0.0.1", 0)
        self.myip_port = self._server.sockets[0].getsockname()[1]

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, TimeoutError, asyncio.IncompleteReadError):
            await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            body = f"{OPERATOR_ADDRESS}\n".encode()
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        writer.close()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._server.wait_closed(), 2)
            self._server = None

    def settings(self) -> dict[str, dict[str, Any]]:
        return {"host": {"myip_url": f"http://127.0.0.1:{self.myip_port}/"}}


def ec2_ed25519_fingerprint(openssh_public: str) -> str:
    """EC2's KeyFingerprint of an ED25519 key: base64 of the SHA-256 of the key blob."""
    blob = base64.b64decode(openssh_public.split()[1])
    return base64.b64encode(hashlib.sha256(blob).digest()).decode()


def _install(ctx: SandboxContext, impaired: bool) -> None:
    import asyncssh
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.instances import Instance
    from moto.ec2.responses import general

    from sandbox.aws import KEY_PAIR
    from sandbox.context import ACCOUNT_ID

    key = asyncssh.read_private_key(str(ctx.workdir / "ssh_client_key"))
    public = key.export_public_key("openssh").decode().strip()
    # Straight into moto's backend: under read-only-iam the API already refuses the setup's keys.
    backend = ec2_backends[ACCOUNT_ID][ctx.region]
    backend.import_key_pair(KEY_PAIR, public.encode(), {})
    backend.key_pairs[KEY_PAIR].key_fingerprint = ec2_ed25519_fingerprint(public)

    def status(self: Instance) -> dict[str, Any]:
        if self.state_code != 16:
            return {"Status": "not-applicable"}
        if impaired:
            return {"Details": [{"Name": "reachability", "Status": "failed"}], "Status": "impaired"}
        return {"Details": [{"Name": "reachability", "Status": "passed"}], "Status": "ok"}

    def events(self: Instance) -> list[dict[str, Any]]:
        if not impaired:
            return []
        start = datetime.now(UTC) + timedelta(days=2)
        return [
            {
                "Code": "system-maintenance",
                "Description": "The instance is running on degraded hardware",
                "NotBefore": start,
                "NotAfter": start + timedelta(hours=2),
            }
        ]

    Instance.instance_status = property(status)  # type: ignore[method-assign,assignment]
    Instance.system_status = property(status)  # type: ignore[method-assign,assignment]
    Instance.events = property(events)  # type: ignore[attr-defined]
    text = CONSOLE_OK + (CONSOLE_IMPAIRED_TAIL if impaired else "")
    general.SAMPLE_CONSOLE_OUTPUT = text
