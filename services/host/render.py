"""Plain-text forms of the host documents, shared by ``ttes-console host`` and the Host screen.

Every string in the documents is safe text already; these functions only lay it out.
"""

from __future__ import annotations

from datetime import datetime

from services.core.safe_text import safe_text
from services.host.doctor import DoctorReport
from services.host.facts import Finding, HostFacts
from services.host.files import TreeEntry
from services.host.overview import HostOverview

GIB = 1024**3


def size_text(size: int) -> str:
    """1536 → ``1.5K``, like ``ls -h``."""
    value = float(size)
    for unit in ("", "K", "M", "G", "T"):
        if value < 1024 or unit == "T":
            return f"{value:.0f}{unit}" if unit == "" or value >= 10 else f"{value:.1f}{unit}"
        value /= 1024
    return str(size)


def duration_text(seconds: float) -> str:
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    return f"{days} d {hours} h" if days else f"{hours} h {rest // 60} min"


def finding_line(finding: Finding) -> str:
    return f"{finding.status.nagios:<8} {finding.sentence}"


def facts_lines(facts: HostFacts) -> list[str]:
    """The facts, one topic a line."""
    lines = [f"{facts.os_name or 'OS unknown'}, kernel {facts.kernel or '?'}"]
    parts = []
    if facts.uptime_seconds is not None:
        parts.append(f"up {duration_text(facts.uptime_seconds)}")
    if facts.load:
        parts.append("load " + " ".join(f"{x:.2f}" for x in facts.load))
    if facts.memory_total:
        avail = f" ({facts.memory_available / GIB:.1f} GiB available)" if facts.memory_available is not None else ""
        parts.append(f"memory {facts.memory_total / GIB:.1f} GiB{avail}")
    if parts:
        lines.append(", ".join(parts))
    if facts.disks:
        lines.append("disk " + ", ".join(f"{d.mount} {d.percent} % of {size_text(d.size)}" for d in facts.disks))
    v = facts.version
    if v:
        extra = ", ".join(f"{k.replace('_', ' ')} {v[k]}" for k in ("build_date", "git_commit") if k in v)
        lines.append(
            f"{v.get('product', 'The Things Stack')} {v.get('version', '?')}" + (f" ({extra})" if extra else "")
        )
    if facts.clock_synchronized is not None:
        sync = "synchronised" if facts.clock_synchronized else "NOT synchronised"
        lines.append(f"clock {sync} (NTP {'on' if facts.ntp_enabled else 'off'})")
    if facts.listening:
        tcp = [p.split("/")[1] for p in facts.listening if p.startswith("tcp/")]
        udp = [p.split("/")[1] for p in facts.listening if p.startswith("udp/")]
        missing = facts.missing_listeners()
        note = "all expected" if not missing else "missing " + ", ".join(missing)
        lines.append(f"listening tcp {' '.join(tcp)}; udp {' '.join(udp)} ({note})")
    if facts.unit is not None:
        invocation = f", invocation {facts.invocation_id}" if facts.invocation_id else ""
        lines.append(f"{facts.unit.unit}: {facts.unit.summary()}{invocation}")
    return lines


def tree_line(entry: TreeEntry) -> str:
    mark = {"dir": "d", "link": "l", "file": "-"}.get(entry.kind, "?")
    when = f"{entry.modified:%Y-%m-%d %H:%M}" if entry.modified else "?"
    name = entry.path
    if entry.kind == "link":
        name += f" -> {entry.link_target}" + ("  (outside /tti)" if entry.leaves_tti else "")
    return f"{mark} {size_text(entry.size):>6}  {when}  {name}"


def overview_lines(overview: HostOverview, now: datetime) -> list[str]:
    """``ttes-console host``'s text."""
    lines = [f"{overview.host}  {overview.status.nagios}"]
    lines += [f"  {line}" for line in facts_lines(overview.facts)]
    lines.append("\nFindings")
    lines += [f"  {finding_line(f)}" for f in overview.findings]
    lines.append("\nCertificates")
    comparison = overview.certificates
    for acme in comparison.on_disk:
        c = acme.cert
        lines.append(f"  on disk  {acme.path}: {_names(c.sans, c.subject)}, until {c.not_after:%Y-%m-%d} "
                     f"({c.days_left(now)} d), sha256 {c.sha256[:23]}…")  # fmt: skip
    if comparison.served is not None:
        c = comparison.served
        lines.append(f"  served   {_names(c.sans, c.subject)}, until {c.not_after:%Y-%m-%d} "
                     f"({c.days_left(now)} d), sha256 {c.sha256[:23]}…")  # fmt: skip
    lines.append(f"  {comparison.status.nagios:<8} {comparison.summary}")
    lines.append("\n/tti")
    lines += [f"  {tree_line(e)}" for e in overview.tree]
    return lines


def _names(sans: tuple[str, ...], subject: str) -> str:
    return safe_text(", ".join(sans) or subject)


def doctor_lines(report: DoctorReport) -> list[str]:
    """``ttes-console host doctor``'s text."""
    head = {"clear": "nothing AWS shows blocks SSH", "blocked": "SSH is blocked", "unknown": "cannot tell"}
    lines = [f"Why can't I SSH? {head[report.verdict]}" + (f" ({report.instance_id})" if report.instance_id else "")]
    for finding in report.findings:
        lines.append(f"  {finding_line(finding)}")
        lines += [f"      | {line}" for line in finding.lines]
    return lines
