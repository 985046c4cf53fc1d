"""SVG screenshot of the Snapshot screen while two snapshots are in progress.

    python -m screenshots.make_snapshots [OUT.svg]      (default: screenshots/snapshots.svg)

From another script: ``await snapshot_screen_svg(out)`` starts its own sandbox, or pass
``profile=`` to use a sandbox that is already running (its AWS credentials in os.environ).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

from textual.app import App
from textual.widgets import ProgressBar

from services.core.aws import AwsClients
from services.core.config import Profile
from tui.screens.snapshots import SnapshotScreen

DEFAULT_OUT = Path(__file__).resolve().parent / "snapshots.svg"
SIZE = (120, 26)
# Long enough that the screenshot lands mid-progress whatever the machine's speed.
PROGRESS_SECONDS = 8.0


class _Host(App[None]):
    TITLE = "ttes-console"

    def __init__(self, profile: Profile) -> None:
        super().__init__()
        self.profile = profile
        self.read_only = False

    def on_mount(self) -> None:
        self.title = f"{self.profile.stack} · {self.profile.region}"
        self.push_screen(SnapshotScreen(self.profile, AwsClients(self.profile)))


async def _capture(profile: Profile, out: Path, size: tuple[int, int] = SIZE) -> Path:
    app = _Host(profile)
    async with app.run_test(size=size) as pilot:
        screen = app.screen
        assert isinstance(screen, SnapshotScreen)
        for _ in range(400):
            if screen.databases:
                break
            await pilot.pause(0.05)
        await pilot.press("a", "y")
        for _ in range(400):
            bars = list(screen.query("#progress-Database ProgressBar").results(ProgressBar))
            if bars and (bars[0].percentage or 0) >= 0.3:
                break
            await pilot.pause(0.05)
        await pilot.pause(0.1)
        out.parent.mkdir(parents=True, exist_ok=True)
        app.save_screenshot(filename=out.name, path=str(out.parent))
        # Let the snapshots finish so the sandbox is left in a clean state.
        for _ in range(600):
            if not screen.running:
                break
            await pilot.pause(0.05)
    return out


async def snapshot_screen_svg(
    out: Path = DEFAULT_OUT, profile: Profile | None = None, size: tuple[int, int] = SIZE
) -> Path:
    """Write the Snapshot screen mid-progress to ``out`` (SVG) and return the path."""
    if profile is not None:
        return await _capture(profile, out, size)
    from moto.moto_api._internal.models import moto_api_backend

    import sandbox.snapshots
    from sandbox.core import Sandbox

    moto_api_backend.reset()  # moto's state is per process: another in-process sandbox may have run
    saved = sandbox.snapshots.PROGRESS_SECONDS
    sandbox.snapshots.PROGRESS_SECONDS = PROGRESS_SECONDS
    try:
        with tempfile.TemporaryDirectory(prefix="ttes-shot-") as work:
            async with Sandbox(Path(work)) as sb:
                assert sb.profile is not None
                os.environ.update(sb.environ)
                return await _capture(sb.profile, out, size)
    finally:
        sandbox.snapshots.PROGRESS_SECONDS = saved


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else DEFAULT_OUT
    print(asyncio.run(snapshot_screen_svg(out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
