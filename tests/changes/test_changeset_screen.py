"""The change-set screen driven with Textual's Pilot against an in-process sandbox."""

from __future__ import annotations

import html
import re
from pathlib import Path

from textual.widgets import Input, Static

from sandbox.core import Sandbox
from screenshots.changeset_shots import ChangeSetHost, press, save_changeset_screenshots, wait_until
from services.core.audit import read_records
from services.core.aws import AwsClients
from tui.screens.changeset import ChangeSetScreen
from widgets.changes_form import ParameterForm, ParameterRow

ARN = "arn:aws:rds:eu-west-1:123456789012:snapshot:ttes-demo-database-20261126-104652"


def svg_text(path: Path) -> str:
    svg = path.read_text()
    return html.unescape("".join(re.findall(r"<text[^>]*>([^<]*)</text>", svg))).replace("\xa0", " ")


async def change_sets(sb: Sandbox) -> list[str]:
    assert sb.profile is not None
    listed = await AwsClients(sb.profile).call("cloudformation", "list_change_sets", StackName="ttes-demo")
    return [s["ChangeSetName"] for s in listed["Summaries"]]


async def test_the_six_steps_end_to_end_with_screenshots(sb: Sandbox, tmp_path: Path) -> None:
    assert sb.profile is not None
    saved = await save_changeset_screenshots(sb.profile, tmp_path / "shots")
    assert [p.name for p in saved] == [
        "changeset-1-template.svg",
        "changeset-2-parameters.svg",
        "changeset-3-review.svg",
        "changeset-4-guard-blocked.svg",
        "changeset-5-confirm.svg",
        "changeset-6-progress.svg",
    ]
    texts = {p.name.split("-", 2)[1]: svg_text(p) for p in saved}
    assert "Current template" in texts["1"]
    assert "DatabaseName" in texts["2"] and "requires manual migration" in texts["2"]
    assert "1 change, 1 replaces the RDS database" in texts["3"] and "DBName ← parameter DatabaseName" in texts["3"]
    assert "Execution blocked" in texts["4"] and "Override (audited)" in texts["4"]
    assert "Type the stack name ttes-demo" in texts["5"]
    assert "UPDATE_COMPLETE" in texts["6"] and "is-db migrate" in texts["6"] and "198.51.100.7" in texts["6"]
    outcomes = [(r.action, r.outcome) for r in read_records(sb.profile)]
    assert ("override_snapshot_guard", "ok") in outcomes and outcomes[-1] == ("execute_change_set", "ok")


async def at_parameters(pilot, app: ChangeSetHost) -> ChangeSetScreen:  # type: ignore[no-untyped-def]
    """Steps 1–2 of the screen: opened, then its parameters loaded and shown."""
    await wait_until(pilot, lambda: isinstance(app.screen, ChangeSetScreen))
    screen = app.screen
    assert isinstance(screen, ChangeSetScreen)
    await press(pilot, "#to-params")
    await wait_until(pilot, lambda: bool(screen.query(ParameterForm)) and screen.step == 2)
    return screen


async def rename_and_review(pilot, app: ChangeSetHost) -> ChangeSetScreen:  # type: ignore[no-untyped-def]
    """Steps 1–3 of the screen: parameters, InstanceName changed, the change set under review."""
    screen = await at_parameters(pilot, app)
    screen.query_one("#value-InstanceName", Input).value = "renamed"
    await press(pilot, "#to-review")
    await wait_until(pilot, lambda: screen.step == 3)
    return screen


async def review_then_escape(sb: Sandbox, *, keep: bool) -> str:
    """Create a change set through the screen, optionally keep it, leave with esc; its name."""
    assert sb.profile is not None
    app = ChangeSetHost(sb.profile)
    async with app.run_test(size=(110, 36)) as pilot:
        screen = await rename_and_review(pilot, app)
        assert screen.plan is not None
        name = screen.plan.name
        if keep:
            await pilot.press("k")
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, ChangeSetScreen))
    return name


async def test_escape_deletes_the_change_set_unless_kept(sb: Sandbox) -> None:
    assert sb.profile is not None
    discarded = await review_then_escape(sb, keep=False)
    kept = await review_then_escape(sb, keep=True)
    assert discarded and await change_sets(sb) == [kept]
    deletes = [r for r in read_records(sb.profile) if r.action == "delete_change_set"]
    assert [r.outcome for r in deletes] == ["ok"]


async def test_snapshot_handoff_prefills_the_restore_parameter(sb: Sandbox) -> None:
    assert sb.profile is not None
    app = ChangeSetHost(sb.profile, handoff={"RDSSnapshotArn": ARN})
    async with app.run_test(size=(110, 36)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ChangeSetScreen))
        screen = app.screen
        await press(pilot, "#to-params")
        await wait_until(pilot, lambda: bool(screen.query(ParameterForm)))
        await pilot.pause()
        row = screen.query_one("#param-RDSSnapshotArn", ParameterRow)
        assert row.has_class("-changed") and not screen.query_one("#param-DatabaseName", ParameterRow).has_class(
            "-changed"
        )
        assert screen.query_one(ParameterForm).changed_values() == {"RDSSnapshotArn": ARN}
        assert "Pre-filled from the snapshot screen: RDSSnapshotArn" in str(screen.query_one("#status", Static).content)


async def test_read_only_refuses_to_create_and_says_so(sb: Sandbox) -> None:
    assert sb.profile is not None
    app = ChangeSetHost(sb.profile, read_only=True)
    async with app.run_test(size=(110, 36)) as pilot:
        screen = await at_parameters(pilot, app)
        screen.query_one("#value-InstanceName", Input).value = "renamed"
        await press(pilot, "#to-review")
        status = screen.query_one("#status", Static)
        await wait_until(pilot, lambda: "Refused to create change set" in str(status.content))
        assert status.has_class("-error") and screen.step == 2
    assert await change_sets(sb) == []


async def test_back_to_parameters_replaces_the_change_set(sb: Sandbox) -> None:
    assert sb.profile is not None
    app = ChangeSetHost(sb.profile)
    async with app.run_test(size=(110, 36)) as pilot:
        screen = await rename_and_review(pilot, app)
        first = screen.plan
        await press(pilot, "#back-params")
        assert screen.step == 2
        screen.query_one("#value-NetworkTitle", Input).value = "Renamed network"
        await press(pilot, "#to-review")
        await wait_until(pilot, lambda: screen.step == 3 and screen.plan is not first)
        assert screen.plan is not None and first is not None
        assert {c.logical_id for c in screen.plan.changes} == {"Instance"}
    assert [r.target for r in read_records(sb.profile) if r.action == "delete_change_set"] == [
        f"ttes-demo/{first.name}"
    ]
