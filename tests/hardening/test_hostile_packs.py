"""Packs from strangers (DESIGN.md invariant 4: packs cannot execute code or hang the program).

YAML built to explode (alias bombs, deep nesting, huge files, enormous lists), tags that
would build objects, regular expressions built for catastrophic backtracking, placeholders
that try to reach Python attributes, includes that wander off, too many rules, and measures
whose grouping explodes over a million rows: each is refused at load with a located message
or runs bounded. None raises.
"""

from __future__ import annotations

import re
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from auditor import model
from auditor.dataset import Dataset
from auditor.packs import yamlsafe
from auditor.packs.loader import MAX_RULES, load_pack
from auditor.pipeline import run_audit

HEADER = "id: hostile\ntitle: A stranger's pack\nversion: '1'\nscorer: nobody\n"


def rule(index: int = 1, kind: str = "transactions", where: str = "{amount: {less: 0}}", extra: str = "",
         infers: str = "x {value}") -> str:  # fmt: skip
    return (f"  - {{id: r{index}, title: r, kind: {kind}, where: {where}, measure: count,"
            f" threshold: {{at_least: 1}}, infers: '{infers}', basis: design, signals: [gambling]{extra}}}\n")  # fmt: skip


def pack(*rules: str, before: str = "") -> str:
    return HEADER + before + "rules:\n" + "".join(rules or (rule(),))


def errors(text: str | bytes, path: Path = Path("stranger.yaml")) -> list[tuple[str, str]]:
    loaded = load_pack(path, text=text)
    assert not loaded.ok and loaded.compiled is None
    return [(issue.check, issue.message) for issue in loaded.errors]


# --- YAML built to explode ----------------------------------------------------------------------


def _laughs(width: int, depth: int) -> str:
    names = [f"l{i}" for i in range(depth + 1)]
    text = f"{names[0]}: &{names[0]} [" + ", ".join(['"lol"'] * width) + "]\n"
    for parent, child in zip(names, names[1:]):
        text += f"{child}: &{child} [" + ", ".join([f"*{parent}"] * width) + "]\n"
    return text


def test_billion_laughs_within_the_alias_count_stops_at_the_value_limit() -> None:
    # 9 aliases per level, 9 levels: 81 aliases (under the 100 allowed) naming 9^9 = 387M values.
    found = errors(_laughs(9, 9) + pack())
    assert found == [("yaml-limits", f"the pack expands to more than {yamlsafe.MAX_VALUES:,} values (aliases?)")]


def test_more_aliases_than_allowed_are_refused_from_the_event_stream() -> None:
    text = "a: &a x\nb: [" + ", ".join(["*a"] * (yamlsafe.MAX_ALIASES + 1)) + "]\n"
    assert errors(text) == [("yaml-limits", f"more than {yamlsafe.MAX_ALIASES} aliases (*name); a pack needs far fewer")]


@pytest.mark.parametrize(
    "text",
    [
        "a: " + "[" * 100_000 + "]" * 100_000,
        "a: " + "{a: " * 50_000 + "1" + "}" * 50_000,
        "".join(" " * i + f"k{i}:\n" for i in range(900)) + " " * 900 + "x: 1\n",
        "".join(" " * i + "-\n" for i in range(900)),
    ],
    ids=["flow-lists-100k", "flow-maps-50k", "block-maps-900", "block-lists-900"],
)
def test_deep_nesting_is_refused_without_recursion(text: str) -> None:
    found = errors(text)
    assert len(found) == 1 and found[0][0] == "yaml-limits" and "nested more than 40 levels" in found[0][1]


def test_a_huge_pack_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_bytes(pack().encode() + b"# " + b"x" * (yamlsafe.MAX_BYTES + 1) + b"\n")
    found = [(i.check, i.message) for i in load_pack(path).errors]
    assert found == [("yaml-limits", f"the file is {path.stat().st_size:,} bytes; a pack may be at most {yamlsafe.MAX_BYTES:,}")]


@pytest.mark.parametrize("entries", [20_000, pytest.param(150_000, marks=pytest.mark.slow)])
def test_an_enormous_list_within_the_limits_loads_and_runs(entries: int) -> None:
    """Many list entries (150,000 fit under 1 MB): loaded, then matched in one vectorised pass."""
    names = ", ".join(f"m{i}" for i in range(entries))
    text = pack(rule(where="{description: {in_list: big}}"), before=f"lists:\n  big: [{names}, TESCO]\n")
    assert len(text) < yamlsafe.MAX_BYTES
    loaded = load_pack(Path("big.yaml"), text=text)
    assert loaded.ok, [i.render() for i in loaded.errors]
    transactions = _transactions(["TESCO", f"m{entries - 1}", "ALDI"])
    finding = _run([loaded], {"transactions": transactions}).packs[0].findings[0]
    assert finding.value == 2


