"""Benchmark: the live journal from the sandbox SSH server to the screen of the TUI in tmux.

    .venv/bin/python bench/journal.py [--rate 400000] [--seconds 10] [--keys 40] [--rss-entries 1000000]

Runs the whole sandbox (``python -m sandbox``) with a journal live rate far above what any reader
takes (so every reader runs flat out; both SSH readers use the console's cipher order and packet size), then, in
the same run:

1. a bare asyncssh reader counting the lines of ``journalctl -f`` (the baseline), with the
   console's cipher order and packet size and, for reference, with asyncssh's defaults,
2. ``follow_journal()`` alone (SSH + parsing, no UI),
3. ``ttes-console --config <sandbox profile>`` in a 200×50 tmux window (through
   ``bench/_journal_tui.py``, which notes when each key is read, handled and drawn), Journal tab
   (``1``): entries/s to the screen from the view's status line (entries held + dropped, sampled
   with ``capture-pane`` through one tmux control-mode client, so that polling the screen does
   not start a process every few ms); key latency: ``t`` sent with ``send-keys`` during the flood,
   timed until the rows on screen change between with and without timestamps (the floor of that
   measurement, one ``capture-pane``, is printed beside it), and split into terminal and app
   time; then peak RSS of the TUI process once 1,000,000 entries have gone through the view
   (100,000 kept),
4. the bare reader again, after the TUI has quit.

Targets: ≥ 50,000 entries/s and ≥ 0.5× the bare reader; p95 key latency ≤ 50 ms;
peak RSS ≤ 200 MB after 1,000,000 entries. Figures only; nothing about time is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._tmux import TmuxControl  # noqa: E402

SESSION = "ttes-bench-journal"
POLL_SECONDS = 0.002
STATUS = re.compile(r"([\d,]+)/s · ([\d,]+)/([\d,]+) \(\d+%\) · dropped ([\d,]+)")
WITH_TIME = re.compile(r"^.?\d\d:\d\d:\d\d\.\d{3} (DEBUG|INFO |WARN |ERROR|FATAL)")
WITHOUT_TIME = re.compile(r"^.?(DEBUG|INFO |WARN |ERROR|FATAL) ")


def _num(text: str) -> int:
    return int(text.replace(",", ""))


# --- readers without the UI -----------------------------------------------------------------


async def bare_reader(profile: Any, seconds: float, *, console_ciphers: bool = True) -> float:
    """Lines/s of ``journalctl -f`` read with plain asyncssh, after a one-second warm-up; with
    ``console_ciphers`` in the console's cipher order (AES-GCM first) and its channel packet size,
    else with asyncssh's defaults (ChaCha20 first, 32 KiB packets)."""
    import asyncssh

    from services.core.ssh import ENCRYPTION_ALGS, quote_command
    from services.journal.follow import journal_argv
    from services.journal.stream import MAX_PACKET

    async with asyncssh.connect(
        profile.ssh.host,
        profile.ssh.port,
        username=profile.ssh.user,
        client_keys=[profile.ssh.identity_file],
        known_hosts=profile.ssh.known_hosts,
        **({"encryption_algs": list(ENCRYPTION_ALGS)} if console_ciphers else {}),
    ) as conn:
        proc = await conn.create_process(
            quote_command(journal_argv(profile.ssh.unit, lines=0, follow=True)),
            encoding=None,
            **({"max_pktsize": MAX_PACKET} if console_ciphers else {}),
        )
        warm_until = time.monotonic() + 1.0
        count, start = 0, 0.0
        while data := await proc.stdout.read(256 * 1024):
            now = time.monotonic()
            if now < warm_until:
                continue
            if not start:
                start = now
            count += data.count(b"\n")
            if now - start >= seconds:
                break
        proc.terminate()
        return count / max(1e-9, time.monotonic() - start)


async def service_reader(profile: Any, seconds: float) -> float:
    """Entries/s out of ``follow_journal()`` (SSH, parsing, batching), after a warm-up."""
    from services.journal.follow import follow_journal

    stream = follow_journal(profile, profile.ssh.host, lines=0)
    warm_until = time.monotonic() + 1.0
    count, start = 0, 0.0
    try:
        async for batch in stream:
            now = time.monotonic()
            if now < warm_until:
                continue
            if not start:
                start = now
            count += len(batch.entries)
            if now - start >= seconds:
                break
    finally:
        await stream.aclose()
    return count / max(1e-9, time.monotonic() - start)


# --- the TUI in tmux --------------------------------------------------------------------------


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=False).stdout


_control: list[TmuxControl] = []


def screen() -> list[str]:
    if _control:
        return _control[0].command(f"capture-pane -p -t {SESSION}")
    return tmux("capture-pane", "-p", "-t", SESSION).splitlines()


