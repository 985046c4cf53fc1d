"""Benchmark: a 24 h timeline whose journal holds 100,000 warnings, against the sandbox's SSH server.

    .venv/bin/python bench/timeline.py [--warnings 100000] [--hours 24] [--runs 3]

Starts the sandbox's SSH part alone (real asyncssh over loopback, the simulated journalctl with
its --grep/--since/--until filtering on the server side) with a journal of ``--warnings`` WARN
and ERROR entries spread over the range (and the usual backlog of ordinary entries), then, in
the same run and per round:

1. fetch only: the two journalctl runs of the timeline's journal source, bytes received and
   split into lines, nothing parsed (the baseline);
2. assemble: ``build_timeline()`` for the range (journal, health history, audit log): fetch,
   parse, group per minute by message, mark new messages, merge and compute the strips.

Target: the assembly ≤ 2 s. Figures only; nothing about time is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def prelude(count: int, start: float, end: float) -> list[tuple[int, object, int, str]]:
    """``count`` warnings and errors between ``start`` and ``end``, the sandbox story's vocabulary."""
    from sandbox.history import _ROUTINE, REDIS_ERROR
    from sandbox.journal_gen import _tts

    vocabulary = [*_ROUTINE, REDIS_ERROR]
    step = (end - start) / count
    return [
        (int((start + i * step) * 1_000_000), _tts(*vocabulary[i % len(vocabulary)]), 6, "tti-lw-stack")
        for i in range(count)
    ]


async def main(warnings: int, hours: float, runs: int) -> None:
    from dataclasses import replace

    from sandbox.core import SandboxContext
    from sandbox.journal_gen import JournalGen
    from sandbox.ssh import SshPart, profile_for
    from services.timeline.assemble import build_timeline
    from services.timeline.journal_source import fetch_journal

    with tempfile.TemporaryDirectory() as tmp:
        ctx = SandboxContext(workdir=Path(tmp), scenarios=frozenset())
        part = SshPart(rate=20.0)
        await part.start(ctx)
        try:
            now = time.time()
            backlog_start = now - 3000 * 0.8
            part.gen = JournalGen(
                t0=now, backlog=3000, rate=20.0, prelude=prelude(warnings, now - hours * 3600, backlog_start - 1)
            )
            profile = replace(profile_for(part), health_history=str(Path(tmp) / "health.jsonl"))
            profile = replace(profile, audit_log=str(Path(tmp) / "audit.jsonl"))
            fetch_times, build_times = [], []
            lines_got = 0
            for _ in range(runs):
                until = time.time()
                t = time.perf_counter()
                got = await fetch_journal(profile, "127.0.0.1", until - 2 * hours * 3600, until)
                fetch_times.append(time.perf_counter() - t)
                lines_got = len(got[0]) + len(got[1])
                t = time.perf_counter()
                timeline = await build_timeline(profile, timedelta(hours=hours), sources=("journal", "health", "audit"))
                build_times.append(time.perf_counter() - t)
            journal = timeline.figures("journal")
            print(f"journal: {warnings:,} warnings over {hours:g} h; {lines_got:,} lines fetched per run")
            print(f"timeline: {len(timeline.items):,} items, {journal.get('warnings', 0):,} warnings grouped")
            print(
                f"fetch only (baseline): median {statistics.median(fetch_times):.2f} s "
                f"(runs: {', '.join(f'{x:.2f}' for x in fetch_times)})"
            )
            print(
                f"assemble timeline:     median {statistics.median(build_times):.2f} s "
                f"(runs: {', '.join(f'{x:.2f}' for x in build_times)})  target ≤ 2 s"
            )
            if timeline.failed:
                print("failed sources:", "; ".join(f"{r.source}: {r.error}" for r in timeline.failed))
        finally:
            await part.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warnings", type=int, default=100_000)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.warnings, args.hours, args.runs))
