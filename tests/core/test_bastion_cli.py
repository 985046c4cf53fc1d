"""First contact on a bastion: no terminal, Nagios exit codes, global options anywhere, the
diagnostic log, the sandbox extra, and the region taken from the AWS profile."""

from __future__ import annotations

import dataclasses
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from services.core.aws import AwsClients, MfaRequired
from services.core.config import Overrides, load_profile, resolve_profile
from services.core.errors import ConfigError
from tests.conftest import ROOT, RunningSandbox, run_cli
from tui import diagnostics
from tui.cli import main


def test_without_a_terminal_the_console_refuses_in_one_sentence_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with open(os.devnull, "rb") as stdin, out.open("wb") as stdout:
        done = subprocess.run(
            [sys.executable, "-m", "tui.cli"],
            stdin=stdin,
            stdout=stdout,
            stderr=subprocess.PIPE,
            env={**os.environ, "HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state")},
            cwd=ROOT,
            timeout=60,
        )
    assert done.returncode == 2
    assert out.read_bytes() == b""  # not one escape sequence
    err = done.stderr.decode()
    assert err.count("\n") == 1 and "\x1b" not in err and "Traceback" not in err
    assert "needs a terminal" in err and "ttes-console check" in err
    assert not (tmp_path / "state").exists()  # refused before anything was written


def test_term_dumb_is_refused_even_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from tui.cli import interactive

    monkeypatch.setattr(interactive, "_isatty", lambda stream: True)
    monkeypatch.setenv("TERM", "dumb")
    with pytest.raises(ConfigError, match="TERM is dumb"):
        interactive.require_terminal()
    monkeypatch.setenv("TERM", "xterm-256color")
    interactive.require_terminal()