def send_keys(key: str) -> None:
    if _control:
        _control[0].command(f"send-keys -t {SESSION} {key}")
    else:
        tmux("send-keys", "-t", SESSION, key)


def status(lines: list[str]) -> tuple[int, int] | None:
    """(entries through the view so far, buffer size) from the status line, if shown."""
    for line in reversed(lines):
        match = STATUS.search(line)
        if match:
            return _num(match.group(2)) + _num(match.group(4)), _num(match.group(3))
    return None


def timestamps_shown(lines: list[str]) -> bool | None:
    with_time = sum(1 for line in lines if WITH_TIME.match(line))
    without = sum(1 for line in lines if WITHOUT_TIME.match(line))
    if with_time > 5 and without == 0:
        return True
    if without > 5 and with_time == 0:
        return False
    return None


def wait_for(condition: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise SystemExit(f"bench: gave up waiting for {what}; screen:\n" + "\n".join(screen()))


def focus_view() -> None:
    """`1` shows the Journal tab; Tab moves the focus until the view's keys are in the footer."""
    for _ in range(20):
        if "Newest error" in screen()[-1]:  # the journal view's first key in the footer
            return
        send_keys("Tab")
        time.sleep(0.4)
    raise SystemExit("bench: could not focus the journal view:\n" + "\n".join(screen()))


def _split(stamps: Path, sent: float) -> tuple[float, float, float] | None:
    """(sent → read by the input thread, read → handled, handled → frame written) for the key sent at ``sent``."""
    got: dict[str, float] = {}
    for line in stamps.read_text().splitlines() if stamps.exists() else []:
        what, _, at = line.partition(" ")
        if float(at) >= sent and what not in got:
            got[what] = float(at)
    if not {"read", "handled", "drawn"} <= got.keys():
        return None
    return got["read"] - sent, got["handled"] - got["read"], got["drawn"] - got["handled"]


def memory(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) in MB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) // 1024, int(fields["VmHWM"].split()[0]) // 1024


