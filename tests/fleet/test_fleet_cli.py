"""`fleet`, `fleet --discover` and `check --all` as processes against the sandbox's fleet scenario."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.process import SandboxProcess
from tests.conftest import RunningSandbox, run_cli, use_sandbox_env

TTES_STACKS = {"ttes-demo", "ttes-staging", "ttes-us", "ttes-apac", "ttes-lab"}


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    """The sandbox with scenario fleet: five TTES stacks in three regions and one unrelated stack."""
    with SandboxProcess(scenarios=["fleet"], workdir=tmp_path_factory.mktemp("fleet")) as proc:
        yield RunningSandbox(proc.config_path, proc.environ, proc.workdir)


def first_profile_only(fleet: RunningSandbox, target: Path) -> None:
    """A config holding only the sandbox's first profile, under an operator's comment."""
    text = fleet.config_path.read_text()
    second = text.index("[profiles.", text.index("[profiles.sandbox]") + 1)
    while not text[second:].startswith("[profiles.ttes-"):
        second = text.index("[profiles.", second + 1)
    target.write_text("# on-call config: keep this comment\n" + text[:second])


def test_fleet_json_has_every_stack_with_status_and_health(fleet: RunningSandbox) -> None:
    done = run_cli("--config", str(fleet.config_path), "fleet", "--json", env=fleet.environ)
    assert done.returncode == 0, done.stderr
    rows = {r["stack"]: r for r in map(json.loads, done.stdout.splitlines())}
    assert set(rows) == TTES_STACKS
    assert {r["region"] for r in rows.values()} == {"eu-west-1", "us-east-1", "ap-southeast-2"}
    assert all(r["account"] == "123456789012" and r["error"] is None for r in rows.values())
    staging = rows["ttes-staging"]
    assert staging["status"] == "UPDATE_ROLLBACK_COMPLETE"
    assert staging["status_reason"] == "The following resource(s) failed to update: [Instance]."
    assert staging["health"] == "critical" and staging["checks"]["stack"]["status"] == "critical"
    us = rows["ttes-us"]
    assert us["health"] == "warn" and us["checks"]["tls"]["status"] == "warn"
    assert "10 days" in us["checks"]["tls"]["summary"]
    apac = rows["ttes-apac"]
    assert apac["uplinks_per_minute"] == 0 and apac["checks"]["uplinks"]["status"] == "warn"
    for name in ("ttes-demo", "ttes-lab"):
        assert rows[name]["health"] == "ok", rows[name]
        assert rows[name]["uplinks_per_minute"] > 0
    assert set(rows["ttes-demo"]["checks"]) >= {"stack", "dns", "tls", "https", "plaintext", "ssh", "uplinks"}
    assert all(r["last_change"] for r in rows.values())


def test_check_all_exits_with_the_worst_and_prints_one_line_per_stack(fleet: RunningSandbox) -> None:
    done = run_cli("--config", str(fleet.config_path), "check", "--all", env=fleet.environ)
    assert done.returncode == 2, done.stderr  # ttes-staging rolled back: CRITICAL
    lines = done.stdout.splitlines()
    assert len(lines) == len(TTES_STACKS)
    by_profile = {line.split()[1]: line for line in lines}
    assert by_profile["ttes-staging"].startswith("CRITICAL") and "UPDATE_ROLLBACK_COMPLETE" in by_profile["ttes-staging"]
    assert by_profile["ttes-us"].startswith("WARNING") and "tls:" in by_profile["ttes-us"]
    assert by_profile["sandbox"].startswith("OK")

    as_json = run_cli("--config", str(fleet.config_path), "check", "--all", "--json", env=fleet.environ)
    assert as_json.returncode == 2
    statuses = {d["stack"]: d["status"] for d in map(json.loads, as_json.stdout.splitlines())}
    assert statuses == {"ttes-demo": "ok", "ttes-staging": "critical", "ttes-us": "warn", "ttes-apac": "warn", "ttes-lab": "ok"}


def test_check_all_without_the_broken_stack_is_the_next_worst(fleet: RunningSandbox, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    text = fleet.config_path.read_text()
    start = text.index("[profiles.ttes-staging]")
    end = text.index("[profiles.ttes-us]")
    config.write_text(text[:start] + text[end:])
    done = run_cli("--config", str(config), "check", "--all", env=fleet.environ)
    assert done.returncode == 1, done.stdout  # a WARNING at worst now


def test_a_stack_that_cannot_be_read_is_a_row_that_says_why(fleet: RunningSandbox, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    first_profile_only(fleet, config)
    endpoint = tomllib.loads(config.read_text())["profiles"]["sandbox"]["endpoint_url"]
    with config.open("a") as fh:
        fh.write(f'\n[profiles.gone]\nstack = "ttes-deleted"\nregion = "eu-west-1"\nendpoint_url = "{endpoint}"\n')
    done = run_cli("--config", str(config), "fleet", "--json", env=fleet.environ)
    assert done.returncode == 1
    rows = {r["profile"]: r for r in map(json.loads, done.stdout.splitlines())}
    assert rows["sandbox"]["error"] is None
    assert "ttes-deleted not found in eu-west-1" in rows["gone"]["error"]
    check = run_cli("--config", str(config), "check", "--all", env=fleet.environ)
    assert check.returncode == 3  # UNKNOWN: a stack that cannot be read is not OK
    assert "Traceback" not in done.stderr + check.stderr


def test_discover_finds_every_ttes_stack_and_writes_them_once(fleet: RunningSandbox, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    first_profile_only(fleet, config)
    args = ("--config", str(config), "fleet", "--discover", "--regions", "all")
    listed = run_cli(*args, "--json", env=fleet.environ)
    assert listed.returncode == 0, listed.stderr
    found = [json.loads(line) for line in listed.stdout.splitlines()]
    assert {f["stack"] for f in found} == TTES_STACKS  # and not billing-api
    assert {f["state"] for f in found if f["stack"] != "ttes-demo"} == {"new"}

    first = run_cli(*args, "--write-config", env=fleet.environ)
    assert first.returncode == 0, first.stderr
    assert "4 profile(s) added" in first.stderr
    written = config.read_text()
    assert written.startswith("# on-call config: keep this comment\n")
    document = tomllib.loads(written)
    assert {p["stack"] for p in document["profiles"].values()} == TTES_STACKS
    assert document["profiles"]["ttes-apac"]["region"] == "ap-southeast-2"

    second = run_cli(*args, "--write-config", env=fleet.environ)
    assert second.returncode == 0
    assert "already has them all" in second.stderr
    assert config.read_text() == written

    rows = run_cli("--config", str(config), "fleet", "--json", env=fleet.environ)
    assert {json.loads(line)["stack"] for line in rows.stdout.splitlines()} == TTES_STACKS


def test_discover_options_without_discover_are_one_sentence(fleet: RunningSandbox) -> None:
    done = run_cli("--config", str(fleet.config_path), "fleet", "--write-config", env=fleet.environ)
    assert done.returncode == 2
    assert done.stderr.strip() == "ttes-console: --regions, several --aws-profile and --write-config go with --discover."


async def test_a_stack_slower_than_its_timeout_is_a_row_that_says_so(
    fleet: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataclasses

    from services.core.config import DnsSettings
    from services.fleet.profiles import load_profiles
    from services.fleet.rows import load_fleet
    from tests.health_sandbox import silent_udp

    use_sandbox_env(fleet, monkeypatch)
    profiles = load_profiles(fleet.config_path, environ={})[:2]
    with silent_udp() as deaf:
        # A resolver that never answers keeps the second stack's DNS check waiting past the stack's time.
        slow = dataclasses.replace(profiles[1], dns=DnsSettings(nameservers=("127.0.0.1",), port=deaf, timeout=3.0))
        rows = await load_fleet([profiles[0], slow], stack_timeout=2.0, concurrency=1)
    assert rows[0].error == "" and rows[0].checks
    assert rows[1].error.startswith(f"Stack {slow.stack} in {slow.region} did not answer within 2 s")


def test_discover_with_several_aws_profiles_lists_each_stack_once(fleet: RunningSandbox, tmp_path: Path) -> None:
    credentials = tmp_path / "credentials"
    keys = f"aws_access_key_id = {fleet.environ['AWS_ACCESS_KEY_ID']}\naws_secret_access_key = {fleet.environ['AWS_SECRET_ACCESS_KEY']}\n"
    credentials.write_text(f"[oncall-a]\n{keys}\n[oncall-b]\n{keys}")
    env = {"AWS_SHARED_CREDENTIALS_FILE": str(credentials), "AWS_CONFIG_FILE": str(tmp_path / "none")}
    config = tmp_path / "config.toml"
    first_profile_only(fleet, config)
    done = run_cli(
        "--config", str(config), "fleet", "--discover", "--regions", "eu-west-1,us-east-1",
        "--aws-profile", "oncall-a", "--aws-profile", "oncall-b", "--write-config", "--json", env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    found = [json.loads(line) for line in done.stdout.splitlines()]
    assert sorted(f["stack"] for f in found) == ["ttes-demo", "ttes-lab", "ttes-staging", "ttes-us"]  # once each
    assert {f["aws_profile"] for f in found} == {"oncall-a"}  # one account: the first profile that saw it
    assert tomllib.loads(config.read_text())["profiles"]["ttes-us"]["aws_profile"] == "oncall-a"
