"""End-to-end: AWS as an operator's bastion has it, against the sandbox's moto server.

A temporary HOME holds ``~/.aws/config``: a profile whose region is ``us-east-2`` and whose
credentials come from ``credential_process`` (a script printing the sandbox's key and a session
token), and an SSO profile that was never logged in (no cached token). The console's profile
names only the AWS profile: no region. HOME is set in the CLI's environment, never ours.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from tests.conftest import ROOT, RunningSandbox

pytestmark = pytest.mark.e2e

EAST = "us-east-2"
EAST_STACK = "bastion-east"
TOKEN = "FwoGZXIvYXdzEBastionE2eSessionTokenThatMustNeverBeLogged"
TEMPLATE = {"Resources": {"Alerts": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "bastion-east"}}}}
# Every variable that could hand the CLI credentials or a region other than the files' own.
CLEARED = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
)


@pytest.fixture(scope="module")
def east_stack(sandbox: RunningSandbox) -> str:
    """A stack that exists only in us-east-2 (the sandbox's own lives in eu-west-1)."""
    profile = sandbox.profile()
    cfn = boto3.client(
        "cloudformation",
        region_name=EAST,
        endpoint_url=profile.endpoint_url,
        aws_access_key_id=sandbox.environ["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=sandbox.environ["AWS_SECRET_ACCESS_KEY"],
    )
    cfn.create_stack(StackName=EAST_STACK, TemplateBody=json.dumps(TEMPLATE))
    return profile.endpoint_url


def _home(tmp_path: Path, sandbox: RunningSandbox) -> Path:
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    script = home / "creds.py"
    script.write_text(
        "import json\nprint(json.dumps({'Version': 1, "
        f"'AccessKeyId': {sandbox.environ['AWS_ACCESS_KEY_ID']!r}, "
        f"'SecretAccessKey': {sandbox.environ['AWS_SECRET_ACCESS_KEY']!r}, 'SessionToken': {TOKEN!r}}}))\n"
    )
    (home / ".aws" / "config").write_text(
        f"[profile bastion]\nregion = {EAST}\ncredential_process = {sys.executable} {script}\n\n"
        "[profile oncall-sso]\nregion = eu-west-1\nsso_start_url = https://example.awsapps.com/start\n"
        "sso_region = eu-west-1\nsso_account_id = 123456789012\nsso_role_name = Operator\n"
    )
    return home


def _cli(home: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The CLI with HOME pointing at ``home`` and no AWS variable at all (botocore reads an empty
    one as a value), so only the files there decide."""
    env = {key: value for key, value in os.environ.items() if key not in CLEARED and key != "TTES_CONSOLE_CONFIG"}
    env.update({"HOME": str(home), "XDG_STATE_HOME": str(home / ".local" / "state")})
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *args], capture_output=True, text=True, env=env, timeout=timeout, cwd=ROOT
    )


def _console_config(home: Path, endpoint: str, stack: str, aws_profile: str, extra: str = "") -> Path:
    path = home / "console.toml"
    path.write_text(
        f'[profiles.b]\nstack = "{stack}"\nendpoint_url = "{endpoint}"\naws_profile = "{aws_profile}"\n{extra}'
    )
    return path


def test_the_aws_profiles_region_and_credential_process_read_a_stack_only_there(
    sandbox: RunningSandbox, east_stack: str, tmp_path: Path
) -> None:
    home = _home(tmp_path, sandbox)
    config = _console_config(home, east_stack, EAST_STACK, "bastion")
    log = tmp_path / "diag" / "console.log"
    done = _cli(home, "--config", str(config), "stack", "--json", "--debug", "--log-file", str(log))
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert (document["stack"], document["region"]) == (EAST_STACK, EAST)
    # The same stack is not in the sandbox's own region: the AWS profile's region is what found it.
    elsewhere = _cli(home, "--config", str(config), "stack", "--region", "eu-west-1")
    assert elsewhere.returncode == 1 and f"Stack {EAST_STACK} not found in eu-west-1" in elsewhere.stderr
    # The diagnostic log has botocore's request dumps, and not one secret.
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    text = log.read_text()
    assert "botocore" in text and "X-Amz-Security-Token" in text and "[redacted]" in text
    assert TOKEN not in text
    assert sandbox.environ["AWS_SECRET_ACCESS_KEY"] not in text
    assert "Signature=" not in text.replace("Signature=[redacted]", "")


def test_no_region_anywhere_asks_for_one(sandbox: RunningSandbox, east_stack: str, tmp_path: Path) -> None:
    home = _home(tmp_path, sandbox)
    (home / ".aws" / "config").write_text(f"[profile bastion]\ncredential_process = {sys.executable} -c 0\n")
    done = _cli(home, "--config", str(_console_config(home, east_stack, EAST_STACK, "bastion")), "stack")
    assert done.returncode == 2
    assert done.stderr.startswith("ttes-console: No AWS region for profile b: pass --region")
    assert done.stderr.count("\n") == 1


def test_uplinks_with_an_sso_profile_never_logged_in_is_one_sentence(
    sandbox: RunningSandbox, east_stack: str, tmp_path: Path
) -> None:
    home = _home(tmp_path, sandbox)
    iot = sandbox.profile().iot
    # The endpoint is configured, so the first thing to need credentials is the websocket's signature.
    extra = f'\n[profiles.b.iot]\nendpoint = "{iot.endpoint}"\nport = {iot.port}\nca_file = "{iot.ca_file}"\n'
    config = _console_config(home, east_stack, "ttes-demo", "oncall-sso", extra)
    done = _cli(home, "--config", str(config), "uplinks", "--count", "1", "--seconds", "20", timeout=90)
    assert done.returncode != 0
    sentences = [line for line in done.stderr.splitlines() if line.startswith("ttes-console: ")]
    assert "Traceback" not in done.stderr and len(sentences) == 1, done.stderr
    assert "aws sso login --profile oncall-sso" in sentences[0]
    assert done.stdout == ""
    assert os.listdir(home / ".aws") == ["config"]  # nothing was cached or written