def run_tui(config: Path, environ: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    env = " ".join(f"{k}={shlex.quote(v)}" for k, v in environ.items())
    stamps = config.parent / "key-stamps.txt"
    command = (
        f"cd {shlex.quote(str(ROOT))} && exec env {env} {shlex.quote(sys.executable)} "
        f"{shlex.quote(str(ROOT / 'bench' / '_journal_tui.py'))} {stamps} --config {config}"
    )
    tmux("kill-session", "-t", SESSION)
    tmux("new-session", "-d", "-s", SESSION, "-x", "200", "-y", "50", command)
    out: dict[str, Any] = {}
    try:
        pid = int(tmux("display", "-p", "-t", SESSION, "#{pane_pid}").strip())
        _control.append(TmuxControl(SESSION))
        wait_for(lambda: any("Journal" in line for line in screen()), 60, "the dashboard")
        out["rss_first_paint"] = memory(pid)[0]
        send_keys("1")
        time.sleep(0.5)
        focus_view()
        wait_for(lambda: (status(screen()) or (0, 0))[0] > 5000, 60, "the journal flood")
        time.sleep(1.0)
        samples: list[tuple[float, int]] = []
        end = time.monotonic() + args.seconds
        while time.monotonic() < end:
            got = status(screen())
            if got:
                samples.append((time.monotonic(), got[0]))
            time.sleep(0.5)
        (t0, n0), (t1, n1) = samples[0], samples[-1]
        out["screen_rate"] = (n1 - n0) / (t1 - t0)

        floor: list[float] = []
        latencies: list[float] = []
        splits: list[tuple[float, float, float] | None] = []
        for _ in range(args.keys):
            focus_view()
            start = time.perf_counter()
            before = timestamps_shown(screen())
            floor.append(time.perf_counter() - start)
            if before is None:
                time.sleep(0.2)
                continue
            start = time.perf_counter()
            sent = time.time()
            send_keys("t")
            while timestamps_shown(screen()) is not (not before):
                if time.perf_counter() - start > 5:
                    break
                time.sleep(POLL_SECONDS)  # each capture costs tmux a screen dump: leave the CPUs to the TUI
            latencies.append(time.perf_counter() - start)
            splits.append(_split(stamps, sent))
            if latencies[-1] > 5:
                print("bench: the screen did not change after 't':\n" + "\n".join(screen()), file=sys.stderr)
            time.sleep(0.25)
        out["latency"] = latencies
        out["splits"] = [x for x in splits if x is not None]
        out["capture_floor"] = floor

        deadline = time.monotonic() + args.rss_timeout
        total = 0
        while time.monotonic() < deadline:
            total = (status(screen()) or (0, 0))[0]
            if total >= args.rss_entries:
                break
            time.sleep(1.0)
        out["rss_entries"] = total
        out["rss"], out["hwm"] = memory(pid)
        out["buffer"] = (status(screen()) or (0, 0))[1]
    finally:
        tmux("send-keys", "-t", SESSION, "q")
        time.sleep(1.0)
        while _control:
            _control.pop().close()
        tmux("kill-session", "-t", SESSION)
    return out


# --- the run ----------------------------------------------------------------------------------


def start_sandbox(workdir: Path, rate: float) -> tuple[subprocess.Popen[bytes], Path, dict[str, str]]:
    from sandbox.ssh import RATE_ENV

    config = workdir / "config.toml"
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--write-config", str(config), "--workdir", str(workdir)],
        cwd=ROOT,
        env={**os.environ, RATE_ENV: str(rate)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    wait_for(config.exists, 90, "the sandbox")
    environ: dict[str, str] = {}
    for line in Path(f"{config}.env").read_text().splitlines():
        key, _, value = line.removeprefix("export ").partition("=")
        environ[key] = shlex.split(value)[0] if value else ""
    return proc, config, environ


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=400_000, help="the sandbox journal's live rate, entries/s")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each throughput window")
    parser.add_argument("--keys", type=int, default=40, help="key presses timed during the flood")
    parser.add_argument("--rss-entries", type=int, default=1_000_000)
    parser.add_argument("--rss-timeout", type=float, default=180.0, help="stop waiting for --rss-entries after this")
    args = parser.parse_args()

    from services.core.config import load_profile

    workdir = Path(tempfile.mkdtemp(prefix="bench-journal-"))
    sandbox, config, environ = start_sandbox(workdir, args.rate)
    try:
        profile = load_profile(config, environ={})
        bare_before = asyncio.run(bare_reader(profile, args.seconds))
        bare_default = asyncio.run(bare_reader(profile, args.seconds, console_ciphers=False))
        service = asyncio.run(service_reader(profile, args.seconds))
        tui = run_tui(config, environ, args)
        bare_after = asyncio.run(bare_reader(profile, args.seconds))
    finally:
        sandbox.terminate()
        sandbox.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)  # the sandbox's keys and journal files
    bare = (bare_before + bare_after) / 2
    lat = sorted(1000 * x for x in tui["latency"])
    floor = sorted(1000 * x for x in tui["capture_floor"])

    def pct(values: list[float], q: float) -> float:
        return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")

    rate = tui["screen_rate"]
    print(f"sandbox journal live rate {args.rate:,.0f}/s; TUI in tmux 200x50; {os.cpu_count()} CPUs; same run:")
    print(
        f"  bare asyncssh reader (baseline)  {bare:>9,.0f} entries/s  (before {bare_before:,.0f}, after {bare_after:,.0f})"
    )
    print(
        f"  bare reader, asyncssh's defaults {bare_default:>9,.0f} entries/s  "
        f"(ChaCha20 first, 32 KiB packets; the TUI is {rate / bare_default:.2f}x this)"
    )
    print(f"  follow_journal, no UI            {service:>9,.0f} entries/s  {service / bare:.2f}x baseline")
    print(
        f"  TUI to the screen                {rate:>9,.0f} entries/s  {rate / bare:.2f}x baseline"
        "   target >= 50,000/s and >= 0.5x"
    )
    print(
        f"  key 't' during the flood         p50 {pct(lat, 0.5):5.0f} ms  p95 {pct(lat, 0.95):5.0f} ms  "
        f"(n={len(lat)}; one capture-pane alone p50 {pct(floor, 0.5):.0f} ms)   target p95 <= 50 ms"
    )
    splits = tui["splits"]
    if splits:
        parts = [sorted(1000 * s[i] for s in splits) for i in range(3)]
        in_app = sorted(1000 * (s[1] + s[2]) for s in splits)
        print(
            f"    of which                       p50/p95 ms: send-keys → read by the TUI {pct(parts[0], 0.5):.0f}/"
            f"{pct(parts[0], 0.95):.0f}, read → handled {pct(parts[1], 0.5):.0f}/{pct(parts[1], 0.95):.0f}, "
            f"handled → frame written {pct(parts[2], 0.5):.0f}/{pct(parts[2], 0.95):.0f}; "
            f"in the app (read → written) {pct(in_app, 0.5):.0f}/{pct(in_app, 0.95):.0f}"
        )
    print(
        f"  TUI peak RSS                     {tui['hwm']:>9,} MB  after {tui['rss_entries']:,} entries "
        f"(buffer {tui['buffer']:,}; {tui['rss_first_paint']} MB at first paint)   target <= 200 MB after 1,000,000"
    )
    if lat:
        print(f"  key latencies ms: {', '.join(f'{x:.0f}' for x in lat)}  (mean {statistics.mean(lat):.0f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