@pytest.mark.parametrize(
    "args",
    [
        ["--config", "{missing}", "check"],  # no such file
        ["--config", "{broken}", "check"],  # not TOML
        ["check", "--config", "{broken}"],  # the same, the option after the command
        ["check", "--no-such-option"],  # usage
    ],
)
def test_check_exits_unknown_when_nothing_could_be_checked(tmp_path: Path, args: list[str]) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[profiles.x\nstack = 1\n")
    argv = [a.format(missing=tmp_path / "absent.toml", broken=broken) for a in args]
    done = run_cli(*argv, env={"HOME": str(tmp_path)}, timeout=60)
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith(("ttes-console: ", "usage: ttes-console"))


def test_other_commands_keep_exit_2_for_a_broken_config(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[profiles.x\n")
    assert main(["stack", "--config", str(broken)]) == 2


def test_global_options_after_the_command_do_not_reset_those_before(capsys: pytest.CaptureFixture[str]) -> None:
    from tui.cli import build_parser

    args = build_parser("stack").parse_args(["--region", "eu-central-1", "stack", "--stack", "x", "--json"])
    assert (args.region, args.stack, args.json, args.read_only) == ("eu-central-1", "x", True, False)
    args = build_parser("logs").parse_args(["logs", "-n", "5", "--read-only", "-p", "prod"])
    assert (args.read_only, args.profile, args.lines) == (True, "prod", 5)


def test_demo_without_the_sandbox_extra_names_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "moto", None)  # as if `pip install ttes-console` had no extra
    assert main(["--demo", "stack"]) == 2
    err = capsys.readouterr().err
    assert "pip install 'ttes-console[sandbox]'" in err and "moto" in err and "Traceback" not in err


def test_the_scrubber_removes_what_botocore_and_sts_print() -> None:
    token = "IQoJb3JpZ2luX2VjEXAMPLETOKEN"
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    signature = "a" * 64
    lines = [
        f"headers={{'X-Amz-Security-Token': b'{token}', 'Authorization': b'AWS4-HMAC-SHA256 "
        f"Credential=ASIAEXAMPLE/20261202/us-east-2/cloudformation/aws4_request, Signature={signature}'}}",
        f"x-amz-security-token:{token}",
        f"Signature:\n{signature}",
        f"<Credentials><SecretAccessKey>{secret}</SecretAccessKey><SessionToken>{token}</SessionToken>",
        f'{{"roleCredentials": {{"secretAccessKey": "{secret}", "sessionToken": "{token}"}}}}',
        f"aws_secret_access_key = {secret}",
        f"https://x/?X-Amz-Credential=ASIA%2F1&X-Amz-Signature={signature}&X-Amz-Security-Token={token}",
    ]
    for line in lines:
        clean = diagnostics.scrub(line)
        assert token not in clean and secret not in clean and signature not in clean, clean
        assert diagnostics.REDACTED in clean


def test_the_log_file_is_private_and_an_unexpected_error_names_it(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "console.log"
    try:
        assert diagnostics.configure(debug=True, log_file=path, interactive=False) == path
        try:
            raise RuntimeError("boom \x1b[31m")
        except RuntimeError as exc:
            sentence = diagnostics.unexpected(exc, "The Uplinks pane")
    finally:
        diagnostics.configure(debug=False, log_file=None, interactive=False)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert str(path) in sentence and "\x1b" not in sentence
    text = path.read_text()
    assert "Traceback" in text and "RuntimeError: boom \\x1b[31m" in text and "\x1b" not in text


def _aws_config(home: Path, body: str) -> Path:
    (home / ".aws").mkdir(parents=True, exist_ok=True)
    path = home / ".aws" / "config"
    path.write_text(body)
    return path


def test_region_comes_from_the_aws_profile_after_the_environment(tmp_path: Path) -> None:
    config = _aws_config(tmp_path, "[default]\nregion = eu-north-1\n[profile oncall]\nregion = us-east-2\n")
    doc = {"profiles": {"p": {"stack": "s", "aws_profile": "oncall"}}}
    env = {"AWS_CONFIG_FILE": str(config)}
    assert resolve_profile(doc, "t", environ=env).region == "us-east-2"
    assert resolve_profile(doc, "t", environ={**env, "AWS_REGION": "ap-south-1"}).region == "ap-south-1"
    assert resolve_profile(doc, "t", Overrides(region="sa-east-1"), environ=env).region == "sa-east-1"
    assert resolve_profile({"profiles": {"p": {"stack": "s"}}}, "t", environ=env).region == "eu-north-1"


def test_no_region_anywhere_is_a_sentence_not_a_default(tmp_path: Path) -> None:
    config = _aws_config(tmp_path, "[profile oncall]\nsso_session = x\n")
    profile = resolve_profile(
        {"profiles": {"p": {"stack": "s", "aws_profile": "oncall"}}}, "t", environ={"AWS_CONFIG_FILE": str(config)}
    )
    assert profile.region == ""
    with pytest.raises(ConfigError, match=r"No AWS region for profile p: pass --region.*\[profile oncall\]"):
        AwsClients(profile).client("cloudformation")


def test_stack_reads_the_region_of_the_aws_profile(sandbox: RunningSandbox, tmp_path: Path) -> None:
    """The sandbox's stack lives in eu-west-1; only the AWS profile says so."""
    profile = sandbox.profile()
    config = tmp_path / "config.toml"
    config.write_text(
        f'[profiles.p]\nstack = "{profile.stack}"\nendpoint_url = "{profile.endpoint_url}"\naws_profile = "oncall"\n'
    )
    _aws_config(tmp_path, f"[profile oncall]\nregion = {profile.region}\n")
    (tmp_path / ".aws" / "credentials").write_text(
        f"[oncall]\naws_access_key_id = {sandbox.environ['AWS_ACCESS_KEY_ID']}\n"
        f"aws_secret_access_key = {sandbox.environ['AWS_SECRET_ACCESS_KEY']}\n"
    )
    env = {**sandbox.environ, "HOME": str(tmp_path), "AWS_REGION": "", "AWS_DEFAULT_REGION": ""}
    done = run_cli("--config", str(config), "stack", "--json", env=env)
    assert done.returncode == 0, done.stderr
    assert f'"region": "{profile.region}"' in done.stdout
    loaded = load_profile(config, environ={"AWS_CONFIG_FILE": str(tmp_path / ".aws" / "config")})
    assert loaded.region == profile.region


def test_a_profile_that_prompts_for_mfa_is_refused_in_a_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    _aws_config(
        tmp_path,
        "[profile base]\nregion = eu-west-1\n[profile admin]\nregion = eu-west-1\nsource_profile = base\n"
        "role_arn = arn:aws:iam::123456789012:role/Admin\nmfa_serial = arn:aws:iam::123456789012:mfa/me\n",
    )
    (tmp_path / ".aws" / "credentials").write_text(
        "[base]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = x\n"
    )
    profile = resolve_profile({"profiles": {"p": {"stack": "s", "aws_profile": "admin"}}}, "t")
    # Never reaches the network: the MFA prompt comes first, and is refused.
    profile = dataclasses.replace(profile, endpoint_url="http://127.0.0.1:9")
    with pytest.raises(MfaRequired, match=r"asks for an MFA code.*--profile admin"):
        AwsClients(profile).call_sync("sts", "get_caller_identity")
