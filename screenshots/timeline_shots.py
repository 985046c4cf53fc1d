"""The Timeline tab's screenshots: the sandbox's incident on one axis, the cursor on the first new error."""

from __future__ import annotations

from textual.pilot import Pilot


async def timeline_tab(pilot: Pilot[int]) -> None:
    """Tab 5, wait for every source, then put the cursor on the first new Redis error."""
    from textual.widgets import DataTable

    from tui.panes.timeline import TimelinePane

    await pilot.press("5")
    for _ in range(600):
        panes = list(pilot.app.screen.query(TimelinePane))
        if panes and panes[0].timeline is not None:
            break
        await pilot.pause(0.1)
    pane = pilot.app.screen.query_one(TimelinePane)
    await pilot.press("w")  # 6 h: the routine warnings before the incident show too
    for _ in range(600):
        if pane.range == "6h" and pane.timeline is not None and pane.timeline.minutes >= 6 * 60 - 1:
            break
        await pilot.pause(0.1)
    await pilot.pause(0.5)
    row = next((i for i, item in enumerate(pane.shown) if item.new), len(pane.shown) - 1)
    pane.query_one(DataTable).move_cursor(row=row)
    await pilot.pause(1.0)
    await pilot.wait_for_scheduled_animations()
