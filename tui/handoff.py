"""What one screen hands to another, typed: the snapshot screen's snapshots for the next change set."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from textual.message import Message


@dataclass(frozen=True)
class SnapshotHandoff:
    """Template parameters the next change set starts with, e.g. ``RDSSnapshotArn`` → the snapshot's ARN."""

    parameters: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        object.__setattr__(self, "parameters", MappingProxyType(dict(self.parameters)))

    def merged(self, newer: SnapshotHandoff) -> SnapshotHandoff:
        """This hand-off with ``newer``'s parameters on top (a newer snapshot replaces an older one)."""
        return SnapshotHandoff({**self.parameters, **newer.parameters})


class SnapshotsHandedOff(Message):
    """Posted by the snapshot screen (``u``); the app keeps it for the next change-set screen."""

    def __init__(self, handoff: SnapshotHandoff) -> None:
        super().__init__()
        self.handoff = handoff
