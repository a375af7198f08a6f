"""Pausing Python's cyclic garbage collector while an importer decodes millions of objects.

A module of its own, importing nothing heavy, so that a decoding worker process
(``google_records_reader``) can use it without loading pandas.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of small objects are decoded.

    Fresh containers trigger the cyclic GC again and again for nothing (about 30% of a
    bulk load, performance.md §2); decoded JSON records cannot form cycles.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
