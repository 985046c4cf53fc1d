"""Benchmark: journal entries/s from the sandbox SSH server through the service and into the view.

    .venv/bin/python bench/journal.py [--entries N]

The server (sandbox SshPart, a backlog of N entries) runs in a child process. Figures, each in the
same run: a bare asyncssh reader counting lines (the baseline), ``read_journal`` (SSH + parsing),
and the Journal pane's view in a headless Textual app at 200×50 (SSH + parsing + view), with the
peak RSS of this process after the view has taken every entry. Nothing is asserted.
Not yet measured here: the TUI in tmux and key latency during the flood.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _serve(workdir: str, backlog: int, ready: multiprocessing.synchronize.Event) -> None:  # type: ignore[name-defined]
    from sandbox.core import SandboxContext
    from sandbox.ssh import SshPart, profile_for
    from services.config import render_profile_toml

    async def main() -> None:
        part = SshPart(backlog=backlog, rate=0.001)
        await part.start(SandboxContext(workdir=Path(workdir), scenarios=frozenset()))
        (Path(workdir) / "config.toml").write_text(render_profile_toml(profile_for(part)))
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


async def bare_reader(profile, n: int) -> float:  # type: ignore[no-untyped-def]
    import asyncssh

    from services.journal import journal_argv
    from services.ssh import quote_command

    start = time.perf_counter()
    async with asyncssh.connect(
        "127.0.0.1", profile.ssh.port, username=profile.ssh.user, client_keys=[profile.ssh.identity_file],
        known_hosts=profile.ssh.known_hosts,
    ) as conn:
        proc = await conn.create_process(quote_command(journal_argv(profile.ssh.unit, lines=n)), encoding=None)
        count = 0
        while data := await proc.stdout.read(256 * 1024):
            count += data.count(b"\n")
    elapsed = time.perf_counter() - start
    assert count == n, count
    return n / elapsed


async def service_reader(profile, n: int) -> float:  # type: ignore[no-untyped-def]
    from services.journal import read_journal

    start = time.perf_counter()
    entries = await read_journal(profile, "127.0.0.1", lines=n)
    elapsed = time.perf_counter() - start
    assert len(entries) == n
    return n / elapsed


async def view_reader(profile, n: int) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    from textual.app import App, ComposeResult

    from services.journal import follow_journal
    from widgets.journal_view import JournalView

    class BenchApp(App[None]):
        def compose(self) -> ComposeResult:
            yield JournalView(max_entries=profile.journal.buffer_entries)

    app = BenchApp()
    async with app.run_test(size=(200, 50)) as pilot:
        view = app.query_one(JournalView)
        start = time.perf_counter()
        total = 0
        async for batch in follow_journal(profile, "127.0.0.1", lines=n, follow=False):
            view.add_entries(batch.entries)
            total += len(batch.entries)
            await asyncio.sleep(0)  # let the app repaint between batches, as a worker would
        await pilot.pause()
        elapsed = time.perf_counter() - start
    assert total == n
    return n / elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=200_000)
    args = parser.parse_args()
    from services.config import load_profile

    workdir = tempfile.mkdtemp(prefix="bench-journal-")
    ready = multiprocessing.Event()
    server = multiprocessing.Process(target=_serve, args=(workdir, args.entries, ready), daemon=True)
    server.start()
    try:
        ready.wait(30)
        profile = load_profile(Path(workdir) / "config.toml", environ={})
        bare = asyncio.run(bare_reader(profile, args.entries))
        service = asyncio.run(service_reader(profile, args.entries))
        view, rss = asyncio.run(view_reader(profile, args.entries))
    finally:
        server.terminate()
    print(f"entries: {args.entries:,} (journal backlog from the sandbox SSH server in a child process)")
    print(f"bare asyncssh reader (baseline): {bare:>10,.0f} entries/s")
    print(f"read_journal (ssh + parse):      {service:>10,.0f} entries/s  ({service / bare:.2f}x baseline)")
    print(f"view in headless app 200x50:     {view:>10,.0f} entries/s  ({view / bare:.2f}x baseline)")
    print(f"peak RSS of this process:        {rss:>10,} MB  (view buffer {profile.journal.buffer_entries:,} entries)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
