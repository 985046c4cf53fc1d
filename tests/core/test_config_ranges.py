"""Config numbers are range-checked when the file is read; templates fill documented placeholders only."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from services.core.config import Profile, load_profile
from services.core.config_ranges import fill_template
from services.core.errors import ConfigError


def load(tmp_path: Path, section: str, body: str) -> Profile:
    path = tmp_path / "config.toml"
    path.write_text(f'[profiles.a]\nstack = "s"\nregion = "eu-west-1"\n[profiles.a.{section}]\n{body}\n')
    return load_profile(path, environ={})


@pytest.mark.parametrize(
    ("section", "body", "fragment"),
    [
        ("ssh", "port = 70000", "'port' in [profiles.a.ssh] must be between 1 and 65535, got 70000"),
        ("ssh", "port = -1", "'port' in [profiles.a.ssh] must be between 1 and 65535, got -1"),
        ("ssh", "port = 0", "must be between 1 and 65535, got 0"),
        ("ssh", "port = 1e20", "'port' in [profiles.a.ssh] must be an integer"),
        ("ssh", "connect_timeout = -5", "'connect_timeout' in [profiles.a.ssh] must be between 0.001 and 3600"),
        ("ssh", "connect_timeout = nan", "'connect_timeout' in [profiles.a.ssh] must be between 0.001 and 3600, got nan"),
        ("ssh", "connect_timeout = inf", "got inf"),
        ("dns", "port = 70000", "'port' in [profiles.a.dns] must be between 1 and 65535"),
        ("dns", "timeout = 0", "'timeout' in [profiles.a.dns] must be between 0.001 and 3600"),
        ("tls", "http_port = 65536", "'http_port' in [profiles.a.tls] must be between 1 and 65535"),
        ("tls", "timeout = nan", "'timeout' in [profiles.a.tls]"),
        ("iot", "port = 70000", "'port' in [profiles.a.iot] must be between 1 and 65535"),
        ("iot", "connections = 100000", "'connections' in [profiles.a.iot] must be between 1 and 32, got 100000"),
        ("iot", "connections = 0", "must be between 1 and 32, got 0"),
        ("journal", "buffer_entries = 0", "'buffer_entries' in [profiles.a.journal] must be between 1 and"),
        ("snapshots", "max_age_hours = nan", "'max_age_hours' in [profiles.a.snapshots] must be at least 0, got nan"),
        ("dns", 'nameservers = ["1.1.1.1", "resolver.example"]',
         "nameservers in [profiles.a.dns] must be IP addresses (like 1.1.1.1), got 'resolver.example'"),
        ("iot", 'topic = "{stack.__class__}"', "has the unknown placeholder {stack.__class__}; the placeholders are {stack}"),
        ("iot", 'topic = "lorawan/{0}/+/things/+/up"', "unknown placeholder {0}"),
        ("iot", 'topic = "lorawan/{stack/+"', "unpaired brace"),
    ],
)
def test_out_of_range_values_get_one_sentence_at_load(tmp_path: Path, section: str, body: str, fragment: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(fragment)) as caught:
        load(tmp_path, section, body)
    assert "\n" not in str(caught.value)


def test_values_in_range_load(tmp_path: Path) -> None:
    profile = load(tmp_path, "ssh", "port = 65535\nconnect_timeout = 0.5")
    assert profile.ssh.port == 65535 and profile.ssh.connect_timeout == 0.5
    assert load(tmp_path, "iot", "connections = 32").iot.connections == 32
    assert load(tmp_path, "dns", 'nameservers = ["1.1.1.1", "2606:4700::1111"]').dns.nameservers[1] == "2606:4700::1111"


def test_a_template_substitutes_its_placeholders_and_evaluates_nothing() -> None:
    assert fill_template("lorawan/{stack}/+/things/+/up", {"stack"}, stack="prod") == "lorawan/prod/+/things/+/up"
    assert fill_template("{{literal}}/{stack}", {"stack"}, stack="p") == "{literal}/p"
    with pytest.raises(ValueError, match="unknown placeholder"):
        fill_template("{stack.__init__.__globals__}", {"stack"}, stack="p")
    with pytest.raises(ValueError, match="unknown placeholder"):
        fill_template("{stack[0]}", {"stack"}, stack="p")


def test_the_uplink_command_says_the_sentence(tmp_path: Path) -> None:
    from tests.conftest import run_cli

    path = tmp_path / "config.toml"
    path.write_text('[profiles.a]\nstack = "s"\nregion = "eu-west-1"\n[profiles.a.iot]\ntopic = "{stack.__class__}"\n')
    proc = run_cli("--config", str(path), "uplinks", "--count", "1")
    assert proc.returncode == 2 and "unknown placeholder {stack.__class__}" in proc.stderr
    assert "Traceback" not in proc.stderr and "class 'str'" not in proc.stderr + proc.stdout
