"""Writing a report file safely: all or nothing, readable only by its owner.

A report holds personal data, so the file is created with permissions 0600, and written to a
temporary file in the same folder that replaces the target in one step (``os.replace``):
an interrupted run never leaves half a report, and a reader never sees one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

PRIVATE = 0o600


def write_atomic(path: Path, content: str | bytes) -> Path:
    """Write ``content`` to ``path`` atomically with mode 0600; returns the path."""
    path = Path(path)
    data = content.encode("utf-8") if isinstance(content, str) else content
    folder = path.parent if str(path.parent) else Path(".")
    # mkstemp creates the file with mode 0600 already; the chmod below makes it explicit
    # (and survives a permissive umask on platforms where mkstemp differs).
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            os.fchmod(out.fileno(), PRIVATE)
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        # the temporary file is ours and incomplete: never leave it behind
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
