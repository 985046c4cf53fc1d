"""What every simulated peer shares: the deployment's names, the scenarios that run, the sandbox CA.

The parts import this module and the sandbox (``sandbox.core``) imports the parts, so no part
imports back into the module that starts it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

ACCOUNT_ID = "123456789012"  # moto's default account
BLOCKED_SSH_RANGE = "203.0.113.0/24"  # scenario ssh-blocked: the template's SSHLocation
STACK_NAME = "ttes-demo"
REGION = "eu-west-1"
DOMAIN = "demo.ttes.test"
# TEST-NET-2 (RFC 5737): documentation addresses, never routed; nothing ever connects to it.
PUBLIC_IP = "198.51.100.7"


@dataclass
class SandboxContext:
    """What the parts share: where to put files, which scenarios run, what the stack says."""

    workdir: Path
    scenarios: frozenset[str]
    stack_name: str = STACK_NAME
    region: str = REGION
    domain: str = DOMAIN
    public_ip: str = PUBLIC_IP  # the stack's Elastic IP is allocated from this fixed address
    endpoint_url: str = ""
    environ: dict[str, str] = field(default_factory=dict)
    ca: Any = None  # trustme.CA, made on first use by ca_for()
    ca_file: Path | None = None
    fleet: list[Any] = field(default_factory=list)  # sandbox.fleet.FleetStack: the other stacks (scenario fleet)
    served_cert: Any = None  # trustme.LeafCert the HTTPS part serves, made on first use by web.served_leaf()
    started: float = field(default_factory=time.time)  # the story in sandbox/history.py counts back from here
    history: bool = True  # tell that story in every source (tests that count their own records turn it off)

    def scenario(self, name: str) -> bool:
        return name in self.scenarios

    def aws_client(self, service: str, region: str | None = None, *, as_operator: bool = False) -> Any:
        """A boto3 client of the sandbox's moto server: set-up credentials, or the operator's."""
        import boto3

        creds = self.environ if as_operator else {}
        make: Any = boto3.client  # the service is a run-time name, which boto3-stubs' overloads refuse
        return make(
            service,
            endpoint_url=self.endpoint_url,
            region_name=region or self.region,
            aws_access_key_id=creds.get("AWS_ACCESS_KEY_ID", "sandbox-setup"),
            aws_secret_access_key=creds.get("AWS_SECRET_ACCESS_KEY", "sandbox-setup"),
        )

    def sandbox_ca(self) -> Any:
        """The sandbox's certificate authority (trustme), written to ``ca.pem`` once."""
        if self.ca is None:
            import trustme

            self.ca = trustme.CA(organization_name="ttes-console sandbox")
            self.ca_file = self.workdir / "ca.pem"
            self.ca.cert_pem.write_to_path(str(self.ca_file))
        return self.ca


class SandboxPart(Protocol):
    """One simulated peer: started in order, stopped in reverse."""

    async def start(self, ctx: SandboxContext) -> None: ...

    async def stop(self) -> None: ...

    def settings(self) -> dict[str, dict[str, Any]]:
        """Profile sections this part fills, e.g. ``{"dns": {"port": 5353}}``."""
        ...
