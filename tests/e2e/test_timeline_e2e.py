"""End-to-end: the timeline's journal source through Debian's OpenSSH sshd and a real shell.

The --grep pattern (tabs, pipes, quotes) and the field matches cross bash's quoting on the way
to the fake journalctl (``python -m sandbox.journalctl``); what comes back is grouped.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from services.timeline.journal_source import fetch_journal, journal_items
from tests.e2e.sshd import Sshd, running_sshd

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    with running_sshd(tmp_path_factory.mktemp("sshd"), journal=True) as server:
        yield server


async def test_warnings_come_filtered_and_grouped_through_a_real_shell(sshd: Sshd) -> None:
    until = time.time()
    since = until - 3600
    warnings, lifecycle = await fetch_journal(sshd.profile(), "127.0.0.1", since - 3600, until)
    assert warnings and lifecycle == []  # the generator's backlog has no systemd lines
    assert all(b'"MESSAGE":"WARN\\t' in line or b'"MESSAGE":"ERROR\\t' in line for line in warnings)
    items, figures = await journal_items(sshd.profile(), "127.0.0.1", since, until)
    assert items and figures["warnings"] == sum(i.count for i in items)
    assert {i.severity for i in items} <= {"warning", "error"}
