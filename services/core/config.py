"""Configuration: TOML profiles validated into frozen dataclasses.

Precedence for each value: command line, then the profile in the file, then the environment
(``AWS_PROFILE``, ``AWS_REGION`` / ``AWS_DEFAULT_REGION``), then the default. The region is
the exception the aws CLI taught operators to expect: after the environment comes the AWS
profile's own ``region`` in ``~/.aws/config``, and there is no silent default (an empty region
makes the first AWS call ask for one). AWS credentials never live in this file: boto3's own
chain (env, profiles, SSO, instance role) provides them.

SSH values left out of the profile are ``None``/empty: ``~/.ssh/config`` decides them, then
OpenSSH's defaults (see services/core/ssh.py), as ``ssh`` itself would.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

from services.core.config_ranges import check_section
from services.core.errors import ConfigError

CONFIG_ENV = "TTES_CONSOLE_CONFIG"


@dataclass(frozen=True)
class SshSettings:
    """How to reach the instance over SSH."""

    user: str | None = None  # unset: ~/.ssh/config's User, else ec2-user
    host: str = ""  # default: the stack's PublicIP output; may be a ~/.ssh/config alias
    port: int | None = None  # unset: ~/.ssh/config's Port, else 22
    identity_file: str = ""
    known_hosts: str = ""  # unset: ~/.ssh/config's UserKnownHostsFile, else ~/.ssh/known_hosts
    jump_host: str = ""  # OpenSSH ProxyJump syntax: [user@]host[:port][,…]; unset: ~/.ssh/config's
    unit: str = "lorawan-stack.service"
    connect_timeout: float = 10.0
    source_address: str = ""  # your public address, for `host doctor` (default: ask host.myip_url)


@dataclass(frozen=True)
class DnsSettings:
    """Which resolvers to ask about the Domain."""

    nameservers: tuple[str, ...] = ()
    port: int = 53
    timeout: float = 3.0


@dataclass(frozen=True)
class TlsSettings:
    """Where and how to check the served certificate and plaintext access."""

    connect_host: str = ""  # default: the stack's PublicIP; SNI is the Domain output
    port: int = 443
    http_port: int = 80
    ca_file: str = ""
    timeout: float = 5.0


@dataclass(frozen=True)
class IotSettings:
    """How to subscribe to the uplink topic on AWS IoT Core."""

    auth: str = "websocket"  # websocket | mtls
    endpoint: str = ""  # default: the account's iot:Data-ATS endpoint
    port: int = 443
    ca_file: str = ""
    cert_file: str = ""
    key_file: str = ""
    topic: str = "lorawan/{stack}/+/things/+/up"
    connections: int = 1
    buffer_mb: int = 256  # the Uplinks tab's rows, in MB, besides their count


@dataclass(frozen=True)
class JournalSettings:
    """The journal view's memory bounds, and how long `logs -f` keeps reconnecting."""

    buffer_entries: int = 100_000
    buffer_mb: int = 256  # the entries' text, in MB, besides the count
    give_up_seconds: float = 300.0  # `logs -f` ends (exit 1) after the stream was lost this long; 0: never


@dataclass(frozen=True)
class SnapshotSettings:
    """When a snapshot still counts as protecting a database."""

    max_age_hours: float = 24.0


@dataclass(frozen=True)
class HostSettings:
    """The host capability: how `host doctor` learns the operator's public address."""

    myip_url: str = "https://checkip.amazonaws.com"  # answers the caller's address as plain text
    restart_timeout: float = 90.0  # how long a restarted unit may take to be active again


@dataclass(frozen=True)
class Profile:
    """One deployment: a stack in a region and how to reach its parts."""

    name: str
    stack: str
    region: str = ""  # empty: no region could be found; AWS calls then ask for one
    aws_profile: str = ""
    endpoint_url: str = ""
    audit_log: str = ""  # default: the user data dir's audit.jsonl
    health_history: str = ""  # default: the user state dir's health-<profile>.jsonl
    exports_dir: str = ""  # saved journals and uplink exports; default: the user data dir's exports/
    ssh: SshSettings = field(default_factory=SshSettings)
    dns: DnsSettings = field(default_factory=DnsSettings)
    tls: TlsSettings = field(default_factory=TlsSettings)
    iot: IotSettings = field(default_factory=IotSettings)
    journal: JournalSettings = field(default_factory=JournalSettings)
    snapshots: SnapshotSettings = field(default_factory=SnapshotSettings)
    host: HostSettings = field(default_factory=HostSettings)


