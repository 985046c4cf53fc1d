"""follow_journal() against the sandbox SSH server: resume after cursor, batches, errors, cleanup."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from sandbox.core import SandboxContext
from sandbox.ssh import SshPart, profile_for
from services.core.errors import AuthFailed
from services.core.ssh import quote_command
from services.health.unit import unit_status
from services.journal.follow import BATCH_ENTRIES, follow_journal, journal_argv, read_journal


@pytest.fixture
async def start_part(tmp_path: Path) -> AsyncIterator[Callable[..., object]]:
    parts: list[SshPart] = []

    async def start(*scenarios: str, **kwargs: object) -> SshPart:
        workdir = tmp_path / f"part{len(parts)}"
        workdir.mkdir()
        part = SshPart(**kwargs)  # type: ignore[arg-type]
        await part.start(SandboxContext(workdir=workdir, scenarios=frozenset(scenarios)))
        parts.append(part)
        return part

    yield start
    for part in parts:
        await part.stop()


async def _until(condition: Callable[[], bool]) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)


async def test_flaky_connection_loses_and_repeats_nothing_across_reconnects(start_part) -> None:
    part = await start_part("ssh-flaky", rate=1000.0, drop_after=(0.15, 0.3))
    seqnums: list[int] = []
    state = None
    stream = follow_journal(profile_for(part), "127.0.0.1", lines=10)
    async for batch in stream:
        assert len(batch.entries) <= BATCH_ENTRIES
        seqnums.extend(e.seqnum for e in batch.entries)
        state = batch.state
        if state.reconnects >= 5 and len(seqnums) >= 1500:
            break
    await stream.aclose()
    assert state is not None and state.reconnects >= 5
    assert seqnums == list(range(seqnums[0], seqnums[0] + len(seqnums)))
    assert state.resumed_after_cursor
    assert "resumed after cursor" in state.describe()


async def test_last_n_entries_then_the_end(start_part) -> None:
    part = await start_part(backlog=400, rate=0.001)
    entries = await read_journal(profile_for(part), "127.0.0.1", lines=50)
    assert [e.seqnum for e in entries] == list(range(351, 401))


async def test_resume_after_cursor_starts_right_after_it(start_part) -> None:
    part = await start_part(backlog=300, rate=0.001)
    profile = profile_for(part)
    first = await read_journal(profile, "127.0.0.1", lines=20)
    resumed = [
        e
        async for batch in follow_journal(profile, "127.0.0.1", follow=False, after_cursor=first[9].cursor)
        for e in batch.entries
    ]
    assert [e.seqnum for e in resumed] == list(range(first[9].seqnum + 1, 301))


def test_every_argument_is_quoted() -> None:
    cursor = "s=1;i=2;b=3 $(touch /tmp/x)"
    command = quote_command(journal_argv("lorawan-stack.service; rm -rf /", follow=True, after_cursor=cursor))
    assert command == (
        "sudo -n journalctl -u 'lorawan-stack.service; rm -rf /' -o json --no-pager "
        "'--after-cursor=s=1;i=2;b=3 $(touch /tmp/x)' -f"
    )


async def test_sudo_wanting_a_password_is_one_sentence(start_part) -> None:
    part = await start_part(sudo_password=True)
    with pytest.raises(AuthFailed) as err:
        await read_journal(profile_for(part), "127.0.0.1", lines=5)
    assert "wants a password" in str(err.value)
    assert "\n" not in str(err.value)


async def test_closing_the_stream_ends_the_remote_journalctl(start_part) -> None:
    part = await start_part(rate=50.0)
    stream = follow_journal(profile_for(part), "127.0.0.1", lines=5)
    async for batch in stream:
        if batch.entries:
            break
    assert part.running_journalctl == 1
    await stream.aclose()
    await _until(lambda: part.running_journalctl == 0)
    assert part.running_journalctl == 0


async def test_service_down_shows_failed_unit_and_systemd_exit_lines(start_part) -> None:
    part = await start_part("service-down", backlog=200)
    profile = profile_for(part)
    status = await unit_status(profile, "127.0.0.1")
    assert (status.active_state, status.restarts, status.exit_status) == ("failed", 5, 255)
    assert status.summary().startswith("failed (failed) since ")
    entries = await read_journal(profile, "127.0.0.1", lines=8)
    assert "Main process exited, code=exited, status=255/EXCEPTION" in entries[2].message
    assert entries[-1].level == "ERROR"


async def test_running_unit_status(start_part) -> None:
    part = await start_part()
    status = await unit_status(profile_for(part), "127.0.0.1")
    assert status.active and status.sub_state == "running" and status.restarts == 0
    assert status.since is not None
