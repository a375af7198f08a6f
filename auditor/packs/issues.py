"""Problems found in a pack, as values: where, what was found, what was expected, a hint.

Loading and linting never raise on a bad pack; they return :class:`Issue` values that
the CLI prints like a compiler (``file:line:column: error[check]: message``) and the
app shows in a panel. Every issue names the check that produced it, so that lint output
can be filtered and a check can be looked up in rules/README.md.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Issue:
    """One problem in a pack file, with its location (1-based line and column)."""

    file: str
    line: int
    column: int
    check: str
    message: str
    severity: str = "error"  # error | warning
    hint: str = ""

    def render(self) -> str:
        """``file:line:col: error[check]: message`` plus the hint on its own line."""
        text = f"{self.file}:{self.line}:{self.column}: {self.severity}[{self.check}]: {self.message}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "check": self.check,
            "severity": self.severity,
            "message": self.message,
            "hint": self.hint,
        }


class PackError(Exception):
    """Raised only at the edge (``load_pack_or_raise``) when a pack has errors."""

    def __init__(self, issues: list[Issue]):
        super().__init__("\n".join(issue.render() for issue in issues))
        self.issues = issues


def did_you_mean(found: object, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest choice, or an empty string."""
    if not isinstance(found, str):
        return ""
    options = sorted({str(c) for c in choices})
    lowered = {c.lower(): c for c in options}
    if found.lower() in lowered and lowered[found.lower()] != found:
        return f" (did you mean '{lowered[found.lower()]}'?)"
    close = difflib.get_close_matches(found, options, n=1, cutoff=0.6)
    if not close:
        close = difflib.get_close_matches(found.lower(), list(lowered), n=1, cutoff=0.6)
        close = [lowered[c] for c in close]
    return f" (did you mean '{close[0]}'?)" if close else ""


def one_of(choices: Iterable[str], limit: int = 12) -> str:
    """A readable list of the allowed values: ``'a', 'b' or 'c'``."""
    options = sorted({str(c) for c in choices})
    shown = [f"'{c}'" for c in options[:limit]]
    if len(options) > limit:
        shown.append(f"... ({len(options) - limit} more)")
    if len(shown) == 1:
        return shown[0]
    return ", ".join(shown[:-1]) + " or " + shown[-1]


def describe(value: object) -> str:
    """What a YAML value looks like, for 'found ...' in messages."""
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the text '{shown}'"
    if isinstance(value, list):
        return f"a list of {len(value)} item{'s' if len(value) != 1 else ''}"
    if isinstance(value, dict):
        keys = ", ".join(str(k) for k in list(value)[:4])
        return f"a mapping with keys {keys}" if value else "an empty mapping"
    return type(value).__name__