@pytest.mark.parametrize("limit", [5_000, pytest.param(yamlsafe.MAX_VALUES, marks=pytest.mark.slow)])
def test_a_list_past_the_value_limit_is_refused(limit: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # At the real limit the list is about 400 kB, under the size limit (about 5 s to refuse).
    monkeypatch.setattr(yamlsafe, "MAX_VALUES", limit)
    names = "a," * (limit + 10)
    found = errors(pack(before=f"lists:\n  big: [{names}b]\n"))
    assert found == [("yaml-limits", f"the pack expands to more than {limit:,} values (aliases?)")]


@pytest.mark.parametrize(
    "value",
    ["!!python/object/apply:os.system ['touch /tmp/pwned']", "!!python/name:os.system", "!!binary aGVsbG8=",
     "!!set {a, b}", "!!timestamp 2024-01-01", "!custom x"],
)  # fmt: skip
def test_tags_that_build_objects_are_refused(value: str, tmp_path: Path) -> None:
    found = errors(HEADER.replace("scorer: nobody", f"scorer: {value}") + "rules: []\n")
    assert found[0][0] == "yaml-tag" and "only plain data is" in found[0][1]


def test_merge_keys_and_non_text_keys_are_refused() -> None:
    assert errors("base: &b {a: 1}\nx:\n  <<: *b\n")[0][0] == "yaml-merge"
    assert errors("? [a, b]\n: 1\n")[0][0] == "yaml-key"


@pytest.mark.parametrize("data", [bytes(range(256)) * 50, b"\xff\xfe" + "id: x".encode("utf-16-le"), b"", b"- a\n- b\n"],
                         ids=["binary", "utf-16", "empty", "a-list"])  # fmt: skip
def test_what_is_not_a_pack_gets_one_plain_message(data: bytes) -> None:
    found = errors(data)
    assert len(found) == 1 and found[0][0] in ("yaml-syntax", "wrong-value")


def test_too_many_rules_are_refused() -> None:
    found = errors(pack(*(rule(i) for i in range(MAX_RULES + 1))))
    assert found == [("yaml-limits", f"the pack has {MAX_RULES + 1:,} rules; a pack may have at most {MAX_RULES:,}")]


# --- regular expressions ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "fragment"),
    [
        (r"(a)\1", "RE2 has no backreferences"),
        ("(?=a)b", "RE2 has no lookaround"),
        ("(?<!a)b", "RE2 has no lookaround"),
        ("a{1000}{1000}", "bad repetition operator"),
        ("((a{100}){100}){100}", "invalid repetition size"),
        ("x" * 2001, "at most 2000 are allowed"),
        ("[", "missing ]"),
    ],
    ids=["backreference", "lookahead", "lookbehind", "nested-repeat", "huge-program", "too-long", "unclosed"],
)
def test_patterns_re2_cannot_run_are_refused_at_load(pattern: str, fragment: str) -> None:
    found = errors(pack(rule(where=f"{{description: {{matches: '{pattern}'}}}}")))
    assert found[0][0] == "wrong-value" and fragment in found[0][1], found


CATASTROPHIC = ["(a+)+$", "(a|aa)*c", "(((((((((a*)*)*)*)*)*)*)*)*)*b", "(x+x+)+y", "(.*a){20}"]


