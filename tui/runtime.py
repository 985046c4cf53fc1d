"""The app's policy for Python's garbage collector, so log and uplink floods do not stall the keys.

A flood allocates hundreds of thousands of objects a second. The collector's young passes are
cheap; its full passes walk every tracked object the process holds, and with the defaults they
come every ~2 s of a flood and hold the event loop for 100–400 ms. So: fewer full passes
(:data:`GC_THRESHOLDS`), and everything that lives as long as the app kept out of them —
frozen once the first frame is drawn, and again (:func:`settle`) once the SDKs the first calls
load (botocore's service models alone are hundreds of thousands of objects) are in memory.
"""

from __future__ import annotations

import gc

# The uplink feed keeps 20,000 uplinks alive and replaces them thousands of times a second, and every one that
# leaves counts towards the next full pass: at the default (700, 10, 10) that is a 150–400 ms pause every ~2 s
# of a flood (bench/uplinks.py). Ten times fewer full passes; young passes stay as they are.
GC_THRESHOLDS = (700, 10, 100)
SETTLE_SECONDS = 8.0  # after start-up: the stack, health checks, journal and uplinks are connected by then


def tune() -> None:
    """Set the thresholds; call when the app starts."""
    gc.set_threshold(*GC_THRESHOLDS)


def freeze() -> None:
    """Keep every object that exists now out of the full passes (the app's own, built at start)."""
    gc.freeze()


def sweep_young() -> None:
    """A young pass now: call every thousand or so entries of a flood.

    A flood's new objects (a journal row is a tuple) leave the young generation at its next
    pass, untracked. But the collector starts a young pass when allocations outnumber
    deallocations by 700, and a flood also frees as much as it makes (the oldest rows), so
    10,000-40,000 rows piled up between passes and each pass held the loop for 5-12 ms, in the
    middle of repaints and keys. A pass every ~1,000 rows takes well under 1 ms. Not every batch:
    each young pass counts towards the next full one, which walks everything the app keeps.
    """
    gc.collect(0)


def settle() -> None:
    """Collect once, then freeze what is left: later full passes walk only what the app made since
    (a few ms during a journal flood instead of 50–150 ms every few seconds)."""
    gc.collect()
    gc.freeze()
