"""The instance's file system as the sandbox serves it: a realistic ``/tti`` in a directory.

``build_host_root(root, …)`` writes ``root/tti`` (the ACME cache with the served certificate,
bootstrap logs of a deployment and two restarts, The Things Stack's ``config.yml`` and
``environment`` full of secrets, frequency plans and a binary), a few files the instance has
outside ``/tti`` (``/etc/os-release``, a fake ``/etc/shadow``) and a symlink that leaves
``/tti``. Remote paths map onto it like a chroot. :data:`SECRETS` lists every secret value
written, so tests can grep every output for them. Also run by the end-to-end tier
(``python -m sandbox.host_files ROOT``), whose fake ``sudo`` reads the same tree.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

DOMAIN = "demo.ttes.test"
VERSION_TEXT = (
    "The Things Stack Enterprise\n"
    "Version:             3.33.1\n"
    "Build date:          2026-10-14T09:12:44Z\n"
    "Git commit:          5f1c9a2e\n"
)
# Every secret value below; none may ever appear on a screen, a JSON line or a saved file.
SECRETS = (
    "sandbox-pg-secret-5kq2",
    "sandbox-redis-secret-Zt7",
    "c0ffee-hash-key-4f8e2b1a9d3c7e6f",
    "b10c-block-key-a1b2c3d4e5f60718",
    "cluster-key-9f8e7d6c5b4a39281706",
    "kek-0a1b2c3d4e5f60718293a4b5c6d7e8f9",
    "LICENSE-KEY-TTES-SANDBOX-7731",
    "oauth-client-secret-q9w8e7",
    "smtp-secret-pw-77",
    "SG.sendgrid-api-key-sandbox",
    "webhook-token-xyz-4411",
    "sandbox-shadow-hash-do-not-show",
    "SANDBOX-PRIVATE-KEY-MARKER",
)

CONFIG_YML = f"""\
# The Things Stack configuration (written by the CloudFormation bootstrap)
log:
  level: info
  format: console

is:
  database-uri: postgres://ttn:{SECRETS[0]}@ttes-demo-db.cluster.eu-west-1.rds.amazonaws.com:5432/ttn_lorawan?sslmode=require
  email:
    sender-name: The Things Stack
    sender-address: noreply@{DOMAIN}
    network:
      name: TTES sandbox
      console-url: https://{DOMAIN}/console

redis:
  address: ttes-demo-redis.sandbox.cache.amazonaws.com:6379
  password: {SECRETS[1]}
  tls:
    require: true

http:
  cookie:
    hash-key: {SECRETS[2]}
    block-key: {SECRETS[3]}
  listen: :1885
  listen-tls: :8885

cluster:
  keys:
    - {SECRETS[4]}

as:
  device-kek:
    default: {SECRETS[5]}
  webhooks:
    downlink:
      api-key: "{SECRETS[10]}"

license:
  key: '{SECRETS[6]}'

console:
  ui:
    canonical-url: https://{DOMAIN}/console
  oauth:
    client-id: console
    client-secret: {SECRETS[7]}

email:
  provider: smtp
  smtp:
    address: email-smtp.eu-west-1.amazonaws.com:587
    username: AKIASANDBOXSMTPUSER
    password: {SECRETS[8]}
  sendgrid:
    api-key: {SECRETS[9]}

tls:
  source: acme
  acme:
    dir: /tti/acme
    email: admin@{DOMAIN}
    hosts: [{DOMAIN}]