SECTIONS: dict[str, type[Any]] = {
    "ssh": SshSettings,
    "dns": DnsSettings,
    "tls": TlsSettings,
    "iot": IotSettings,
    "journal": JournalSettings,
    "snapshots": SnapshotSettings,
    "host": HostSettings,
}
_IOT_AUTH = ("websocket", "mtls")


@dataclass(frozen=True)
class Overrides:
    """Values given on the command line; ``None`` means not given."""

    profile: str | None = None
    stack: str | None = None
    region: str | None = None
    aws_profile: str | None = None


def default_config_path(environ: Mapping[str, str] | None = None) -> Path:
    """The config file path: ``$TTES_CONSOLE_CONFIG`` or the user config dir."""
    env = (os.environ if environ is None else environ).get(CONFIG_ENV)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir("ttes-console")) / "config.toml"


def default_audit_path() -> Path:
    """Where the audit log goes when the profile does not say."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("ttes-console")) / "audit.jsonl"


def load_profile(
    path: Path | None = None,
    overrides: Overrides = Overrides(),
    environ: Mapping[str, str] | None = None,
) -> Profile:
    """Read the config file and resolve one profile with env and CLI overrides applied."""
    env = os.environ if environ is None else environ
    explicit = path is not None or bool(env.get(CONFIG_ENV))
    cfg_path = path if path is not None else default_config_path(env)
    document = _read_toml(cfg_path, must_exist=explicit)
    return resolve_profile(document, str(cfg_path), overrides, env)


def _read_toml(path: Path, *, must_exist: bool) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        if must_exist:
            raise ConfigError(f"Config file {path} does not exist; check --config or ${CONFIG_ENV}.") from None
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Config file {path} is not valid TOML: {exc}.") from None
    except OSError as exc:
        raise ConfigError(f"Config file {path} cannot be read: {exc.strerror}.") from None


def resolve_profile(
    document: Mapping[str, Any],
    source: str,
    overrides: Overrides = Overrides(),
    environ: Mapping[str, str] | None = None,
) -> Profile:
    """Validate a parsed config document and build the selected profile."""
    env = os.environ if environ is None else environ
    _check_keys(document, {"default_profile", "profiles"}, source, "the top level")
    profiles = document.get("profiles", {})
    if not isinstance(profiles, Mapping):
        raise ConfigError(f"{source}: 'profiles' must be a table of profiles, like [profiles.prod-eu].")
    name = overrides.profile or _str(document, "default_profile", source, "the top level", "")
    if not name:
        name = next(iter(profiles), "default")
    raw = profiles.get(name)
    if raw is None:
        if overrides.profile or document.get("default_profile"):
            known = ", ".join(profiles) or "none"
            raise ConfigError(f"{source}: there is no profile '{name}' (profiles defined: {known}).")
        raw = {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{source}: [profiles.{name}] must be a table.")
    where = f"[profiles.{name}]"
    scalar_keys = {f.name for f in dataclasses.fields(Profile)} - {"name"} - set(SECTIONS)
    _check_keys(raw, scalar_keys | set(SECTIONS), source, where)

    sections = {
        key: _section(raw.get(key, {}), cls, source, f"[profiles.{name}.{key}]") for key, cls in SECTIONS.items()
    }
    stack = overrides.stack or _str(raw, "stack", source, where, "")
    if not stack:
        raise ConfigError(f"No stack name: set 'stack' in {where} of {source} or pass --stack NAME.")
    region = (
        overrides.region
        or _str(raw, "region", source, where, "")
        or env.get("AWS_REGION")
        or env.get("AWS_DEFAULT_REGION")
    )
    aws_profile = overrides.aws_profile or _str(raw, "aws_profile", source, where, "") or env.get("AWS_PROFILE", "")
    if not region:
        region = aws_profile_region(aws_profile, env)
    profile = Profile(
        name=name,
        stack=stack,
        region=region,
        aws_profile=aws_profile,
        endpoint_url=_str(raw, "endpoint_url", source, where, ""),
        audit_log=_str(raw, "audit_log", source, where, ""),
        health_history=_str(raw, "health_history", source, where, ""),
        exports_dir=_str(raw, "exports_dir", source, where, ""),
        **sections,
    )
    if profile.iot.auth not in _IOT_AUTH:
        raise ConfigError(
            f"{source}: [profiles.{name}.iot] auth must be one of {', '.join(_IOT_AUTH)}, got {profile.iot.auth!r}."
        )
    check_ranges(profile, source)
    return profile


def aws_profile_region(aws_profile: str, environ: Mapping[str, str]) -> str:
    """The ``region`` the AWS profile sets in ``~/.aws/config`` (``$AWS_CONFIG_FILE``), or ""."""
    from botocore.configloader import load_config

    path = Path(environ.get("AWS_CONFIG_FILE") or "~/.aws/config").expanduser()
    if not path.is_file():
        return ""
    try:
        profiles = load_config(str(path)).get("profiles", {})
    except Exception as exc:  # botocore raises its own ConfigParseError, and configparser's
        raise ConfigError(f"The AWS config file {path} cannot be read: {exc}.") from None
    name = aws_profile or environ.get("AWS_DEFAULT_PROFILE") or "default"
    return str(profiles.get(name, {}).get("region", "") or "")


def _check_keys(table: Mapping[str, Any], allowed: set[str], source: str, where: str) -> None:
    for key in table:
        if key not in allowed:
            expected = ", ".join(sorted(allowed))
            raise ConfigError(f"{source}: unknown key '{key}' in {where}; expected one of: {expected}.")


def _str(table: Mapping[str, Any], key: str, source: str, where: str, default: str) -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        raise ConfigError(f"{source}: '{key}' in {where} must be a string, got {value!r}.")
    return value


def _section(raw: Any, cls: type[Any], source: str, where: str) -> Any:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{source}: {where} must be a table.")
    hints = get_type_hints(cls)
    _check_keys(raw, set(hints), source, where)
    values: dict[str, Any] = {}
    for key, value in raw.items():
        values[key] = _coerce(value, hints[key], key, source, where)
    return cls(**values)


def _coerce(value: Any, hint: Any, key: str, source: str, where: str) -> Any:
    optional = [h for h in getattr(hint, "__args__", ()) if h is not type(None)]
    if type(None) in getattr(hint, "__args__", ()) and len(optional) == 1:
        hint = optional[0]  # `X | None`: None means "not set here"; TOML can only set an X
    if hint is bool:
        if isinstance(value, bool):
            return value
        expected = "true or false"
    elif hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        expected = "an integer"
    elif hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        expected = "a number"
    elif hint is str:
        if isinstance(value, str):
            return value
        expected = "a string"
    else:  # tuple[str, ...]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        expected = "a list of strings"
    raise ConfigError(f"{source}: '{key}' in {where} must be {expected}, got {value!r}.")


def render_profile_toml(profile: Profile) -> str:
    """Write a profile back as TOML (used by ``sandbox --write-config``)."""
    lines = [f'default_profile = "{profile.name}"', "", f"[profiles.{profile.name}]"]
    for f in dataclasses.fields(Profile):
        if f.name == "name" or f.name in SECTIONS:
            continue
        lines.append(f"{f.name} = {_toml_value(getattr(profile, f.name))}")
    for key in SECTIONS:
        lines += ["", f"[profiles.{profile.name}.{key}]"]
        section = getattr(profile, key)
        for f in dataclasses.fields(section):
            if getattr(section, f.name) is None:
                continue  # unset: left to ~/.ssh/config and the defaults
            lines.append(f"{f.name} = {_toml_value(getattr(section, f.name))}")
    return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    # JSON's string escapes are valid TOML; TOML also forbids a raw DEL.
    return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007f")


def check_ranges(profile: Profile, source: str) -> None:
    """Every number of every section within its range, every template with known placeholders only."""
    for section in SECTIONS:
        check_section(section, getattr(profile, section), f"[profiles.{profile.name}.{section}]", source)
