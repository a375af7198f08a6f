"""Regular expressions from files other people wrote: rule packs and bank layouts.

A pack or a bank preset may come from a stranger, and Python's ``re`` backtracks: a pattern
such as ``(a+)+$`` takes exponential time on a line of a's. Every pattern that comes from such a
file is compiled by RE2 instead (google-re2, the engine pyarrow's string kernels use), which runs
in time linear in the text and has no lookaround or backreferences. The same pattern then means
the same thing in a pack rule (matched by pyarrow) and in a bank layout (matched here).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import re2

MAX_PATTERN = 2_000
"""Longest pattern accepted: an RE2 program grows with the pattern, and no real rule needs more."""

SafePattern = re2._Regexp
"""A compiled RE2 pattern: ``search``, ``match``, ``fullmatch``, ``pattern``, ``groups``, like ``re``."""


def compile_regex(
    pattern: str, *, multiline: bool = False, lookaround_hint: str = "match the wider text instead"
) -> SafePattern:
    """Compile with RE2, or raise ValueError saying why the pattern is refused (and what to do instead)."""
    if len(pattern) > MAX_PATTERN:
        raise ValueError(f"the pattern is {len(pattern)} characters long; at most {MAX_PATTERN} are allowed")
    options = re2.Options()
    options.log_errors = False  # the message goes into the located problem, not to stderr
    try:
        return re2.compile(f"(?m){pattern}" if multiline else pattern, options)
    except re2.error as problem:
        reason = problem.args[0] if problem.args else problem
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        hint = ""
        if "(?=" in pattern or "(?!" in pattern or "(?<" in pattern:
            hint = f"; RE2 has no lookaround: {lookaround_hint}"
        elif re.search(r"\\[1-9]", pattern):
            hint = "; RE2 has no backreferences"
        raise ValueError(f"not a valid RE2 regular expression: {reason}{hint}") from None


def check_regex(pattern: str) -> str:
    """The pattern itself if RE2 accepts it (a validator for pack fields); else ValueError."""
    compile_regex(pattern, lookaround_hint="match the wider text or combine with 'not'")
    return pattern


def search_mask(values: pd.Series, pattern: SafePattern) -> np.ndarray:
    """Which values contain a match of ``pattern``, vectorised through pyarrow's RE2 (missing: False)."""
    if values.empty:
        return np.zeros(0, dtype=bool)
    array = pa.array(values.astype("string").to_numpy(dtype=object, na_value=None), type=pa.string())
    found = pc.match_substring_regex(array, pattern.pattern)
    return found.fill_null(False).to_numpy(zero_copy_only=False).astype(bool, copy=False)
