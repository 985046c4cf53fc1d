"""Command palette provider (ctrl+p): the console's own commands first, each with its key.

The one provider of the palette: Textual's own commands (theme, keys panel, screenshot) follow
the console's, so the first lines of the palette are the ones an on-call engineer looks for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider

# (name, key, action, help); the key is the one that does the same from the dashboard.
ACTIONS: tuple[tuple[str, str, str, str], ...] = (
    ("Newest error in the journal", "E", "screen.newest_error", "The journal, on its newest error"),
    ("Show Journal", "1", "screen.show_tab('journal')", "The service journal over SSH"),
    ("Show Uplinks", "2", "screen.show_tab('uplinks')", "The live AWS IoT uplink feed"),
    ("Show Events", "3", "screen.show_tab('events')", "Live CloudFormation stack events"),
    ("Show Metrics", "4", "screen.show_tab('metrics')", "AWS IoT CloudWatch metrics"),
    ("Show Timeline", "5", "screen.show_tab('timeline')", "What changed, and when: every source on one time axis"),
    ("Snapshots", "s", "app.snapshots", "RDS snapshots and ElastiCache backups"),
    ("Change set", "c", "app.change_set", "Plan, review and apply a stack update"),
    ("Host", "h", "app.host", "The instance: facts, /tti, certificates, restart the service"),
    ("Why can't I SSH?", "", "app.doctor", "Ask AWS (read-only) what blocks SSH to the instance"),
    ("Fleet", "F", "app.fleet", "Every profile's stack and health; Enter opens one"),
    ("Refresh stack and checks", "r", "screen.refresh", "Reload the stack and re-run every check"),
    ("Help: every key", "?", "app.help", "Every key, by where it works"),
    ("Quit", "q", "app.quit", "Quit (asks first if a change set would be left behind)"),
)


def _label(name: str, key: str) -> Text:
    text = Text(name)
    text.append(f"  {key}", style="bold")
    return text


class ConsoleCommands(Provider):
    """Offers the console's actions (with their keys), then Textual's own; runs them like their keys do."""

    def _runner(self, action: str) -> Callable[[], object]:
        return partial(self.app.run_action, action)

    def _commands(self) -> Iterator[tuple[Text, str, Callable[[], object], str]]:
        for name, key, action, help_text in ACTIONS:
            yield _label(name, key), name, self._runner(action), help_text
        for command in self.app.get_system_commands(self.screen):
            if command.title != "Quit":
                yield Text(command.title), command.title, command.callback, command.help

    async def discover(self) -> Hits:
        for label, text, run, help_text in self._commands():
            yield DiscoveryHit(label, run, text=text, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for label, text, run, help_text in self._commands():
            score = matcher.match(text)
            if score > 0:
                key = label.plain[len(text) :].strip()
                yield Hit(score, matcher.highlight(text), run, text=text, help=f"{key} · {help_text}" if key else help_text)
