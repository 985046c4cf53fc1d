"""``uplinks --gateways``: the per-gateway summary printed when the feed stops (no per-uplink lines)."""

from __future__ import annotations

import io
import sys
import time

from services.core.safe_text import safe_json, safe_text
from services.uplinks.gateways import GatewaySummary, GatewayTracker, Spread


class Discard(io.TextIOBase):
    """Where the per-uplink lines go while only the summary is wanted."""

    def write(self, s: str) -> int:
        return len(s)


def _spread(s: Spread | None, unit: str) -> str:
    return "—" if s is None else f"{s.median:.0f}±{s.spread / 2:.0f} {unit}"


def plain_lines(summary: GatewaySummary) -> list[str]:
    """One line per gateway, then for a silent one its moved and silent devices."""
    state = f"SILENT {summary.quiet_for:.0f} s" if summary.silent else f"heard {summary.quiet_for:.0f} s ago"
    channels = " ".join(f"{mhz:.1f}" for mhz, _ in sorted(summary.channels))
    where = "" if summary.location is None else f"  at {summary.location[0]:.4f},{summary.location[1]:.4f}"
    lines = [
        f"{summary.gateway_id:<22} {summary.eui:<16}  {state:<16} {summary.per_minute:6.0f}/min  "
        f"{summary.devices:3} devices  RSSI {_spread(summary.rssi, 'dBm')}  SNR {_spread(summary.snr, 'dB')}  "
        f"MHz {channels}{where}"
    ]
    if summary.silent:
        lines.append(f"  moved to other gateways ({len(summary.moved)}): " + ", ".join(d for _, d in summary.moved))
        lines.append(f"  silent with it ({len(summary.gone_silent)}): " + ", ".join(d for _, d in summary.gone_silent))
    return [safe_text(line) for line in lines]


def print_gateways(tracker: GatewayTracker, as_json: bool) -> None:
    """NDJSON, one gateway per line (--json), or plain lines; remote ids through the safe-text rule."""
    now = time.time()
    summaries = tracker.summaries(now)
    out = sys.stdout
    if as_json:
        for s in summaries:
            doc = s.as_json()
            for key in ("gateway_id", "eui"):
                doc[key] = safe_text(str(doc[key]))
            for key in ("moved_devices", "silent_devices"):
                doc[key] = [safe_text(str(d)) for d in doc[key]]  # type: ignore[attr-defined]
            out.write(safe_json(doc) + "\n")
    else:
        if not summaries:
            out.write("No gateway heard (no uplink carried rx_metadata).\n")
        for s in summaries:
            out.write("\n".join(plain_lines(s)) + "\n")
    out.flush()
