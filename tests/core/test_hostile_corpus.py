"""One hostile corpus through every pane, screen and headless command: nothing acts on the terminal.

The corpus holds what a compromised host, device or template could send: ESC sequences (CSI,
OSC with BEL), the one-byte C1 CSI (U+009B), bidi overrides, zero-width and tag characters,
DEL and NUL, line breaks, invalid UTF-8, and Rich/Textual markup (style, link, click action).
It enters where remote text enters (the journal parser, the MQTT payload parser, a health
check's result, the stack model, an AWS error answer validated by botocore's Stubber) and is
read back where it leaves: the segments a widget draws, and the text and JSON a command prints.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import pytest
from rich.segment import Segment
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widget import Widget

from services.core.config import Profile
from services.core.errors import ConsoleError
from services.core.safe_text import safe_json
from services.health.check import CheckResult, Status, report_json
from services.journal.parse import JournalEntry, JournalParser
from services.stack.model import Stack, StackEvent, StackParameter, StackResource, stack_as_json
from services.uplinks.devices import DeviceTracker
from services.uplinks.forms import uplink_as_json
from services.uplinks.model import Uplink
from services.uplinks.parse import parse_message
from tui.cli.apply_cmd import event_line
from tui.cli.check_cmd import plain_line as check_line
from tui.cli.logs_cmd import format_json, format_plain
from tui.cli.stack_cmd import render_stack
from tui.cli.uplinks_cmd import plain_line as uplink_line
from tui.panes.events import event_rows
from tui.panes.stack import summary_data
from tui.panes.uplink_rows import device_row, feed_line
from tui.screens.check_details import CheckDetailsScreen
from tui.screens.journal_entry import JournalEntryScreen
from widgets.device_table import DeviceTable
from widgets.event_table import EventTable
from widgets.health_list import HealthLine, HealthList
from widgets.journal_view import JournalView
from widgets.stack_summary import StackSummary
from widgets.uplink_detail import UplinkDetail
from widgets.uplink_feed import UplinkFeedView

MARKUP = "[bold red]x[/] [link=https://evil.example/]click[/link] [@click=app.quit]q[/]"
HOSTILE = (
    "A\x1b[2J\x1b]0;pwned\x07B \x9b31mC \u202eexe.txt \u200bzw\u2066iso\u2069 \U000e0041tag "
    f"del\x7f nul\x00 cr\rlf\n {MARKUP}"
)
HOSTILE_BYTES = b"bad \xff\xfe utf-8 " + HOSTILE.encode()
# What must show instead: the escapes, visibly, and the markup as the text it is.
VISIBLE = ("\\x1b[2J", "\\x9b31m", "\\u202e", "\\u200b", "\\U000e0041", "\\x7f", "\\x00")


def acting(text: str, *, newlines: bool = False) -> list[str]:
    """Characters a terminal would act on (``\\n`` allowed where the output is several lines)."""
    allowed = "\n\t" if newlines else "\t"
    return [c for c in text if c not in allowed and (unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp"))]


def assert_printed_safe(text: str, *, visible: Iterable[str] = VISIBLE, markup: bool = True) -> None:
    """A command's text output: nothing that acts, the escapes shown, the markup shown as text."""
    assert acting(text, newlines=True) == [], text
    for escape in visible:
        assert escape in text, (escape, text)
    if markup:
        assert "[bold red]x[/]" in text, text


def json_strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (k, *json_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in json_strings(v)]
    return []


def assert_json_safe(line: str) -> None:
    """A JSON line: valid, nothing that acts in it or in any string it decodes to (``jq -r``)."""
    assert acting(line) == [], line
    decoded = json.loads(line)
    strings = json_strings(decoded)
    assert all(acting(s) == [] for s in strings), strings
    assert any("\\x1b[2J" in s for s in strings) and any("[bold red]x[/]" in s for s in strings), strings


def drawn(screen: Screen[Any]) -> list[Segment]:
    """Every segment the screen's widgets draw now."""
    segments: list[Segment] = []
    for widget in screen.walk_children(Widget, with_self=True):
        if widget.display and widget.size.area:
            # Both ways a widget is drawn: line-API views answer render_line, the rest render_lines.
            for strip in widget.render_lines(Region(0, 0, widget.size.width, widget.size.height)):
                segments.extend(strip)
            for y in range(widget.size.height):
                segments.extend(widget.render_line(y))
    return segments


def assert_drawn_safe(screen: Screen[Any], *, expect: Iterable[str]) -> None:
    """No segment carries a character that acts, a link or a click action; the escapes are visible."""
    segments = drawn(screen)
    text = "".join(s.text for s in segments)
    assert acting(text) == [], [c for c in text if acting(c)]
    for segment in segments:
        style = segment.style
        if style is not None:
            assert not style.link, (segment.text, style.link)
            assert "@click" not in json.dumps(style.meta or {}, default=str), segment.text
    for escape in expect:
        assert escape in text, (escape, text[:2000])


