"""Keys on the change-set screen, typed as fast as a terminal delivers them, against an in-process sandbox."""

from __future__ import annotations

from textual import events
from textual.widgets import Button, Input

from sandbox.core import Sandbox
from screenshots.changeset_shots import ChangeSetHost, press, wait_until
from services.core.aws import AwsClients
from tests.changes.test_changeset_screen import at_parameters
from tui.screens.changeset import ChangeSetScreen
from tui.screens.leave_changeset import LeaveChangeSetScreen
from widgets.changes_form import ParameterForm


def burst(app: ChangeSetHost, keys: str | list[str]) -> None:
    """Every key into the app's queue at once, no wait in between (a paste, a fast typist, a slow link)."""
    for key in keys:
        character = key if len(key) == 1 else ("\r" if key == "enter" else None)
        name = {"_": "underscore", " ": "space", "-": "minus"}.get(key, key)
        app.post_message(events.Key(name, character))


async def change_sets(sb: Sandbox) -> list[str]:
    assert sb.profile is not None
    listed = await AwsClients(sb.profile).call("cloudformation", "list_change_sets", StackName="ttes-demo")
    return [s["ChangeSetName"] for s in listed["Summaries"]]


async def test_a_burst_typed_right_after_opening_the_form_makes_exactly_that_change(sb: Sandbox) -> None:
    assert sb.profile is not None
    app = ChangeSetHost(sb.profile)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ChangeSetScreen))
        screen = app.screen
        assert isinstance(screen, ChangeSetScreen)
        await press(pilot, "#to-params")  # the parameters are loading from CloudFormation now
        burst(app, [*"databasename", "enter", *"ttn_lorawan_v2", "enter"])
        await wait_until(pilot, lambda: screen.step == 3, timeout=60)
        assert screen.draft is not None and screen.plan is not None
        assert screen.query_one(ParameterForm).changed_values() == {"DatabaseName": "ttn_lorawan_v2"}
        assert screen.draft.changed == ("DatabaseName",)
        password = screen.query_one("#value-DatabasePassword", Input)
        assert password.value == "" and password.disabled


async def test_a_no_echo_field_takes_no_typed_text_unless_chosen(sb: Sandbox) -> None:
    assert sb.profile is not None
    app = ChangeSetHost(sb.profile)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await at_parameters(pilot, app)
        password = screen.query_one("#value-DatabasePassword", Input)
        # Tab through every field typing as it goes: the hidden field is never a target.
        for _ in range(60):
            burst(app, ["tab", "x"])
        await pilot.pause()
        assert password.value == "" and password.disabled
        # Finding it lands on its explicit choice, not in it.
        screen.set_focus(screen.query_one("#param-find", Input))
        await pilot.pause()
        burst(app, [*"databasepassword", "enter", "s", "3", "c"])
        await pilot.pause()
        assert app.screen is screen  # "s" typed ahead of a button did not open the Snapshot screen
        assert password.value == "" and isinstance(app.focused, Button) and app.focused.id == "unlock-DatabasePassword"
        await pilot.press("enter")  # the explicit choice: now it takes text
        await wait_until(pilot, lambda: app.focused is password)
        burst(app, [*"s3cret"])
        await wait_until(pilot, lambda: password.value == "s3cret")
        assert screen.query_one(ParameterForm).changed_values()["DatabasePassword"] == "s3cret"


async def test_q_with_a_created_change_set_asks_and_the_default_deletes_it(sb: Sandbox) -> None:
    assert sb.profile is not None
    app = ChangeSetHost(sb.profile)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await at_parameters(pilot, app)
        screen.query_one("#value-DatabaseName", Input).value = "replaced_db"
        await press(pilot, "#to-review")
        await wait_until(pilot, lambda: screen.step == 3, timeout=60)
        assert screen.plan is not None
        assert await change_sets(sb) == [screen.plan.name]
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, LeaveChangeSetScreen))
        assert app.is_running  # it asked instead of quitting
        await pilot.press("enter")  # the default
        await wait_until(pilot, lambda: not app.is_running, timeout=60)
    assert await change_sets(sb) == []
