"""The uplink feed view is bounded in bytes as well as rows, shown and held (paused) alike."""

from __future__ import annotations

from textual.app import App, ComposeResult

from widgets.uplink_feed import FeedLine, UplinkFeedView

KB = 1024


def _row(n: int, size: int) -> FeedLine:
    return FeedLine("12:00:00", "app", "dev", str(n), "", "1", "SF7/125", "868.1", "-80", "7.5", "1", "x" * size)


class FeedApp(App[None]):
    def compose(self) -> ComposeResult:
        yield UplinkFeedView(max_lines=20_000, max_bytes=256 * KB, sizer=lambda line: len(line.summary))


async def test_big_rows_evict_the_oldest_by_bytes() -> None:
    app = FeedApp()
    async with app.run_test(size=(120, 10)) as pilot:
        view = app.query_one(UplinkFeedView)
        for n in range(100):
            view.add_lines([_row(n, 64 * KB)])
        assert view.line_count == 4 and view.bytes == 256 * KB and view.evicted == 96
        assert [line.f_cnt for line in view.visible_lines] == ["96", "97", "98", "99"]
        view.add_lines([_row(100, 1024 * KB)])  # bigger than the bound: kept alone, the newest always shows
        assert view.line_count == 1 and view.visible_lines[0].f_cnt == "100"
        await pilot.pause(0.2)


async def test_rows_held_while_paused_are_bounded_too() -> None:
    app = FeedApp()
    async with app.run_test(size=(120, 10)) as pilot:
        view = app.query_one(UplinkFeedView)
        view.paused = True
        for n in range(50):
            view.add_lines([_row(n, 64 * KB)])
        assert view.held_count == 4 and view.evicted == 46
        view.paused = False
        await pilot.pause(0.2)
        assert [line.f_cnt for line in view.visible_lines] == ["46", "47", "48", "49"]