# --- the corpus, entering where remote text enters ----------------------------------------------


def journal_entries() -> list[JournalEntry]:
    """Three entries as journald sends them: console format, JSON format, and MESSAGE as bytes."""
    parser = JournalParser()

    def line(seq: int, message: object, **extra: str) -> str:
        return json.dumps(
            {
                "__CURSOR": f"s=abc;i={seq:x}",
                "__SEQNUM": str(seq),
                "__REALTIME_TIMESTAMP": "1764150000123456",
                "PRIORITY": "3",
                "_PID": "2417",
                "MESSAGE": message,
                **extra,
            }
        )

    fields = json.dumps({"namespace": HOSTILE, HOSTILE: HOSTILE, "device_uid": HOSTILE})
    return [
        parser.parse(line(1, f"ERROR\t{HOSTILE}\t{fields}")),
        parser.parse(line(2, json.dumps({"level": "error", "msg": HOSTILE, "namespace": "gs", "x": HOSTILE}))),
        parser.parse(line(3, list(HOSTILE_BYTES), **{"HOSTILE_FIELD": HOSTILE})),
    ]


def hostile_uplink() -> Uplink:
    payload = {
        "end_device_ids": {"device_id": HOSTILE, "application_ids": {"application_id": HOSTILE}},
        "received_at": "2026-11-26T09:00:00Z",
        "uplink_message": {
            "f_port": 1,
            "f_cnt": 42,
            "frm_payload": "AQI=",
            "decoded_payload": {HOSTILE: HOSTILE},
            "rx_metadata": [{"gateway_ids": {"gateway_id": HOSTILE}, "rssi": -97, "snr": 7.2}],
            "settings": {"data_rate": {"lora": {"spreading_factor": 9, "bandwidth": 125000}}, "frequency": "868300000"},
        },
    }
    return parse_message(f"lorawan/ttes-demo/{HOSTILE}/things/{HOSTILE}/up", json.dumps(payload).encode())


def broken_uplink() -> Uplink:
    return parse_message("lorawan/ttes-demo/app/things/dev/up", HOSTILE_BYTES)


def hostile_result() -> CheckResult:
    details = {"banner": HOSTILE, HOSTILE: [{"resolver": HOSTILE, "answer": [HOSTILE]}], "raw": HOSTILE_BYTES}
    return CheckResult("ssh", Status.CRITICAL, HOSTILE, details, figure=HOSTILE)


def hostile_stack() -> Stack:
    return Stack(
        name="ttes-demo",
        stack_id="arn:aws:cloudformation:eu-west-1:123456789012:stack/ttes-demo/1",
        region="eu-west-1",
        status="UPDATE_ROLLBACK_COMPLETE",
        status_reason=HOSTILE,
        outputs={"Domain": HOSTILE, HOSTILE: "198.51.100.7"},
        parameters=(StackParameter("NetworkTitle", HOSTILE, HOSTILE), StackParameter(HOSTILE, HOSTILE)),
        resources=(StackResource("Database", "AWS::RDS::DBInstance", HOSTILE, "UPDATE_FAILED", HOSTILE),),
        created=None,
        last_updated=None,
        description=HOSTILE,
    )


def hostile_event() -> StackEvent:
    when = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    return StackEvent("e1", when, HOSTILE, "AWS::RDS::DBInstance", "UPDATE_FAILED", HOSTILE, HOSTILE)


# --- headless commands --------------------------------------------------------------------------


def test_logs_text_and_json() -> None:
    for entry in journal_entries():
        assert_printed_safe(format_plain(entry))
        assert_json_safe(format_json(entry))


def test_uplinks_text_and_json() -> None:
    tracker = DeviceTracker()
    uplink = hostile_uplink()
    obs = tracker.observe(uplink)
    assert_printed_safe(uplink_line(uplink, obs.gap, obs.seen), visible=("\\x1b[2J", "\\u202e"), markup=False)
    assert_json_safe(safe_json(uplink_as_json(uplink, obs.gap)))
    broken = broken_uplink()  # not JSON: said so, and its bytes never printed raw
    obs = tracker.observe(broken)
    assert acting(uplink_line(broken, obs.gap, obs.seen)) == []
    line = safe_json(uplink_as_json(broken, obs.gap))
    assert acting(line) == [] and all(acting(s) == [] for s in json_strings(json.loads(line)))


def test_check_text_and_json() -> None:
    result = hostile_result()
    assert_printed_safe(check_line(result))
    assert_json_safe(safe_json(report_json([result])))


