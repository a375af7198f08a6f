"""auditor's terminal app (Textual). The only package that imports Textual.

``auditor`` in a terminal opens :class:`~auditor.tui.app.AuditorApp` on the sample
persona or on the exports named; every screen renders what
:func:`auditor.pipeline.run_audit` returned and holds no audit logic of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def run_app(paths: Sequence[Path] = (), packs: Sequence[str] | None = None, timezone: str | None = None) -> int:
    """Open the app in this terminal on ``paths`` (the sample persona when empty)."""
    from auditor.tui.app import run_app as run

    return run(paths, packs, timezone)
