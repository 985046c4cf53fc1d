"""The TUI on a bastion: an SSO profile never logged in, and a worker's unexpected error, said in the pane."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest
from textual import work
from textual.app import App, ComposeResult
from textual.widgets import Static

from sandbox.mqtt import MqttPart
from services.core.config import IotSettings, Profile
from tui import diagnostics
from tui.panes import Pane
from tui.panes.uplinks import UplinksPane

AWS_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_CONFIG_FILE")


class PaneApp(App[None]):
    def __init__(self, pane: Pane) -> None:
        super().__init__()
        self.pane = pane

    def compose(self) -> ComposeResult:
        yield self.pane


async def wait_for(predicate, pilot, seconds: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(seconds):
        while not predicate():
            await pilot.pause(0.05)


async def test_the_uplinks_pane_says_sso_login_for_a_profile_never_logged_in(
    broker: MqttPart, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in AWS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".aws").mkdir()
    (tmp_path / ".aws" / "config").write_text(
        "[profile oncall-sso]\nregion = eu-west-1\nsso_start_url = https://example.awsapps.com/start\n"
        "sso_region = eu-west-1\nsso_account_id = 123456789012\nsso_role_name = Operator\n"
    )
    iot = dataclasses.replace(IotSettings(), **broker.settings()["iot"])
    profile = Profile(name="t", stack="ttes-demo", region="eu-west-1", aws_profile="oncall-sso", iot=iot)
    pane = UplinksPane(profile)
    async with PaneApp(pane).run_test(size=(120, 30)) as pilot:
        await wait_for(lambda: pane.state == "failed", pilot)
        message = str(pane.query_one("#uplinks-message", Static).render())
        header, severity = pane.header_text()
    assert "aws sso login --profile oncall-sso" in message
    assert "SSO session of profile oncall-sso" in message
    assert header.startswith("not connected: ") and "aws sso login" in header and severity == "-problem"


class BuggyPane(Pane):
    """A pane whose worker hits a bug (no service sentence): it must not vanish."""

    def compose(self) -> ComposeResult:
        yield Static(id="said")

    def on_mount(self) -> None:
        self.crash()

    @work(exit_on_error=False)
    async def crash(self) -> None:
        {}["missing-key"]

    def show_failure(self, sentence: str) -> None:
        self.query_one("#said", Static).update(sentence)


async def test_an_unexpected_worker_error_is_logged_and_said_in_its_pane(tmp_path: Path) -> None:
    log = tmp_path / "console.log"
    diagnostics.configure(debug=False, log_file=log, interactive=True)
    try:
        pane = BuggyPane(Profile(name="t", stack="ttes-demo"))
        async with PaneApp(pane).run_test(size=(100, 20)) as pilot:
            said = pane.query_one("#said", Static)
            await wait_for(lambda: "unexpected" in str(said.render()), pilot)
            text = str(said.render())
    finally:
        diagnostics.configure(debug=False, log_file=None, interactive=False)
    assert "stopped on an unexpected error (KeyError: 'missing-key')" in text
    assert str(log) in text
    assert "Traceback" in log.read_text() and "KeyError: 'missing-key'" in log.read_text()
