"""Keeping Python's garbage collector off the long-lived heap while the app is on screen.

Once an audit is shown, the process holds some 200,000 objects that live as long as the
app: the modules of pandas and Textual, the result, every pane's widgets and their
rendered lines. CPython's full (generation 2) collection walks all of them, 110-150 ms
on this machine, and each screen switch allocates enough new lines (Textual keeps seven
small caches per line) to set one off every two or three switches: measured, that was
most of a 190 ms switch to Findings. :func:`gc.freeze` moves the objects alive at that
moment out of the collector's sight (an O(1) list splice), so later collections walk
only what is new. Objects that are frozen are still freed by reference counting; only
reference cycles among them wait until the next :func:`settle` (once another result is
shown) or :func:`release` (when the app closes).
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Collect what is garbage now, then freeze the rest (once per audit shown, ~0.1 s)."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def keep() -> None:
    """Freeze what is alive now without collecting: after a pane's first drawing (O(1))."""
    gc.freeze()


def release() -> None:
    """Hand the frozen objects back to the collector (the app is closing)."""
    gc.unfreeze()