"""

ENVIRONMENT = f"""\
# Environment of lorawan-stack.service (EnvironmentFile=/tti/lorawan-stack/environment)
TTN_LW_LOG_LEVEL=info
TTN_LW_IS_DATABASE_URI=postgres://ttn:{SECRETS[0]}@ttes-demo-db.cluster.eu-west-1.rds.amazonaws.com:5432/ttn_lorawan
TTN_LW_REDIS_ADDRESS=ttes-demo-redis.sandbox.cache.amazonaws.com:6379
TTN_LW_REDIS_PASSWORD={SECRETS[1]}
TTN_LW_HTTP_COOKIE_HASH_KEY={SECRETS[2]}
TTN_LW_HTTP_COOKIE_BLOCK_KEY={SECRETS[3]}
TTN_LW_CLUSTER_KEYS={SECRETS[4]}
TTN_LW_LICENSE_KEY="{SECRETS[6]}"
TTN_LW_CONSOLE_OAUTH_CLIENT_SECRET={SECRETS[7]}
TTN_LW_TLS_SOURCE=acme
TTN_LW_TLS_ACME_DIR=/tti/acme
"""

OS_RELEASE = """\
NAME="Amazon Linux"
VERSION="2023"
ID="amzn"
PRETTY_NAME="Amazon Linux 2023.6.20241031"
"""

_DEPLOY_STEPS = (
    "Installing packages: postgresql16 redis6 jq",
    "Fetching The Things Stack Enterprise 3.33.1",
    "Writing /tti/lorawan-stack/config.yml",
    "Waiting for the database ttes-demo-db to accept connections",
    "Running tti-lw-stack is-db migrate",
    "Migration 20261014_devices: ok",
    "Creating admin user admin",
    "Enabling lorawan-stack.service",
    "Requesting a certificate for demo.ttes.test from Let's Encrypt",
)


def _stamp(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _deploy_log(t0: float) -> str:
    # Long enough (over 1 MB) that a reader gets its tail, as it would on a real old instance.
    lines = [f"{_stamp(t0 - 30 * 86400)} [bootstrap] CloudFormation bootstrap of ttes-demo started"]
    for i, step in enumerate(_DEPLOY_STEPS):
        lines.append(f"{_stamp(t0 - 30 * 86400 + 60 * i)} [bootstrap] {step}")
    for i in range(16000):
        lines.append(f"{_stamp(t0 - 30 * 86400 + 600 + i)} [yum] Installed: package-{i:05d}.x86_64 (dependency)")
    lines.append(f"{_stamp(t0 - 30 * 86400 + 15000)} [bootstrap] lorawan-stack.service is active")
    lines.append(f"{_stamp(t0 - 30 * 86400 + 15001)} [bootstrap] Deployment complete")
    return "\n".join(lines) + "\n"


def restart_log(epoch: float, reason: str) -> str:
    """A bootstrap restart log, as the instance writes one per restart."""
    return (
        f"{_stamp(epoch)} [restart] Restart of lorawan-stack.service requested: {reason}\n"
        f"{_stamp(epoch)} [restart] systemctl restart lorawan-stack.service\n"
        f"{_stamp(epoch + 2)} [restart] lorawan-stack.service is active\n"
    )


def build_host_root(root: Path, *, acme_pem: bytes, t0: float | None = None) -> Path:
    """Write the instance's files under ``root`` (``root/tti`` is ``/tti``); returns ``root``."""
    t0 = time.time() if t0 is None else t0
    tti = root / "tti"
    for sub in ("acme", "bootstrap", "lorawan-stack/frequency-plans"):
        (tti / sub).mkdir(parents=True, exist_ok=True)
    (root / "etc").mkdir(parents=True, exist_ok=True)
    (root / "etc" / "os-release").write_text(OS_RELEASE)
    (root / "etc" / "shadow").write_text(f"root:$6${SECRETS[11]}:19700:0:99999:7:::\n")
    (tti / "acme" / DOMAIN).write_bytes(acme_pem)
    (tti / "acme" / "acme_account+key").write_text(
        f"-----BEGIN EC PRIVATE KEY-----\n{SECRETS[12]}ACCOUNT\n-----END EC PRIVATE KEY-----\n"
    )
    bootstrap = tti / "bootstrap"
    logs = [
        (bootstrap / "deploy.log", _deploy_log(t0), t0 - 30 * 86400 + 15001),
        (bootstrap / "restart-1.log", restart_log(t0 - 12 * 86400, "configuration change"), t0 - 12 * 86400 + 2),
        (bootstrap / "restart-2.log", restart_log(t0 - 3 * 86400, "certificate renewal"), t0 - 3 * 86400 + 2),
    ]
    for path, text, mtime in logs:
        path.write_text(text)
        os.utime(path, (mtime, mtime))
    stack = tti / "lorawan-stack"
    (stack / "config.yml").write_text(CONFIG_YML)
    (stack / "environment").write_text(ENVIRONMENT)
    (stack / "frequency-plans" / "EU_863_870.yml").write_text(
        "band-id: EU_863_870\nuplink-channels:\n  - frequency: 868100000\n  - frequency: 868300000\n"
    )
    # An ELF header and zeros: what the console must refuse to show as text.
    (stack / "tti-lw-stack").write_bytes(b"\x7fELF\x02\x01\x01" + bytes(4096))
    os.chmod(stack / "tti-lw-stack", 0o755)
    link = bootstrap / "shadow.log"
    if not link.is_symlink():
        link.symlink_to("../../etc/shadow")  # leaves /tti: must be refused
    return root


if __name__ == "__main__":  # the end-to-end tier: python -m sandbox.host_files ROOT PEM_FILE
    build_host_root(Path(sys.argv[1]), acme_pem=Path(sys.argv[2]).read_bytes())
