"""Command palette provider (ctrl+p): the console's actions by name."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

ACTIONS: tuple[tuple[str, str, str], ...] = (
    ("Refresh stack and checks", "screen.refresh", "Reload the stack and re-run every check"),
    ("Show Journal", "screen.show_tab('journal')", "The service journal over SSH"),
    ("Show Uplinks", "screen.show_tab('uplinks')", "The live AWS IoT uplink feed"),
    ("Show Events", "screen.show_tab('events')", "Live CloudFormation stack events"),
    ("Show Metrics", "screen.show_tab('metrics')", "AWS IoT CloudWatch metrics"),
    ("Show Timeline", "screen.show_tab('timeline')", "What changed, and when: every source on one time axis"),
    ("Snapshots", "app.snapshots", "RDS snapshots and ElastiCache backups"),
    ("Change set", "app.change_set", "Plan, review and apply a stack update"),
    ("Host", "app.host", "The instance: facts, /tti, certificates, restart the service"),
    ("Why can't I SSH?", "app.doctor", "Ask AWS (read-only) what blocks SSH to the instance"),
    ("Fleet", "app.fleet", "Every profile's stack and health; Enter opens one"),
    ("Help", "app.help", "Every key"),
)


class ConsoleCommands(Provider):
    """Offers the dashboard's actions; runs them like their keys do."""

    def _runner(self, action: str) -> Callable[[], object]:
        return partial(self.app.run_action, action)

    async def discover(self) -> Hits:
        for name, action, help_text in ACTIONS:
            yield DiscoveryHit(name, self._runner(action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, action, help_text in ACTIONS:
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), self._runner(action), help=help_text)
