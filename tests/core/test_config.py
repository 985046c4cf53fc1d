"""Configuration: TOML profiles, precedence, and one clear sentence for each mistake."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.core.config import Overrides, Profile, load_profile, render_profile_toml, resolve_profile
from services.core.errors import ConfigError

EXAMPLE = """
default_profile = "prod-eu"

[profiles.prod-eu]
stack = "my-lorawan-server"
region = "eu-west-1"
aws_profile = "oncall"

[profiles.prod-eu.ssh]
user = "ec2-user"
port = 2222
identity_file = "~/.ssh/tti.pem"

[profiles.prod-eu.dns]
nameservers = ["1.1.1.1", "8.8.8.8"]

[profiles.staging]
stack = "staging-stack"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_default_profile_is_read_with_sections(tmp_path: Path) -> None:
    profile = load_profile(write(tmp_path, EXAMPLE), environ={})
    assert profile.name == "prod-eu"
    assert profile.stack == "my-lorawan-server"
    assert profile.aws_profile == "oncall"
    assert profile.ssh.port == 2222
    assert profile.ssh.unit == "lorawan-stack.service"
    assert profile.dns.nameservers == ("1.1.1.1", "8.8.8.8")
    assert profile.iot.topic == "lorawan/{stack}/+/things/+/up"


def test_command_line_beats_file_beats_environment(tmp_path: Path) -> None:
    path = write(tmp_path, EXAMPLE)
    env = {"AWS_REGION": "us-east-1", "AWS_PROFILE": "from-env"}
    staging = load_profile(path, Overrides(profile="staging"), environ=env)
    assert (staging.region, staging.aws_profile) == ("us-east-1", "from-env")
    prod = load_profile(path, environ=env)
    assert (prod.region, prod.aws_profile) == ("eu-west-1", "oncall")
    cli = load_profile(path, Overrides(region="ap-southeast-2", stack="other", aws_profile="cli"), environ=env)
    assert (cli.region, cli.stack, cli.aws_profile) == ("ap-southeast-2", "other", "cli")


def test_env_names_the_config_file(tmp_path: Path) -> None:
    path = write(tmp_path, EXAMPLE)
    assert load_profile(environ={"TTES_CONSOLE_CONFIG": str(path)}).stack == "my-lorawan-server"


def test_a_typo_names_the_file_the_key_and_what_is_expected(tmp_path: Path) -> None:
    path = write(tmp_path, EXAMPLE.replace("[profiles.prod-eu.ssh]\nuser", "[profiles.prod-eu.ssh]\nusr"))
    with pytest.raises(ConfigError) as caught:
        load_profile(path, environ={})
    sentence = str(caught.value)
    assert str(path) in sentence
    assert "'usr'" in sentence and "[profiles.prod-eu.ssh]" in sentence
    assert "identity_file" in sentence  # the keys that are expected there
    assert "\n" not in sentence


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('[profiles.a]\nstack = "s"\n[profiles.a.ssh]\nport = "22"\n', "'port' in [profiles.a.ssh] must be an integer"),
        ("[profiles.a]\nstack = 5\n", "'stack' in [profiles.a] must be a string"),
        ('[profiles.a]\nstack = "s"\n[profiles.a.iot]\nauth = "basic"\n', "auth must be one of websocket, mtls"),
        ('default_profile = "b"\n[profiles.a]\nstack = "s"\n', "there is no profile 'b'"),
        ("[profiles.a]\nregion = 'eu-west-1'\n", "No stack name"),
        ("stack = 'x'\n", "unknown key 'stack' in the top level"),
        ("[profiles.a\n", "is not valid TOML"),
    ],
)
def test_bad_files_get_one_sentence(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(fragment)):
        load_profile(write(tmp_path, text), environ={})


def test_a_missing_explicit_file_is_an_error_but_a_missing_default_is_not(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_profile(tmp_path / "nope.toml", environ={})
    profile = load_profile(
        None, Overrides(stack="given-on-the-command-line"), environ={"XDG_CONFIG_HOME": str(tmp_path)}
    )
    assert profile.stack == "given-on-the-command-line"


safe_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20)


@given(
    stack=safe_text.filter(bool), user=safe_text, port=st.integers(1, 65535),
    servers=st.lists(st.ip_addresses().map(str), max_size=3),
)
def test_a_written_profile_reads_back_identically(stack: str, user: str, port: int, servers: list[str]) -> None:
    from dataclasses import replace

    base = resolve_profile({"profiles": {"p": {"stack": "x"}}}, "test", environ={})
    profile = replace(
        base,
        stack=stack,
        ssh=replace(base.ssh, user=user, port=port),
        dns=replace(base.dns, nameservers=tuple(servers)),
    )
    import tomllib

    again = resolve_profile(tomllib.loads(render_profile_toml(profile)), "test", environ={})
    assert again == replace(profile, name="p") or again == profile
    assert isinstance(again, Profile)
