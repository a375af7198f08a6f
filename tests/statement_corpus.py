"""Real statement text for checking the text patterns of the built-in packs.

A merchant pattern is only as good as the statements it meets: one that matches nothing
real is dead weight, one that matches the wrong thing ("EARNIN" inside "LEARNING",
"ALBERT" of Albert Heijn) accuses the wrong person. The corpus is every bank row the repo
can read: the three personas, tests/data (bank CSV presets, OFX), and, where present, the
real bank exports in ../shared/fixtures. ``matches`` runs one rule's condition (without its
window) over the corpus through the engine, and returns the distinct descriptions it picked,
digits folded to ``#`` so that store numbers and dates do not multiply them.

Used by tests/test_pack_cashflow.py, test_pack_insurer.py and test_pack_landlord.py.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pandas as pd
import yaml

from auditor import model
from auditor.dataset import load_dataset
from auditor.engine.compile import evaluate_pack
from auditor.engine.context import AuditData
from auditor.packs.loader import LoadedPack, load_pack

REPO = Path(__file__).resolve().parent.parent
RULES = REPO / "rules"
OWN_SOURCES = (REPO / "sample_exports", REPO / "tests" / "data" / "bank-csv-presets", REPO / "tests" / "data" / "bank-csv",
               REPO / "tests" / "data" / "ofx")  # fmt: skip
SHARED_SOURCES = ("bank_csv", "ofx")
STATEMENT_SUFFIXES = {".csv", ".ofx", ".qfx"}
PERSONAS = ("night-shift-nurse", "gig-driver", "comfortable-commuter")


def fold(description: str) -> str:
    """A description with digits as '#' and runs of spaces as one: one line per merchant."""
    return re.sub(r"\s+", " ", re.sub(r"\d", "#", description)).strip()


def _load(roots: list[Path]) -> list[pd.DataFrame]:
    frames = []
    for root in roots:
        for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in STATEMENT_SUFFIXES):
            frame = load_dataset([path]).frames.get("transactions")
            if frame is not None and len(frame):
                frames.append(frame)
    return frames


@cache
def _own() -> tuple[pd.DataFrame, ...]:
    return tuple(_load(list(OWN_SOURCES)))


@cache
def corpus(shared: Path | None = None) -> pd.DataFrame:
    """Every transaction row of every statement file (each loaded alone), with the shared ones when given."""
    frames = list(_own()) + (_load([shared / s for s in SHARED_SOURCES]) if shared else [])
    rows = pd.concat([f.astype({c: "object" for c in f.columns if isinstance(f[c].dtype, pd.CategoricalDtype)})
                      for f in frames], ignore_index=True)  # fmt: skip
    return model.conform("transactions", rows)


def _rule(pack: str, rule_id: str) -> dict:
    data = yaml.safe_load((RULES / f"{pack}.yaml").read_text(encoding="utf-8"))
    return next(r for r in data["rules"] if r["id"] == rule_id)


@cache
def probe(pack: str, rule_id: str, tmp: Path) -> LoadedPack:
    """A one-rule pack holding the rule's condition (its lists included), counting the rows it picks."""
    data = yaml.safe_load((RULES / f"{pack}.yaml").read_text(encoding="utf-8"))
    rule = _rule(pack, rule_id)
    spec = {
        "id": "probe",
        "title": "probe",
        "version": "1",
        "scorer": "a test",
        "include": data.get("include", []),  # resolved against rules/ when not beside the probe
        "lists": data.get("lists", {}),
        "rules": [{"id": rule_id, "title": "probe", "kind": rule["kind"], "where": rule["where"],
                   "threshold": 1, "infers": "{value}", "basis": "design", "signals": ["spending-level"]}],
    }  # fmt: skip
    path = tmp / f"probe-{pack}-{rule_id}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    loaded = load_pack(path)
    assert loaded.ok, [str(i) for i in loaded.issues]
    return loaded


_AUDITS: dict[int, tuple[pd.DataFrame, AuditData]] = {}


def _audit_of(rows: pd.DataFrame, kind: str = "transactions") -> AuditData:
    """One AuditData per frame: building one fills every kind, which costs more than a rule."""
    if id(rows) not in _AUDITS:
        _AUDITS[id(rows)] = (rows, AuditData({kind: rows}, now=pd.Timestamp("2030-01-01", tz="UTC")))
    return _AUDITS[id(rows)][1]


def matches(pack: str, rule_id: str, rows: pd.DataFrame, tmp: Path, column: str = "description") -> set[str]:
    """Folded texts (``column``) of the rows the rule's condition picks, ignoring its window and measure."""
    loaded = probe(pack, rule_id, tmp)
    kind = loaded.compiled.rules[0].table
    finding = evaluate_pack(loaded.compiled, _audit_of(rows, kind).view())[0]
    return {fold(str(d)) for d in rows[column].iloc[finding.evidence]}