def test_catastrophic_patterns_run_in_re2_never_in_python_re(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each pattern on texts that make a backtracking engine take years; Python's re is tripped
    if any of them reaches it, so the test proves the path, not only that it finished."""
    rules = [rule(i, where=f"{{description: {{matches: '{p}'}}}}") for i, p in enumerate(CATASTROPHIC)]
    loaded = load_pack(Path("regex.yaml"), text=pack(*rules))
    assert loaded.ok, [i.render() for i in loaded.errors]
    hostile = set(CATASTROPHIC)
    for name in ("compile", "search", "match", "fullmatch", "findall", "finditer", "sub", "split"):
        original = getattr(re, name)

        def tripwire(pattern, *args, _original=original, **kwargs):
            text = getattr(pattern, "pattern", pattern)
            assert text not in hostile, f"a pack's pattern reached Python's re: {text!r}"
            return _original(pattern, *args, **kwargs)

        monkeypatch.setattr(re, name, tripwire)
    texts = ["a" * 30_000 + "!", "x" * 30_000, "a" * 29_999 + "c", "TESCO"]
    findings = _run([loaded], {"transactions": _transactions(texts)}).packs[0].findings
    # (a|aa)*c matches the bare "c"; (.*a){20} the two long runs of a; the others nothing
    assert [f.value for f in findings] == [0, 1, 0, 0, 2]


# --- what a pack's words can reach ----------------------------------------------------------------


def test_placeholders_are_substituted_never_formatted() -> None:
    infers = "{value} {value.__class__.__mro__} {value[0]} %(x)s {{value}}"
    loaded = load_pack(Path("words.yaml"), text=pack(rule(infers=infers.replace("'", "''"))))
    assert loaded.ok
    finding = _run([loaded], {"transactions": _transactions(["A", "B"])}).packs[0].findings[0]
    assert finding.inference == "2 {value.__class__.__mro__} {value[0]} %(x)s {2}"


def test_unknown_placeholders_are_named_at_load() -> None:
    loaded = load_pack(Path("words.yaml"), text=pack(rule(infers="{0} {__import__}")))
    assert {i.check for i in loaded.issues} >= {"unknown-placeholder"}


def test_includes_cannot_wander_or_swallow_huge_files(tmp_path: Path) -> None:
    folder = tmp_path / "packs"
    folder.mkdir()
    (tmp_path / "huge.yaml").write_text("lists:\n  big: [" + "a, " * 400_000 + "b]\n")
    for include, fragment in [
        ("/etc/passwd", "cannot find the list file"),
        ("../../../../../../etc/passwd", "cannot find the list file"),
        ("../huge.yaml", "a list file may be at most"),
        ("missing.yaml", "cannot find the list file"),
    ]:
        path = folder / "p.yaml"
        path.write_text(pack(before=f"include: ['{include}']\n"))
        found = [(i.check, i.message) for i in load_pack(path).errors]
        assert any(fragment in message for _, message in found), (include, found)


# --- measures that would explode --------------------------------------------------------------------


def _grouped_pack(group_by: str, measure: str) -> str:
    return pack(
        f"  - {{id: every-row, title: r, kind: points, group_by: {group_by}, measure: {measure},"
        f" threshold: {{at_least: 1}}, infers: 'x {{value}} in {{group}}', basis: design, signals: [gambling]}}\n"
    )


EXPLOSIVE = [("record", "count"), ("place", "count"), ("record", "{streak: day}"), ("place", "{distinct: record}")]


@pytest.mark.parametrize(("group_by", "measure"), EXPLOSIVE)
def test_grouping_on_a_unique_column_stays_bounded(group_by: str, measure: str) -> None:
    _explode(group_by, measure, rows=100_000)


@pytest.mark.slow
@pytest.mark.parametrize(("group_by", "measure"), EXPLOSIVE)
def test_grouping_on_a_unique_column_over_three_million_rows_stays_bounded(group_by: str, measure: str) -> None:
    _explode(group_by, measure, rows=3_000_000)


def _explode(group_by: str, measure: str, rows: int) -> None:
    """One group per row: the groups are counted in arrays, only the top few are named."""
    rng = np.random.default_rng(7)
    points = model.conform("points", {
        "importer": pd.Categorical(["gpx"] * rows), "file": pd.Categorical(["track.gpx"] * rows),
        "record": np.arange(rows), "source": pd.Categorical(["tracker"] * rows),
        "time": pd.to_datetime(1_700_000_000 + np.arange(rows) * 60, unit="s", utc=True),
        "lat": rng.uniform(-60, 60, rows), "lon": rng.uniform(-170, 170, rows),
    })  # fmt: skip
    loaded = load_pack(Path("groups.yaml"), text=_grouped_pack(group_by, measure))
    assert loaded.ok, [i.render() for i in loaded.errors]
    tracemalloc.start()
    try:
        result = _run([loaded], {"points": points}, ablation=False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    finding = result.packs[0].findings[0]
    assert finding.fired and len(finding.groups) == 12  # the top groups are named, not a million
    assert len(finding.evidence) >= rows * 0.99  # nearly every row is its own group, and passes
    # A few arrays of 8 bytes per row, never an object per group: about 1 kB per row at most.
    assert peak < rows * 1024, f"peak {peak / 1024**2:,.0f} MB for {rows:,} rows"


# --- helpers ------------------------------------------------------------------------------------------


def _transactions(descriptions: list[str]) -> pd.DataFrame:
    n = len(descriptions)
    return model.conform("transactions", {
        "importer": pd.Categorical(["bank-csv"] * n), "file": pd.Categorical(["statement.csv"] * n),
        "record": np.arange(2, n + 2), "source": pd.Categorical(["bank:test"] * n),
        "time": pd.to_datetime(["2024-06-01"] * n, utc=True), "has_time": [False] * n,
        "amount": [-10.0] * n, "currency": ["GBP"] * n, "description": descriptions,
    })  # fmt: skip


def _run(packs, frames: dict[str, pd.DataFrame], ablation: bool = True):
    full = {kind: frames.get(kind, model.empty_frame(kind)) for kind in model.KIND_NAMES}
    return run_audit([], packs=packs, now="2024-07-01", dataset=Dataset(full, []), ablation=ablation)
