"""The template's signature, and profiles added to a config file that keeps its comments."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml

from sandbox.aws import template_body
from sandbox.fleet import UNRELATED_TEMPLATE
from services.core.config import Profile
from services.fleet.config_write import add_profiles
from services.fleet.discover import FoundStack, is_ttes
from services.fleet.profiles import load_profiles, profile_was_chosen
from tui.fleet_start import fleet_start


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)


def keys(template: str) -> tuple[list[str], list[str]]:
    doc = yaml.load(template, Loader=_Loader)  # a SafeLoader whose CloudFormation tags become None
    return list(doc["Parameters"]), list(doc["Outputs"])


def test_the_ttes_template_has_the_signature_and_the_unrelated_one_not() -> None:
    assert is_ttes(*keys(template_body()))
    assert not is_ttes(*keys(UNRELATED_TEMPLATE))


def test_signature_needs_domain_public_ip_and_the_template_families() -> None:
    params = ["Domain", "AdminPassword", "DatabasePassword", "ElastiCachePassword"]
    assert is_ttes(params, ["PublicIP"])
    assert not is_ttes(params, ["Endpoint"])  # no PublicIP output
    assert not is_ttes(params[1:], ["PublicIP"])  # no Domain
    assert not is_ttes(["Domain", "AdminPassword"], ["PublicIP"])  # one family is not enough
    # Logical names vary between template versions: families match words, not exact keys.
    assert is_ttes(["domain", "RedisAuthToken", "RDSSnapshotARN", "AWSIoTTelemetryEnabled"], ["Public_IP"])


def found(stack: str, region: str = "eu-west-1") -> FoundStack:
    return FoundStack(stack, region, "", "123456789012", "CREATE_COMPLETE", f"{stack}.test", "192.0.2.1")


def test_add_profiles_keeps_comments_and_adds_each_stack_once(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '# my stacks\ndefault_profile = "ttes-prod"\n\n[profiles.ttes-prod]  # the big one\nstack = "ttes-prod"\nregion = "eu-west-1"\n'
    )
    config.chmod(0o640)
    existing = load_profiles(config, environ={})
    stacks = [found("ttes-prod"), found("ttes-prod", "us-east-1"), found("ttes-new")]
    added = add_profiles(config, stacks, existing)
    assert [a.name for a in added] == ["ttes-prod-us-east-1", "ttes-new"]
    text = config.read_text()
    assert text.startswith("# my stacks\n") and "# the big one" in text
    document = tomllib.loads(text)
    assert document["default_profile"] == "ttes-prod"
    assert document["profiles"]["ttes-prod-us-east-1"] == {"stack": "ttes-prod", "region": "us-east-1"}
    assert config.stat().st_mode & 0o777 == 0o640
    again = add_profiles(config, stacks, load_profiles(config, environ={}))
    assert again == [] and config.read_text() == text


def test_a_new_config_file_is_private(tmp_path: Path) -> None:
    config = tmp_path / "new" / "config.toml"
    added = add_profiles(config, [found("ttes-a")], [], endpoint_url="http://127.0.0.1:5000")
    assert [a.name for a in added] == ["ttes-a"]
    assert config.stat().st_mode & 0o777 == 0o600
    profile = load_profiles(config, environ={})[0]
    assert profile == Profile(name="ttes-a", stack="ttes-a", region="eu-west-1", endpoint_url="http://127.0.0.1:5000")


def test_the_console_opens_on_the_fleet_only_with_several_profiles_and_none_chosen(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[profiles.a]\nstack = "a"\n\n[profiles.b]\nstack = "b"\n')
    profiles, start = fleet_start(config, None)
    assert [p.name for p in profiles] == ["a", "b"] and start
    assert not fleet_start(config, "b")[1]
    assert profile_was_chosen({"default_profile": "a"}, None)
    config.write_text('[profiles.a]\nstack = "a"\n')
    assert not fleet_start(config, None)[1]
    config.write_text("[profiles.a]\nstack = 3\n")  # broken: the one chosen stack opens, no fleet
    assert fleet_start(config, None) == ([], False)
