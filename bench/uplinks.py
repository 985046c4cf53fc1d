"""Benchmark: uplinks/s from an MQTT broker to the screen, next to a bare awscrt subscriber, same run.

    .venv/bin/python bench/uplinks.py [--messages N] [--keys K] [--rate R]

Debian's mosquitto (mTLS, ``require_certificate true``; it is a C broker, so it is not the
bottleneck the pure-Python sandbox broker would be) takes a QoS 1 flood of N ApplicationUp
messages (the simulator's, with unique f_cnt) from a publisher process. Two subscribers take the
same flood at once:

- the baseline: a bare awscrt MQTT 3.1.1 subscriber (QoS 1, mTLS) that only counts;
- the TUI: the Uplinks tab (UplinksPane in a Textual app) running in tmux at 200×50, through
  services.uplinks.feed (parse, per-device state, feed view).

Printed: each one's msg/s (first to last message), the TUI/baseline ratio, messages lost, the
p95 latency of K keys sent with tmux's ``send-keys`` (through one control-mode client, so that
starting a tmux process is not part of it) during the flood (sent → handled, split at the
moment the TUI's input thread has read the key), the TUI process's RSS at the end, its event-loop
lag and its garbage-collector pauses. Nothing is asserted.

At full speed the flood saturates both cores of a small machine (broker, publisher, baseline and
TUI all run on it), so key latency there includes waiting for a CPU; ``--rate 5000`` paces the
publisher to show the latency at the target rate with the CPUs not all taken by the benchmark.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import ClassVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._tmux import TmuxControl  # noqa: E402
from sandbox.ports import free_port  # noqa: E402


def make_certs(work: Path) -> None:
    import trustme

    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(work / "ca.pem"))
    server = ca.issue_cert("127.0.0.1")
    server.cert_chain_pems[0].write_to_path(str(work / "server.pem"))
    server.private_key_pem.write_to_path(str(work / "server.key"))
    client = ca.issue_cert("bench", common_name="bench")
    client.cert_chain_pems[0].write_to_path(str(work / "client.pem"))
    client.private_key_pem.write_to_path(str(work / "client.key"))


def start_mosquitto(work: Path, port: int) -> subprocess.Popen[bytes]:
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    conf = work / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\ncafile {work / 'ca.pem'}\ncertfile {work / 'server.pem'}\n"
        f"keyfile {work / 'server.key'}\nrequire_certificate true\nuse_identity_as_username true\n"
        "allow_anonymous false\npersistence false\nmax_queued_messages 2000000\nmax_inflight_messages 1000\n"
        "log_dest none\nuser root\n"
    )
    proc = subprocess.Popen([binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), 0.1).close()
            return proc
        except OSError:
            time.sleep(0.05)
    raise SystemExit("mosquitto did not start")


def connection(work: Path, port: int, client_id: str):  # type: ignore[no-untyped-def]
    from awsiot import mqtt_connection_builder

    return mqtt_connection_builder.mtls_from_path(
        cert_filepath=str(work / "client.pem"),
        pri_key_filepath=str(work / "client.key"),
        endpoint="127.0.0.1",
        port=port,
        client_id=client_id,
        ca_filepath=str(work / "ca.pem"),
        enable_metrics_collection=False,
        clean_session=False,
        keep_alive_secs=120,
    )


def bare_subscriber(work: str, port: int, n: int, ready, out) -> None:  # type: ignore[no-untyped-def]
    """The baseline: awscrt at QoS 1, counting in the callback, nothing else."""
    import threading

    from awscrt import mqtt

    done = threading.Event()
    stamps: list[float] = []
    count = 0

    def on_message(topic: str, payload: bytes, **kwargs: object) -> None:
        nonlocal count
        count += 1
        if count == 1 or count == n:
            stamps.append(time.time())
        if count >= n:
            done.set()

    conn = connection(Path(work), port, "bench-bare")
    conn.connect().result(10)
    conn.subscribe("lorawan/#", mqtt.QoS.AT_LEAST_ONCE, on_message)[0].result(10)
    ready.set()
    done.wait(3600)
    out.put({"count": count, "first": stamps[0], "last": stamps[-1]})
    conn.disconnect().result(5)


def publisher(work: str, port: int, n: int, go, rate: float = 0.0) -> None:  # type: ignore[no-untyped-def]
    from awscrt import mqtt

    from sandbox.uplink_sim import UplinkSimulator

    sim = UplinkSimulator("ttes-bench", seed=3)
    templates = []
    for dev in sim.devices:  # one message per device, f_cnt as a slot: unique uplinks at any rate
        doc = sim.application_up(dev, time.time())
        doc["uplink_message"]["f_cnt"] = 999_999_999  # type: ignore[index]
        head, tail = json.dumps(doc, separators=(",", ":")).encode().split(b"999999999")
        templates.append((sim.topic(dev), head, tail))
    conn = connection(Path(work), port, "bench-publisher")
    conn.connect().result(10)
    go.wait()
    window = []
    start = time.monotonic()
    for i in range(n):
        if rate and i % 50 == 0:  # paced: AWS IoT feeds a console at a steady rate, not as fast as a LAN allows
            ahead = start + i / rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
        topic, head, tail = templates[i % len(templates)]
        future, _ = conn.publish(topic, head + str(i // len(templates)).encode() + tail, mqtt.QoS.AT_LEAST_ONCE)
        window.append(future)
        if len(window) >= 2000:  # keep a bounded number of unacknowledged publishes in flight
            window.pop(0).result(60)
    for future in window:
        future.result(60)
    conn.disconnect().result(5)


def tui_child(work: str, port: int, n: int) -> None:
    """Runs inside tmux: the Uplinks tab, recording arrivals and key handling in files."""
    from textual.app import App, ComposeResult
    from textual.binding import Binding, BindingType

    from services.core.config import IotSettings, Profile
    from tui.panes.uplinks import UplinksPane

    w = Path(work)
    profile = Profile(
        name="bench",
        stack="ttes-bench",
        iot=IotSettings(
            auth="mtls",
            endpoint="127.0.0.1",
            port=port,
            ca_file=str(w / "ca.pem"),
            cert_file=str(w / "client.pem"),
            key_file=str(w / "client.key"),
            topic="lorawan/{stack}/+/things/+/up",
        ),
    )

    from textual import events
    from textual.drivers.linux_driver import LinuxDriver

    class StampingDriver(LinuxDriver):
        """Notes when the input thread has read and parsed each key: splits terminal time from TUI time."""

        def process_message(self, message):  # type: ignore[no-untyped-def]
            if isinstance(message, events.Key) and message.key == "f12":
                with (w / "keys-read.txt").open("a") as fh:
                    fh.write(f"{time.time()}\n")
            super().process_message(message)

    class CountingPane(UplinksPane):
        """Notes each uplink's (device, f_cnt) as it arrives: lost and shown-twice are then counted exactly.

        One bit per f_cnt and device, in a bytearray: a set of a million (device, f_cnt) tuples
        would add about 200 MB of tracked objects to the process being measured, and so to its
        collector passes, its key latency and its RSS.
        """

        seen: ClassVar[dict[str, bytearray]] = {}
        unique: ClassVar[list[int]] = [0]

        def _ingest(self, batch):  # type: ignore[no-untyped-def]
            seen, unique = self.seen, self.unique
            for u in batch.uplinks:
                if u.f_cnt is None:
                    continue
                bits = seen.get(u.device_id)
                if bits is None:
                    bits = seen[u.device_id] = bytearray(1024)
                byte, bit = divmod(u.f_cnt, 8)
                if byte >= len(bits):
                    bits.extend(bytes(max(byte + 1 - len(bits), len(bits))))
                if not bits[byte] & (1 << bit):
                    bits[byte] |= 1 << bit
                    unique[0] += 1
            super()._ingest(batch)

    class BenchApp(App[None]):
        BINDINGS: ClassVar[list[BindingType]] = [Binding("f12", "mark", "mark", show=False)]

        def compose(self) -> ComposeResult:
            self.pane = CountingPane(profile, max_lines=20_000)
            yield self.pane

        def on_mount(self) -> None:
            import gc

            from tui import runtime

            runtime.apply()  # the console's process-wide settings (TtesConsoleApp does the same)
            if os.environ.get("BENCH_SWITCH_INTERVAL"):
                sys.setswitchinterval(float(os.environ["BENCH_SWITCH_INTERVAL"]))
            runtime.freeze()
            self.set_timer(runtime.SETTLE_SECONDS, runtime.settle)
            if os.environ.get("BENCH_GC"):
                gc.set_threshold(*map(int, os.environ["BENCH_GC"].split(",")))
            self.gc_pauses: list[float] = []
            gc_started = [0.0]

            self.gc_young: list[float] = []

            def on_gc(phase: str, info: dict[str, int]) -> None:
                if phase == "start":
                    gc_started[0] = time.perf_counter()
                else:
                    pauses = self.gc_pauses if info["generation"] == 2 else self.gc_young
                    pauses.append((time.perf_counter() - gc_started[0]) * 1000)

            gc.callbacks.append(on_gc)
            self.first = 0.0
            self.keys = (w / "keys.txt").open("a")
            self.set_interval(0.05, self.watch_count)
            self.lags: list[float] = []
            self.last_tick = time.perf_counter()
            self.set_interval(0.01, self.tick)

        def tick(self) -> None:
            now = time.perf_counter()
            if self.first:
                self.lags.append((now - self.last_tick - 0.01) * 1000)
            self.last_tick = now

        def action_mark(self) -> None:
            self.keys.write(f"{time.time()}\n")
            self.keys.flush()

        def watch_count(self) -> None:
            pane = self.pane
            if pane.state == "connected" and not (w / "tui-ready").exists():
                (w / "tui-ready").write_text("1")
            got = pane.total + pane.duplicates
            if got and not self.first:
                self.first = time.time()
            # Unique uplinks: a QoS 1 redelivery after a reconnect is shown once and counted apart.
            if pane.unique[0] >= n or (self.first and time.time() - self.first > 600):
                import collections
                import gc

                rss_kb = int(Path("/proc/self/status").read_text().split("VmRSS:")[1].split()[0])
                status = pane.status
                (w / "tui.json").write_text(
                    json.dumps(
                        {
                            "count": pane.total,
                            "unique": pane.unique[0],
                            "duplicates": pane.duplicates,
                            "first": self.first,
                            "last": time.time(),
                            "dropped": status.dropped if status else None,
                            "rss_mb": rss_kb / 1024,
                            "reconnects": sum(c.reconnects for c in status.connections) if status else None,
                            "lag_p95_ms": sorted(self.lags)[int(0.95 * (len(self.lags) - 1))] if self.lags else None,
                            "lag_max_ms": max(self.lags, default=None),
                            "big_lags_ms": sorted(self.lags)[-8:],
                            "gc2_ms": sorted(self.gc_pauses)[-8:],
                            "gc2_count": len(self.gc_pauses),
                            "gc_young_ms": sorted(self.gc_young)[-5:],
                            "gc_young_count": len(self.gc_young),
                            "tracked": len(gc.get_objects()),
                            "types": collections.Counter(type(o).__name__ for o in gc.get_objects()).most_common(8),
                        }
                    )
                )
                self.exit()

    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        cProfile.runctx("BenchApp(driver_class=StampingDriver).run()", globals(), locals(), os.environ["BENCH_PROFILE"])
    else:
        BenchApp(driver_class=StampingDriver).run()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--keys", type=int, default=60)
    parser.add_argument(
        "--rate", type=float, default=0.0, help="publish at this many msg/s (default: as fast as the broker takes them)"
    )
    parser.add_argument("--tui-child", nargs=3, metavar=("WORK", "PORT", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.tui_child:
        tui_child(args.tui_child[0], int(args.tui_child[1]), int(args.tui_child[2]))
        return 0
    for tool in ("mosquitto", "tmux"):
        if not (shutil.which(tool) or Path(f"/usr/sbin/{tool}").exists()):
            raise SystemExit(f"{tool} is needed: apt-get install {tool}")
    n = args.messages
    work = Path(tempfile.mkdtemp(prefix="bench-uplinks-"))
    make_certs(work)
    port = free_port()
    broker = start_mosquitto(work, port)
    ctx = multiprocessing.get_context("spawn")
    ready, go, out = ctx.Event(), ctx.Event(), ctx.Queue()
    bare = ctx.Process(target=bare_subscriber, args=(str(work), port, n, ready, out))
    pub = ctx.Process(target=publisher, args=(str(work), port, n, go, args.rate))
    session = f"bench-uplinks-{os.getpid()}"
    try:
        bare.start()
        ready.wait(30)
        profile_env = "".join(
            f"{k}={os.environ[k]} " for k in ("BENCH_PROFILE", "BENCH_SWITCH_INTERVAL", "BENCH_GC") if os.environ.get(k)
        )
        child = f"{profile_env}{sys.executable} {Path(__file__).resolve()} --tui-child {work} {port} {n}"
        subprocess.run(
            [
                "tmux",
                "-L",
                session,
                "new-session",
                "-d",
                "-s",
                session,
                "-x",
                "200",
                "-y",
                "50",
                f"cd {ROOT} && {child}; sleep 2",
            ],
            check=True,
        )
        deadline = time.time() + 60
        while not (work / "tui-ready").exists():
            if time.time() > deadline:
                raise SystemExit("the TUI did not connect within 60 s")
            time.sleep(0.1)
        control = TmuxControl(session, socket=session)
        idle_sent = send_keys(control, session, 10)
        idle_handled = handled_keys(work)
        pub.start()
        go.set()
        sent: list[float] = []
        time.sleep(1.0)
        for _ in range(args.keys):  # keys during the flood
            if (work / "tui.json").exists():
                break
            sent.append(time.time())
            control.command(f"send-keys -t {session} F12")
            time.sleep(0.25)
        control.close()
        baseline = out.get(timeout=3600)
        deadline = time.time() + 3600
        while not (work / "tui.json").exists() and time.time() < deadline:
            time.sleep(0.2)
        pub.join(60)
        tui = json.loads((work / "tui.json").read_text())
    finally:
        time.sleep(1.0 if os.environ.get("BENCH_PROFILE") else 0)
        subprocess.run(["tmux", "-L", session, "kill-server"], capture_output=True)
        for proc in (bare, pub):
            if proc.is_alive():
                proc.kill()
        broker.terminate()
    handled = handled_keys(work)[len(idle_handled) :]
    read = handled_keys(work, "keys-read.txt")[len(idle_handled) :]
    p95 = percentile95(sent, handled)
    p50 = percentile(sent, handled, 0.5)
    tui_p95 = percentile95(read, handled)
    terminal_p95 = percentile95(sent, read)
    idle_p95 = percentile95(idle_sent, idle_handled)
    bare_rate = baseline["count"] / max(1e-9, baseline["last"] - baseline["first"])
    tui_rate = tui["count"] / max(1e-9, tui["last"] - tui["first"])
    lost = n - tui["unique"]  # published but never arrived
    shown_twice = tui["count"] - tui["unique"]  # arrived again and counted (and shown) as new
    pace = f"paced at {args.rate:,.0f} msg/s" if args.rate else "as fast as the broker takes them"
    print(
        f"messages                  {n:,} at QoS 1 through mosquitto (mTLS), ~{len(templates_size(work))} B each, "
        f"{pace}"
    )
    print(f"bare awscrt subscriber    {bare_rate:10,.0f} msg/s   (baseline, same run; {baseline['count']:,} received)")
    print(f"TUI (Uplinks tab, tmux)   {tui_rate:10,.0f} msg/s   = {tui_rate / bare_rate:.2f}× the baseline")
    print(f"lost by the TUI           {lost:,} published, never received (dropped in queue {tui['dropped']})")
    print(
        f"duplicated by the TUI     {shown_twice:,} counted and shown twice "
        f"(redeliveries recognised and shown once: {tui['duplicates']:,})"
    )
    print(f"reconnects                {tui['reconnects']}")
    print(
        f"key latency during flood  p95 {p95:.0f} ms over {len(sent)} keys (tmux send-keys → handler; median "
        f"{p50:.0f} ms); idle before the flood p95 {idle_p95:.0f} ms"
    )
    print(
        f"  of which                p95 {terminal_p95:.0f} ms send-keys → read by the TUI's input thread, "
        f"p95 {tui_p95:.0f} ms read → handled"
    )
    print(f"TUI RSS after the flood   {tui['rss_mb']:.0f} MB")
    print(
        f"TUI event-loop lag        p95 {tui['lag_p95_ms']:.0f} ms, max {tui['lag_max_ms']:.0f} ms (10 ms timer); "
        f"worst {[round(x) for x in tui['big_lags_ms']]}"
    )
    print(
        f"TUI full GC passes        {tui['gc2_count']}, longest {[round(x) for x in tui['gc2_ms']]} ms; "
        f"{tui['tracked']:,} objects tracked at the end"
    )
    print(f"TUI young GC passes       {tui['gc_young_count']}, longest {[round(x) for x in tui['gc_young_ms']]} ms")
    shutil.rmtree(work, ignore_errors=True)  # certificates, keys and the run's files
    return 0


def send_keys(control: TmuxControl, session: str, count: int) -> list[float]:
    sent = []
    for _ in range(count):
        sent.append(time.time())
        control.command(f"send-keys -t {session} F12")
        time.sleep(0.25)
    time.sleep(0.5)
    return sent


def handled_keys(work: Path, name: str = "keys.txt") -> list[float]:
    path = work / name
    return [float(x) for x in path.read_text().split()] if path.exists() else []


def percentile(sent: list[float], handled: list[float], q: float) -> float:
    latencies = sorted((h - s) * 1000 for s, h in zip(sent, handled, strict=False))
    return latencies[int(q * (len(latencies) - 1))] if latencies else float("nan")


def percentile95(sent: list[float], handled: list[float]) -> float:
    return percentile(sent, handled, 0.95)


def templates_size(work: Path) -> bytes:
    from sandbox.uplink_sim import UplinkSimulator

    sim = UplinkSimulator("ttes-bench", seed=3)
    return json.dumps(sim.application_up(sim.devices[0], time.time()), separators=(",", ":")).encode()


if __name__ == "__main__":
    sys.exit(main())