def test_stack_text_and_json() -> None:
    stack = hostile_stack()
    assert_printed_safe(render_stack(stack))
    assert_json_safe(safe_json(stack_as_json(stack), indent=2).replace("\n", ""))
    assert_printed_safe(event_line(hostile_event()))


def test_aws_error_strings_become_safe_sentences() -> None:
    """An AWS error answer (botocore Stubber, validated against the service model) quoting the corpus."""
    from botocore.stub import Stubber

    from services.core.aws import AwsClients

    clients = AwsClients(Profile(name="t", stack="ttes-demo", region="eu-west-1"))
    client = clients.client("cloudformation")
    with Stubber(client) as stub:
        stub.add_client_error("describe_stacks", "ValidationError", HOSTILE, 400)
        with pytest.raises(ConsoleError) as raised:
            clients.call_sync("cloudformation", "describe_stacks", StackName="ttes-demo")
    sentence = str(raised.value)
    assert acting(sentence) == [], sentence
    assert "\\x1b[2J" in sentence and "\\u202e" in sentence
    # And any sentence built by hand from remote text is made safe where it is raised.
    assert acting(str(ConsoleError(f"Host said {HOSTILE}"))) == []


# --- panes and screens --------------------------------------------------------------------------


class Host(App[None]):
    """One widget (or pushed screen) on a wide screen, so nothing of the corpus is cut away."""

    def __init__(self, widget: Widget | None = None) -> None:
        super().__init__()
        self.widget = widget

    def compose(self) -> ComposeResult:
        if self.widget is not None:
            yield self.widget


EVERYTHING = ("\\u202e", "[bold red]x[/]")


async def show(
    widget: Widget | None,
    fill: Callable[[Host], Any],
    *,
    screen: Screen[Any] | None = None,
    expect: Iterable[str] = EVERYTHING,
    size: tuple[int, int] = (240, 60),
) -> None:
    """Draw ``widget`` (or ``screen``) filled with the corpus; assert what it draws is safe."""
    app = Host(widget)
    async with app.run_test(size=size) as pilot:
        fill(app)
        if screen is not None:
            await app.push_screen(screen)
        await settle(pilot)
        assert_drawn_safe(app.screen, expect=expect)


async def settle(pilot: Pilot[None]) -> None:
    for _ in range(3):
        await pilot.pause(0.1)


async def test_journal_view() -> None:
    view = JournalView()
    await show(view, lambda app: view.add_entries(journal_entries()))


async def test_journal_entry_screen() -> None:
    for entry in journal_entries():
        await show(None, lambda app: None, screen=JournalEntryScreen(entry))


async def test_uplink_feed_and_devices() -> None:
    tracker = DeviceTracker()
    entries = [(u, tracker.observe(u)) for u in (hostile_uplink(), broken_uplink())]
    feed = UplinkFeedView(formatter=feed_line)
    # Columns and the payload summary are cut to their width: the markup lies beyond.
    await show(feed, lambda app: feed.add_lines(entries), expect=("\\u202e", "\\x9b31m"))
    table = DeviceTable()
    now = entries[0][0].timestamp + 1
    await show(table, lambda app: table.show([device_row(s, now) for s in tracker.summaries(now)]), expect=("\\u202e",))


async def test_uplink_detail() -> None:
    for uplink, expect in ((hostile_uplink(), EVERYTHING), (broken_uplink(), ())):
        await show_detail(uplink, expect)


async def show_detail(uplink: Uplink, expect: Iterable[str]) -> None:
    """What the Uplinks pane opens on Enter: the parsed fields, the message, the problems, the raw text."""
    detail = UplinkDetail()
    document = {"parsed": uplink_as_json(uplink, None), "message": uplink.document}
    title = f"{uplink.device_id} · {uplink.topic}"
    await show(detail, lambda app: detail.show(title, document, uplink.problems, uplink.raw), expect=expect)


async def test_health_list_and_check_details_screen() -> None:
    result = hostile_result()
    health = HealthList()
    line = HealthLine(result.name, result.status.value, result.figure, result.summary)
    await show(health, lambda app: health.show([line]))
    await show(None, lambda app: None, screen=CheckDetailsScreen(result))


async def test_stack_summary_and_events() -> None:
    summary = StackSummary()
    await show(summary, lambda app: summary.show(summary_data(hostile_stack())))
    table = EventTable()
    # Wide enough for the reason column, after the others, to hold the whole escaped corpus.
    await show(table, lambda app: table.add_events(event_rows([hostile_event()])), size=(280, 60))


def test_the_corpus_is_hostile() -> None:
    """The corpus would act on a terminal and hold markup: the assertions above can fail."""
    assert len(acting(HOSTILE)) >= 9
    assert re.search(r"\[link=", HOSTILE) and "\x9b" in HOSTILE and "\u202e" in HOSTILE
