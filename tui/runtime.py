"""Process-wide settings of the interactive console, in one place: the collector and the switch interval.

Only the interactive app applies them (:func:`apply`, at start-up); services and headless
commands leave the interpreter as they find it.

The switch interval: awscrt hands each MQTT message over under the GIL, and at Python's default
interval a busy event loop lets that thread in too rarely (keys wait as long).

The collector: a flood allocates objects faster than anything else the app does. Young passes
are cheap; full passes walk every tracked object the process holds and, with the default
thresholds, come often enough during a flood to stall repaints and keys. So: fewer full passes
(:data:`GC_THRESHOLDS`), and everything that lives as long as the app kept out of them, frozen
once the first frame is drawn and again (:func:`settle`) once the SDKs the first calls load
(botocore's service models) are in memory. bench/uplinks.py and bench/journal.py print the pauses.
"""

from __future__ import annotations

import gc
import sys

# The uplink feed keeps many uplinks alive and replaces them quickly, and every one that leaves counts
# towards the next full pass: ten times fewer full passes; young passes stay as they are.
GC_THRESHOLDS = (700, 10, 100)
SWITCH_INTERVAL = 0.001  # seconds
SETTLE_SECONDS = 8.0  # after start-up: the stack, health checks, journal and uplinks are connected by then


def apply() -> None:
    """Set the collector thresholds and the switch interval; the interactive app calls it when it starts."""
    gc.set_threshold(*GC_THRESHOLDS)
    sys.setswitchinterval(SWITCH_INTERVAL)


def freeze() -> None:
    """Keep every object that exists now out of the full passes (the app's own, built at start)."""
    gc.freeze()


def sweep_young() -> None:
    """A young pass now: call every thousand or so entries of a flood.

    A flood's new objects (a journal row is a tuple) leave the young generation at its next
    pass, untracked. But the collector starts a young pass only when allocations outnumber
    deallocations, and a flood also frees as much as it makes (the oldest rows), so rows pile up
    between passes and each pass then holds the loop in the middle of repaints and keys. Not
    every batch: each young pass counts towards the next full one, which walks everything the
    app keeps.
    """
    gc.collect(0)


def settle() -> None:
    """Collect once, then freeze what is left: later full passes walk only what the app made since."""
    gc.collect()
    gc.freeze()
