"""``host doctor``: why SSH to the instance fails, answered from AWS with read-only calls.

Each finding is one sentence with what to do: the instance's state, its EC2 status checks and
scheduled events; the security group's port-22 ingress against the operator's public address
(naming the stack parameter that sets it); the Elastic IP against the PublicIP output; the key
pair against the local keys; and, when the instance is impaired or SSH times out, the last lines
of its console output (safe text). Verdict: ``clear`` (exit 0), ``blocked`` (2), ``unknown`` (3).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from services.core.aws import AwsClients
from services.core.config import Profile
from services.core.errors import ConsoleError
from services.core.safe_text import safe_text
from services.health.check import Status
from services.host.facts import Finding
from services.host.identity import local_keys, normalise_fingerprint, public_address
from services.stack.model import Stack, load_stack

CONSOLE_LINES = 15
SSH_RANGE_PARAMETER = "Restrict SSH Access to IP Range"
_EXIT = {"clear": 0, "blocked": 2, "unknown": 3}


@dataclass(frozen=True)
class DoctorReport:
    """Every finding, and what they add up to."""

    findings: tuple[Finding, ...]
    instance_id: str = ""
    address: str = ""
    checked_at: datetime | None = None

    @property
    def verdict(self) -> str:
        statuses = {f.status for f in self.findings}
        if Status.CRITICAL in statuses:
            return "blocked"
        return "unknown" if Status.UNKNOWN in statuses or not self.findings else "clear"

    @property
    def exit_code(self) -> int:
        return _EXIT[self.verdict]

    def as_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "instance_id": self.instance_id,
            "operator_address": self.address or None,
            "checked_at": self.checked_at.isoformat() if self.checked_at else None,
            "findings": [f.as_json() for f in self.findings],
        }


async def run_doctor(profile: Profile, *, ssh_error: str | None = None, probe_ssh: bool = True) -> DoctorReport:
    """Ask AWS (and, unless told how SSH failed, SSH itself) why SSH fails."""
    now = datetime.now(UTC)
    clients = AwsClients(profile)
    try:
        stack = await load_stack(clients)
    except ConsoleError as exc:
        return DoctorReport((Finding(Status.UNKNOWN, f"Cannot tell: {exc}"),), checked_at=now)
    instance_id = next((r.physical_id for r in stack.resources if r.type == "AWS::EC2::Instance"), "")
    if not instance_id:
        sentence = f"Cannot tell: stack {stack.name} has no EC2 instance resource."
        return DoctorReport((Finding(Status.UNKNOWN, sentence),), checked_at=now)
    findings: list[Finding] = []
    if ssh_error is None and probe_ssh:
        ssh_error = await _probe_ssh(profile, stack, findings)
    timed_out = bool(ssh_error and "timed out" in ssh_error)
    address = ""
    try:
        instance = await _instance(clients, instance_id)
        impaired = await _state_and_status(clients, instance, findings)
        address = await _security_groups(clients, profile, stack, instance, findings)
        await _elastic_ip(clients, stack, instance_id, findings)
        await _key_pair(clients, profile, instance, findings)
        if impaired or timed_out:
            await _console_output(clients, instance_id, impaired, findings)
    except ConsoleError as exc:
        findings.append(Finding(Status.UNKNOWN, f"Cannot tell the rest: {exc}"))
    return DoctorReport(tuple(findings), instance_id, address, now)


async def _probe_ssh(profile: Profile, stack: Stack, findings: list[Finding]) -> str:
    from services.core.errors import Unreachable
    from services.core.ssh_target import resolve_target
    from services.health.reach import ssh_banner

    target = await asyncio.to_thread(resolve_target, profile, profile.ssh.host or stack.public_ip)
    host, port = target.host, target.port
    try:
        banner = await ssh_banner(host, port, profile.ssh.connect_timeout)
    except Unreachable as exc:
        findings.append(Finding(Status.CRITICAL, str(exc).rstrip(".")))
        return str(exc)
    findings.append(Finding(Status.OK, f"SSH answers on {host}:{port} ({safe_text(banner.banner)})"))
    return ""


async def _instance(clients: AwsClients, instance_id: str) -> dict[str, Any]:
    response = await clients.call("ec2", "describe_instances", InstanceIds=[instance_id])
    for reservation in response.get("Reservations", []):
        for instance in reservation.get("Instances", []):
            return dict(instance)
    raise ConsoleError(f"EC2 does not know instance {instance_id} any more; the stack may need an update.")


async def _state_and_status(clients: AwsClients, instance: dict[str, Any], findings: list[Finding]) -> bool:
    """Instance state, status checks and events; True when the instance is impaired."""
    instance_id = instance["InstanceId"]
    state = instance.get("State", {}).get("Name", "unknown")
    if state != "running":
        findings.append(Finding(Status.CRITICAL, f"Instance {instance_id} is {state}; start it (EC2 console, or "
                                                 f"`aws ec2 start-instances --instance-ids {instance_id}`)"))  # fmt: skip
        return False
    response = await clients.call(
        "ec2", "describe_instance_status", InstanceIds=[instance_id], IncludeAllInstances=True
    )
    statuses = response.get("InstanceStatuses", [])
    if not statuses:
        findings.append(Finding(Status.UNKNOWN, f"EC2 reports no status checks for {instance_id} yet"))
        return False
    status = statuses[0]
    system = status.get("SystemStatus", {}).get("Status", "unknown")
    own = status.get("InstanceStatus", {}).get("Status", "unknown")
    impaired = "impaired" in (system, own)
    checks = f"system status {system}, instance status {own}"
    if impaired:
        advice = (
            "stop and start the instance (it moves to healthy hardware)"
            if system == "impaired"
            else "the operating system is not answering: read the console output below, then reboot or fix the disk"
        )
        findings.append(Finding(Status.CRITICAL, f"Instance {instance_id} is running but its EC2 status checks fail "
                                                 f"({checks}); {advice}"))  # fmt: skip
    elif "initializing" in (system, own):
        findings.append(
            Finding(Status.WARN, f"Instance {instance_id}'s status checks are still initializing ({checks})")
        )
    else:
        findings.append(
            Finding(Status.OK, f"Instance {instance_id} is running and passes its status checks ({checks})")
        )
    for event in status.get("Events", []):
        when = event.get("NotBefore")
        start = f" from {when:%Y-%m-%d %H:%M} UTC" if isinstance(when, datetime) else ""
        findings.append(Finding(Status.WARN, f"Scheduled event {safe_text(str(event.get('Code', '')))}{start}: "
                                             f"{safe_text(str(event.get('Description', '')))}; plan a stop and start "
                                             "before it to choose the moment yourself"))  # fmt: skip
    return impaired


def _ssh_ranges(groups: list[dict[str, Any]]) -> list[str]:
    ranges: list[str] = []
    for group in groups:
        for perm in group.get("IpPermissions", []):
            proto = str(perm.get("IpProtocol", ""))
            if proto == "-1" or (proto in ("tcp", "6") and perm.get("FromPort", 0) <= 22 <= perm.get("ToPort", -1)):
                ranges += [str(r.get("CidrIp")) for r in perm.get("IpRanges", []) if r.get("CidrIp")]
                ranges += [str(r.get("CidrIpv6")) for r in perm.get("Ipv6Ranges", []) if r.get("CidrIpv6")]
    return ranges


def _range_parameter(stack: Stack) -> str:
    """How to name the parameter that sets the SSH range: its display name, logical name and value."""
    for p in stack.parameters:
        if SSH_RANGE_PARAMETER.lower() in p.description.lower():
            return f"the stack parameter '{SSH_RANGE_PARAMETER}' ({p.key}, now {safe_text(p.value)})"
    return f"the stack parameter '{SSH_RANGE_PARAMETER}'"


async def _security_groups(
    clients: AwsClients, profile: Profile, stack: Stack, instance: dict[str, Any], findings: list[Finding]
) -> str:
    group_ids = [g["GroupId"] for g in instance.get("SecurityGroups", []) if g.get("GroupId")]
    if not group_ids:
        findings.append(Finding(Status.CRITICAL, f"Instance {instance['InstanceId']} has no security group; "
                                                 "nothing may reach port 22"))  # fmt: skip
        return ""
    response = await clients.call("ec2", "describe_security_groups", GroupIds=group_ids)
    ranges = _ssh_ranges(response.get("SecurityGroups", []))
    parameter = _range_parameter(stack)
    address, source = await public_address(profile)
    if not ranges:
        findings.append(Finding(Status.CRITICAL, f"No rule of security group {', '.join(group_ids)} allows TCP 22; "
                                                 f"set {parameter} to your range with a change set"))  # fmt: skip
        return address
    shown = ", ".join(ranges)
    if not address:
        findings.append(Finding(Status.UNKNOWN, f"Port 22 is open to {shown}, but your public address is unknown "
                                                f"({source}); set ssh.source_address to compare"))  # fmt: skip
        return ""
    ip = ipaddress.ip_address(address)
    inside = [r for r in ranges if _contains(r, ip)]
    if inside:
        findings.append(Finding(Status.OK, f"Port 22 is open to {', '.join(inside)}, which includes your address "
                                           f"{address} (from {source})"))  # fmt: skip
    else:
        findings.append(Finding(Status.CRITICAL, f"Your address {address} (from {source}) is outside {shown}, the "
                                                 f"security group's port-22 range; change {parameter} to a range "
                                                 f"that includes it (e.g. {address}/{ip.max_prefixlen}) with a "
                                                 "change set"))  # fmt: skip
    return address


def _contains(cidr: str, ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    try:
        network = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False
    return network.version == ip.version and ip in network


async def _elastic_ip(clients: AwsClients, stack: Stack, instance_id: str, findings: list[Finding]) -> None:
    response = await clients.call(
        "ec2", "describe_addresses", Filters=[{"Name": "instance-id", "Values": [instance_id]}]
    )
    addresses = [str(a.get("PublicIp", "")) for a in response.get("Addresses", [])]
    if not addresses:
        findings.append(Finding(Status.CRITICAL, f"No Elastic IP is associated with {instance_id}; the PublicIP "
                                                 f"output {stack.public_ip or '(none)'} reaches nothing: associate "
                                                 "it again (EC2 → Elastic IPs → Associate)"))  # fmt: skip
    elif stack.public_ip and stack.public_ip not in addresses:
        findings.append(Finding(Status.CRITICAL, f"The Elastic IP of {instance_id} is {', '.join(addresses)}, not the "
                                                 f"PublicIP output {stack.public_ip}; connect to the associated address "
                                                 "or associate the stack's one again"))  # fmt: skip
    else:
        findings.append(Finding(Status.OK, f"Elastic IP {addresses[0]} is associated with {instance_id} and equals "
                                           "the PublicIP output"))  # fmt: skip


async def _key_pair(clients: AwsClients, profile: Profile, instance: dict[str, Any], findings: list[Finding]) -> None:
    name = str(instance.get("KeyName", ""))
    if not name:
        findings.append(Finding(Status.CRITICAL, f"Instance {instance['InstanceId']} was launched without a key pair; "
                                                 "only EC2 Instance Connect or SSM can reach it"))  # fmt: skip
        return
    try:
        response = await clients.call("ec2", "describe_key_pairs", KeyNames=[name])
    except ConsoleError as exc:
        if "NotFound" in getattr(exc, "code", ""):
            findings.append(Finding(Status.WARN, f"Key pair {name} no longer exists in EC2 (the instance keeps the "
                                                 "key it was launched with); use the private key you kept"))  # fmt: skip
            return
        raise
    pair = response.get("KeyPairs", [{}])[0]
    fingerprint = str(pair.get("KeyFingerprint", ""))
    key_type = str(pair.get("KeyType", "rsa"))
    wanted = normalise_fingerprint(fingerprint)
    keys, problems = await local_keys(profile)
    for problem in problems:
        findings.append(Finding(Status.WARN, problem))
    match = next((k for k in keys if wanted in k.ec2_forms), None)
    if match is not None:
        findings.append(Finding(Status.OK, f"Your {match.source} is key pair {name}'s key ({fingerprint})"))
        return
    if not keys:
        findings.append(Finding(Status.UNKNOWN, f"No local key to compare with key pair {name} (EC2 fingerprint "
                                                f"{fingerprint}); set ssh.identity_file or load the key into ssh-agent"))  # fmt: skip
        return
    yours = "; ".join(f"{k.source} {k.openssh_fingerprint}" for k in keys)
    comparable = key_type == "ed25519" or any(
        k.algorithm == "ssh-rsa" and k.source.startswith("identity") for k in keys
    )
    if comparable:
        findings.append(Finding(Status.CRITICAL, f"None of your keys is key pair {name} (EC2 fingerprint {fingerprint}; "
                                                 f"yours: {yours}); use that key pair's private key as "
                                                 "ssh.identity_file"))  # fmt: skip
    else:
        findings.append(Finding(Status.WARN, f"Key pair {name} ({key_type}, EC2 fingerprint {fingerprint}) cannot be "
                                             f"compared with your agent's keys ({yours}); check by hand"))  # fmt: skip


async def _console_output(clients: AwsClients, instance_id: str, impaired: bool, findings: list[Finding]) -> None:
    try:
        response = await clients.call("ec2", "get_console_output", InstanceId=instance_id, Latest=True)
    except ConsoleError as exc:
        findings.append(Finding(Status.UNKNOWN, f"The console output could not be read: {exc}"))
        return
    text = _decode_console(str(response.get("Output", "") or ""))
    lines = tuple(safe_text(line) for line in text.rstrip("\n").splitlines()[-CONSOLE_LINES:])
    if not lines:
        findings.append(Finding(Status.UNKNOWN, f"{instance_id}'s console output is empty (it may take minutes)"))
        return
    hint = ""
    lowered = text.lower()
    if "no space left on device" in lowered:
        hint = ": the disk is full"
    elif "kernel panic" in lowered:
        hint = ": the kernel panicked"
    level = Status.CRITICAL if impaired and hint else Status.WARN
    findings.append(Finding(level, f"The last {len(lines)} lines of {instance_id}'s console output{hint}", lines))


def _decode_console(output: str) -> str:
    """EC2 sends the console output base64-encoded; some SDKs and emulators hand it over decoded."""
    try:
        raw = base64.b64decode(output, validate=True)
    except (binascii.Error, ValueError):
        return output
    return raw.decode("utf-8", "replace")
