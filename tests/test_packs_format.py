"""The pack format: safe YAML, the schema, includes, the vocabulary, the example pack."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from auditor import resources
from auditor.packs.loader import load_pack, load_signals, pack_files, resolve_packs
from auditor.packs.schema import pack_schema, schema_text
from auditor.packs.yamlsafe import MAX_BYTES, load_yaml

RULES = resources.rules_dir()
MINIMAL = (
    "id: p\ntitle: t\nversion: '1'\nscorer: s\nrules:\n"
    "  - {id: r, title: r, kind: transactions, threshold: 1, infers: x, basis: design, signals: [gambling]}\n"
)


def test_schema_json_is_generated_from_the_models_and_not_stale():
    assert (RULES / "schema.json").read_text(encoding="utf-8") == schema_text(), (
        "rules/schema.json is stale: run 'auditor rules schema --output rules/schema.json'"
    )


def test_every_built_in_pack_validates_against_the_schema_and_lints_clean():
    schema = pack_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    packs = pack_files([RULES])
    assert packs, "rules/ holds at least the example pack"
    for path in packs:
        jsonschema.validate(yaml.safe_load(path.read_text()), schema)
        loaded = load_pack(path)
        assert loaded.ok, [i.render() for i in loaded.issues]
        assert not [i for i in loaded.issues if i.severity == "warning"], [i.render() for i in loaded.issues]


def test_the_example_pack_is_all_design_basis_and_starts_with_the_schema_comment():
    text = (RULES / "example.yaml").read_text()
    assert text.startswith("# yaml-language-server: $schema=schema.json")
    pack = load_pack(RULES / "example.yaml").pack
    assert all(rule.basis.design is not None for rule in pack.rules)


def test_folders_know_packs_from_the_vocabulary_and_the_shared_lists():
    names = {p.relative_to(RULES).as_posix() for p in pack_files([RULES])}
    assert "signals.yaml" not in names
    assert not any(name.startswith("lists/") for name in names)


def test_yaml_12_scalars_keep_country_codes_and_dates_as_text():
    located, issues = load_yaml("a: [NO, yes, on, 2024-01-01, 1.5, 7, true, null]\n", "f")
    assert issues == []
    assert located.data == {"a": ["NO", "yes", "on", "2024-01-01", 1.5, 7, True, None]}


def test_yaml_limits_size_depth_and_merge_keys():
    _, issues = load_yaml("a: " + "x" * (MAX_BYTES + 1), "big")
    assert issues[0].check == "yaml-limits"
    _, issues = load_yaml("a: " + "[" * 60 + "]" * 60, "deep")
    assert issues[0].check == "yaml-limits" and "nested" in issues[0].message
    located, issues = load_yaml("base: &b {x: 1}\nother:\n  <<: *b\n", "merge")
    assert [i.check for i in issues] == ["yaml-merge"]
    aliases = "a: &a 1\n" + "".join(f"k{n}: *a\n" for n in range(101))
    assert load_yaml(aliases, "aliases")[1][0].check == "yaml-limits"


def test_a_pack_may_use_anchors_for_repeated_rows():
    text = MINIMAL.replace("rules:\n", "references:\n  r1: &ref {title: T, source: S}\n  r2: *ref\nrules:\n")
    loaded = load_pack("anchors.yaml", text=text)
    assert loaded.ok and loaded.pack.references["r2"].title == "T"


def test_includes_are_relative_to_the_pack_then_to_the_built_in_rules(tmp_path):
    (tmp_path / "mine.yaml").write_text("lists:\n  my_words: [alpha]\n")
    text = MINIMAL.replace("rules:\n", "include: [mine.yaml, lists/gambling.yaml]\nrules:\n")
    pack = tmp_path / "p.yaml"
    pack.write_text(text)
    loaded = load_pack(pack)
    assert loaded.ok
    assert loaded.lists["my_words"] == ["alpha"] and "gambling_mcc" in loaded.lists
    missing = load_pack(pack, text=MINIMAL.replace("rules:\n", "include: [nope.yaml]\nrules:\n"))
    assert [i.check for i in missing.errors] == ["include"]
    absolute = load_pack(pack, text=MINIMAL.replace("rules:\n", "include: [/etc/passwd]\nrules:\n"))
    assert [i.check for i in absolute.errors] == ["include"]


def test_the_signal_vocabulary_names_a_sesame_dimension_for_every_tag():
    vocabulary = load_signals()
    assert vocabulary.issues == []
    assert {"late-payment", "gambling", "night-activity", "health"} <= set(vocabulary.signals)
    assert vocabulary.signals["health"].special_category == "art9"


def test_built_in_packs_resolve_by_id_and_unknown_ids_suggest_one():
    loaded, unknown = resolve_packs(["example"])
    assert [p.pack.id for p in loaded] == ["example"] and unknown == []
    _, unknown = resolve_packs(["exampel"])
    assert "did you mean 'example'" in unknown[0]


@pytest.mark.parametrize(
    "replacement, check, fragment",
    [
        ("threshold: 1", "wrong-value", "expected exactly one of"),  # threshold: {} below
        ("basis: design", "wrong-value", "expected 'design' or"),
    ],
)
def test_messages_for_shapes_say_what_was_expected(replacement, check, fragment):
    text = MINIMAL.replace("threshold: 1", "threshold: {}") if replacement.startswith("threshold") else MINIMAL.replace(
        "basis: design", "basis: practise"
    )
    issue = load_pack("m.yaml", text=text).errors[0]
    assert issue.check == check and fragment in issue.message


def test_loading_never_executes_anything(tmp_path):
    marker = tmp_path / "pwned"
    text = MINIMAL.replace("infers: x", f"infers: !!python/object/apply:os.system ['touch {marker}']")
    loaded = load_pack("evil.yaml", text=text)
    assert loaded.errors[0].check == "yaml-tag"
    assert not marker.exists()
    assert json.dumps([i.as_dict() for i in loaded.issues])  # issues are plain values


@pytest.mark.parametrize("kind", ["transactions", "tolls", "orders"])
def test_case_rows_written_as_dates_are_date_only_for_every_kind_that_records_it(kind):
    from auditor.packs.testing import case_frames

    loaded = load_pack("t.yaml", text=(
        "id: t\ntitle: t\nversion: '1'\nscorer: s\nrules:\n"
        f"  - id: r\n    title: t\n    kind: {kind}\n    where: {{time: {{hour: [0, 6]}}}}\n"
        "    threshold: 1\n    infers: '{value}'\n    basis: design\n    signals: [spending-level]\n"
        "    cases:\n      - name: c\n        given:\n"
        f"          {kind}:\n            - {{time: '2024-06-01'}}\n            - {{time: '2024-06-01T02:00:00Z'}}\n"
        "        expect: fired\n"
    ))  # fmt: skip
    assert loaded.ok, [issue.render() for issue in loaded.issues]
    case = loaded.pack.rules[0].cases[0]
    kinds, _ = case_frames(case, "t.yaml")
    assert kinds[kind]["has_time"].tolist() == [False, True]