@cache
def visit_names() -> pd.DataFrame:
    """Every visit of the personas that has a place name (the on-device exports name none)."""
    frames = [load_dataset([REPO / "sample_exports" / p]).frames["visits"] for p in PERSONAS]
    rows = pd.concat([f.astype({c: "object" for c in f.columns if isinstance(f[c].dtype, pd.CategoricalDtype)})
                      for f in frames], ignore_index=True)  # fmt: skip
    return model.conform("visits", rows[rows["name"].notna()].reset_index(drop=True))


def described(descriptions: list[str], amount: float = -10.0) -> pd.DataFrame:
    """Transactions with these descriptions (date-only, all the same amount), for examples."""
    return model.conform("transactions", {
        "time": pd.to_datetime(["2024-06-01"] * len(descriptions), utc=True),
        "has_time": [False] * len(descriptions),
        "amount": [amount] * len(descriptions),
        "description": descriptions,
        "file": ["examples.csv"] * len(descriptions),
        "record": list(range(2, len(descriptions) + 2)),
        "source": ["bank:examples"] * len(descriptions),
    })  # fmt: skip


def check_pattern(pack: str, rule_id: str, spec: dict, tmp: Path, shared: Path | None) -> None:
    """The rule's condition picks exactly the real lines it should, and its examples.

    ``spec`` holds ``own`` (folded lines it must pick from the personas and tests/data, and
    nothing else there), ``shared`` (the same for the real bank fixtures, checked when they
    are present), ``examples`` (real descriptor formats that no file here carries, each of
    which it must pick) and ``not`` (look-alikes it must leave alone). Examples and
    look-alikes are money out unless ``amount`` says otherwise.
    """
    picked = matches(pack, rule_id, corpus(None), tmp)
    assert picked == set(spec.get("own", ())), (
        f"{pack}/{rule_id} over the personas and tests/data: picks {sorted(picked - set(spec.get('own', ())))} "
        f"it should not, misses {sorted(set(spec.get('own', ())) - picked)}"
    )
    if shared is not None:
        extra = matches(pack, rule_id, corpus(shared), tmp) - picked
        assert extra == set(spec.get("shared", ())), f"{pack}/{rule_id} over ../shared/fixtures picks {sorted(extra)}"
    amount = spec.get("amount", -10.0)
    if spec.get("examples"):
        got = matches(pack, rule_id, described(spec["examples"], amount), tmp)
        assert got == {fold(e) for e in spec["examples"]}, f"misses examples {sorted({fold(e) for e in spec['examples']} - got)}"
    if spec.get("not"):
        got = matches(pack, rule_id, described(spec["not"], amount), tmp)
        assert not got, f"{pack}/{rule_id} picks look-alikes {sorted(got)}"


# Pay lines the payroll pattern (cash-flow steady-pay and income-volatility, landlord
# steady-employer and short-tenure) picks in the personas and tests/data: English, German
# (Lohn, Gehalt), Dutch (salaris) and US ACH wording; nothing else.
PAYROLL_LINES = [
    "ACME ANALYTICS BV Naam: ACME ANALYTICS BV Omschrijving: SALARIS MAART #### IBAN: NL##ABNA##########",
    "ACME ANALYTICS LTD , SALARY", "ACME ANALYTICS LTD , SALARY , FP ##/##/## #### , ##################",
    "ACME ANALYTICS LTD SALARY", "ACME ANALYTICS LTD SALARY BGC", "ACME ANALYTICS LTD SALARY CR",
    "ACME CORP DES:PAYROLL ID:XXXXX##### INDN:DOE,JANE CO ID:XXXXX##### PPD", "ACME CORP PAYROLL",
    "ACME CORP PAYROLL ###### ########## DOE JANE", "ACME CORP PAYROLL PPD ID: ##########",
    "Acme Analytics GmbH LOHN / GEHALT ##/##", "Acme Analytics GmbH LOHN/GEHALT ##/####",
    "Acme Analytics GmbH Max Mustermann LOHN/GEHALT ##/####", "Acme Analytics Ltd SALARY MARCH",
    "Deposit from ACME CORP PAYROLL", "GEHALT FEBRUAR ####", "KEYSTONE GRID SER PAYROLL PPD", "Lohn Januar",
    "ORIG CO NAME:ACME CORP ORIG ID:########## DESC DATE:###### CO ENTRY DESCR:PAYROLL SEC:PPD TRACE#:############### "
    "EED:###### IND ID:######### IND NAME:JANE DOE TRN: ##########TC",
    "Payroll ACME CORP", "WHITECHAPEL HOSPITALS NHS SALARY",
]
PAYROLL_EXAMPLES = {"examples": ["ACME LTD SALARY", "DIRECT DEP ACME INC"], "not": ["SALARYCOM SUBSCRIPTION"], "amount": 2000.0}
