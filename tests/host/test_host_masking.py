"""Secrets in host files are masked in the service layer; paths outside /tti are refused by their text."""

from __future__ import annotations

import pytest

from sandbox.host_files import CONFIG_YML, ENVIRONMENT, SECRETS
from services.host.masking import MASK, mask_file, secret_name
from services.host.paths import PathRefused, checked_path, checked_target


def test_the_sandbox_config_keeps_every_key_and_loses_every_secret() -> None:
    masked = mask_file("/tti/lorawan-stack/config.yml", CONFIG_YML)
    assert not [s for s in SECRETS if s in masked.text]
    for key in ("database-uri:", "password:", "hash-key:", "block-key:", "keys:", "default:", "client-secret:"):
        assert key in masked.text
    assert "postgres://ttn:" + MASK + "@ttes-demo-db" in masked.text
    assert "address: ttes-demo-redis.sandbox.cache.amazonaws.com:6379" in masked.text  # not a secret
    assert "client-id: console" in masked.text
    assert masked.masked == 11


def test_environment_lines_are_masked_by_their_names() -> None:
    masked = mask_file("/tti/lorawan-stack/environment", ENVIRONMENT)
    assert not [s for s in SECRETS if s in masked.text]
    assert f"TTN_LW_REDIS_PASSWORD={MASK}" in masked.text
    assert "TTN_LW_TLS_ACME_DIR=/tti/acme" in masked.text


def test_lists_block_scalars_and_nested_values_under_a_secret_key_are_masked() -> None:
    text = "cluster:\n  keys:\n  - one-secret\n  - two-secret\nx:\n  password: |\n    line-secret\n  plain: 1\n"
    masked = mask_file("a.yml", text).text
    assert "secret" not in masked.replace("client-secret", "")
    assert "plain: 1" in masked


def test_private_key_blocks_are_hidden_in_any_file() -> None:
    pem = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIK-secret\n-----END EC PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\nAAA\n"
    masked = mask_file("/tti/acme/demo.ttes.test", pem).text
    assert "MHcCAQEEIK-secret" not in masked and "BEGIN CERTIFICATE" in masked and "AAA" in masked


def test_other_files_lose_uri_credentials_and_obvious_assignments() -> None:
    log = "connecting to redis://:hunter2@cache:6379\napi_key=abc123 token: zzz\n"
    masked = mask_file("/tti/bootstrap/deploy.log", log).text
    assert "hunter2" not in masked and "abc123" not in masked and "zzz" not in masked


@pytest.mark.parametrize("name", ["TTN_LW_LICENSE_KEY", "as.device-kek", "api-key", "client-secret", "auth-token"])
def test_secret_names(name: str) -> None:
    assert secret_name(name)


@pytest.mark.parametrize("name", ["address", "sender-name", "console-url", "hosts", "TTN_LW_TLS_ACME_DIR"])
def test_ordinary_names(name: str) -> None:
    assert not secret_name(name)


@pytest.mark.parametrize("path", ["/tti/../etc/shadow", "/etc/shadow", "/tti/acme/../../root", "/ttix/a", "../x"])
def test_paths_outside_tti_are_refused(path: str) -> None:
    with pytest.raises(PathRefused):
        checked_path(path)


def test_relative_paths_are_under_tti_and_a_symlink_out_is_refused() -> None:
    assert checked_path("lorawan-stack/config.yml") == "/tti/lorawan-stack/config.yml"
    assert checked_target("/tti/a", "/tti/b/c") == "/tti/b/c"
    with pytest.raises(PathRefused, match="symlink to /etc/shadow"):
        checked_target("/tti/bootstrap/shadow.log", "/etc/shadow")
