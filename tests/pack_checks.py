"""What every built-in scorer pack promises (issue 7), checked the same way for each.

* it loads with no issue at all, errors or warnings (``auditor rules lint`` reports nothing);
* it has at least ten rules, and every case of every rule passes;
* every rule carries a case that fires and one that does not (not fired, or abstained);
* every rule names its sources (references the pack declares, each with a title and a
  publisher) and its basis; a ``practice`` basis says what the actor does in a note;
* every rule reading a GDPR special category (Art. 9/10) or a signal US law protects
  (public-assistance income, housing vouchers) carries a legal note.

Used by tests/test_pack_cashflow.py, test_pack_insurer.py and test_pack_landlord.py.
"""

from __future__ import annotations

from pathlib import Path

from auditor.packs.loader import LoadedPack, load_pack, load_signals
from auditor.packs.testing import run_cases

REPO = Path(__file__).resolve().parent.parent
# Signals whose use US law restricts although they are no GDPR special category.
PROTECTED = {"benefit-income", "housing-voucher"}


def loaded(name: str) -> LoadedPack:
    return load_pack(REPO / "rules" / f"{name}.yaml")


def problems(name: str) -> list[str]:
    """Everything the pack fails of the promises above, in words."""
    pack = loaded(name)
    out = [f"issue: {issue}" for issue in pack.issues]
    if pack.pack is None or pack.compiled is None:
        return out or ["the pack did not load"]
    rules = pack.pack.rules
    if len(rules) < 10:
        out.append(f"{len(rules)} rules; the issue asks for at least 10")
    out += [f"case failed: {r.rule} / {r.case}: {r.problem}" for r in run_cases(pack) if not r.passed]
    vocabulary = load_signals().signals
    for rule in rules:
        outcomes = {case.expect for case in rule.cases}
        if "fired" not in outcomes or not outcomes & {"not_fired", "abstained"}:
            out.append(f"{rule.id}: needs a case that fires and one that does not (has {sorted(outcomes)})")
        if not rule.references:
            out.append(f"{rule.id}: names no reference")
        for key in rule.references:
            ref = pack.pack.references.get(key)
            if ref is None or not ref.title or not ref.source:
                out.append(f"{rule.id}: reference '{key}' lacks a title or source")
        if rule.basis.practice is not None and not rule.basis.note:
            out.append(f"{rule.id}: a practice basis must say what the actor does (note)")
        restricted = {s for s in rule.signals if getattr(vocabulary.get(s), "special_category", None)} | (
            PROTECTED & set(rule.signals))
        if restricted and not rule.legal:
            out.append(f"{rule.id}: reads {sorted(restricted)} but has no legal note")
    return out
