"""Reports: every format for every persona, golden Markdown and JSON, the schema, CSV that
spreadsheets cannot run, atomic private files never written beside the exports, comparisons.

Golden files (tests/golden/*.md, *.json) are made with a fixed clock (--as-of) and the pinned
pack tests/golden/pack.yaml. After an intended change, regenerate them and read the diff:

    AUDITOR_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_reports.py -k golden
"""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import re
import stat
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest
from reports_support import EXAMPLE_PACK, GOLDEN, PERSONAS, REPO, audit, audit_with_sources

from auditor import cli, resources
from auditor.pipeline import run_audit
from auditor.redact import redact
from auditor.reports import FORMATS, atomic, default_name, render
from auditor.reports.compare import compare
from auditor.reports.compare import render_html as compare_html
from auditor.reports.compare import render_markdown as compare_markdown
from auditor.reports.csv_export import HEADER, neutralise, render_csv

SCHEMA = json.loads((REPO / "auditor" / "schemas" / "report.schema.json").read_text(encoding="utf-8"))
AS_OF = {"night-shift-nurse": "2024-02-29", "gig-driver": "2025-04-01", "comfortable-commuter": "2024-08-30"}
UPDATE = os.environ.get("AUDITOR_UPDATE_GOLDEN") == "1"


def validate(document: dict) -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.Draft202012Validator(SCHEMA).validate(document)


# --- every format, every persona ----------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_format_renders_every_persona_with_its_scores_and_evidence(persona):
    result = audit(persona)
    fired = [(p, f) for p in result.packs for f in p.findings if f.fired]
    assert fired, "the built-in packs fire on every persona"
    out = {fmt: render(result, fmt) for fmt in FORMATS}
    for pack in result.packs:
        assert pack.pack.title in out["markdown"]
        assert pack.pack.title.replace("&", "&amp;") in out["html"]
    document = json.loads(out["json"])
    validate(document)
    assert [p["id"] for p in document["packs"]] == [p.pack.id for p in result.packs]
    assert document["report"]["redaction"] == "none"
    # the HTML shows the evidence file of the first fired finding and one SVG per drawable chart
    first_file = str(result.frame(fired[0][1].kind)["file"].iloc[fired[0][1].evidence[0]])
    assert first_file.replace("&", "&amp;") in out["html"]
    drawable = [c for c in document["charts"] if c["data"]]
    assert len(drawable) >= 4 and out["html"].count("<svg") == len(drawable)
    # CSV: one row per evidence row of a fired finding, one row per other finding
    rows = list(csv.reader(io.StringIO(out["csv"])))
    assert tuple(rows[0]) == HEADER
    expected = sum(len(f.evidence) or 1 if f.fired else 1 for p in result.packs for f in p.findings)
    assert len(rows) - 1 == expected


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("level", ["coarse", "strict"])
def test_redacted_reports_validate_and_say_so(persona, level):
    result = redact(audit_with_sources(persona), level)
    document = json.loads(render(result, "json"))
    validate(document)
    assert document["report"]["redaction"] == level
    assert document["report"]["as_of_precision"] == {"coarse": "month", "strict": "year"}[level]
    html = render(result, "html")
    assert f"redacted: {level}" in html
    markdown = render(result, "markdown")
    assert f"**Redacted ({level})**" in markdown
    if level == "strict":
        assert "<svg" not in html  # no dates, places or amounts: nothing to draw


# --- golden files --------------------------------------------------------------------------------------


GOLDEN_CASES = [(p, fmt, "none") for p in PERSONAS for fmt in ("markdown", "json")] + [
    ("night-shift-nurse", "markdown", "coarse"), ("night-shift-nurse", "json", "coarse")]  # fmt: skip


@functools.cache
def golden_audit(persona: str):
    """The audit behind a persona's golden files: exactly what ``auditor report`` runs for them
    (relative paths, the persona's time zone, the fixed clock, the pinned pack)."""
    assert Path.cwd() == REPO
    paths = [Path("sample_exports") / persona]
    return run_audit(paths, ["tests/golden/pack.yaml"], AS_OF[persona], resources.persona_timezone(paths))


def check_golden(text: str, name: str) -> None:
    golden = GOLDEN / name
    if UPDATE:
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"{golden} is missing: run with AUDITOR_UPDATE_GOLDEN=1"
    assert text == golden.read_text(encoding="utf-8"), f"{golden} differs: AUDITOR_UPDATE_GOLDEN=1 and read the diff"


@pytest.mark.parametrize(("persona", "fmt", "level"), GOLDEN_CASES)
def test_golden(persona, fmt, level, monkeypatch):
    monkeypatch.chdir(REPO)  # paths in the report are shown as given: sample_exports/...
    text = render(redact(golden_audit(persona), level), fmt)
    suffix = "" if level == "none" else f"-{level}"
    check_golden(text, f"{persona}{suffix}.{'md' if fmt == 'markdown' else 'json'}")
    if fmt == "json":
        validate(json.loads(text))


def test_golden_through_the_command(monkeypatch, capsys):
    # the command writes the same bytes as the renderers the golden files pin
    monkeypatch.chdir(REPO)
    code = cli.main(["report", "sample_exports/gig-driver", "--pack", "tests/golden/pack.yaml", "--as-of",
                     AS_OF["gig-driver"], "--format", "markdown", "--output", "-"])  # fmt: skip
    assert code == 0
    check_golden(capsys.readouterr().out, "gig-driver.md")


# --- HTML: self-contained -------------------------------------------------------------------------------


class _References(HTMLParser):
    """Every src, href and url(...) in a page (CSS in style elements and attributes included)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.tags: set[str] = set()
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self._in_style = tag == "style"
        for name, value in attrs:
            if name in ("src", "href", "xlink:href", "srcset", "action", "poster", "data"):
                self.found.append(value or "")
            if name == "style":
                self.found += re.findall(r"url\(([^)]*)\)", value or "")

    def handle_endtag(self, tag):
        self._in_style = False if tag == "style" else self._in_style

    def handle_data(self, data):
        if self._in_style:
            self.found += re.findall(r"url\(([^)]*)\)", data)


def test_html_loads_nothing_from_anywhere():
    html = render(audit("night-shift-nurse"), "html")
    parser = _References()
    parser.feed(html)
    remote = [r for r in parser.found if re.search(r"https?:|//", r, re.IGNORECASE)]
    assert remote == []
    assert all(r.startswith("#") for r in parser.found), parser.found  # only anchors inside the page
    assert not parser.tags & {"script", "link", "img", "iframe", "object", "embed", "video", "audio"}
    assert "@import" not in html
    assert "@media print" in html


def test_the_static_check_catches_a_remote_reference():
    # the check above can fail: a chart with an external image and a stylesheet url()
    parser = _References()
    parser.feed('<svg><image href="https://tiles.example/1.png"/></svg><style>a{background:url(//x.example/y)}</style>')
    assert [r for r in parser.found if re.search(r"https?:|//", r)] == ["https://tiles.example/1.png", "//x.example/y"]


# --- CSV: numbers stay numbers, text never becomes a formula ------------------------------------------------


def test_neutralise_prefixes_formula_text_and_leaves_numbers():
    for text in ("=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "\tTAB", "\rCR"):
        assert neutralise(text) == "'" + text
    assert neutralise(-12.5) == -12.5 and neutralise(3) == 3
    assert neutralise("TESCO -12.50") == "TESCO -12.50"
    assert neutralise(None) == ""


MONZO_HEADER = ("Transaction ID,Date,Time,Type,Name,Emoji,Category,Amount,Currency,Local amount,Local currency,"
                "Notes and #tags,Address,Receipt,Description,Category split,Money Out,Money In,Balance,Balance currency")  # fmt: skip
HOSTILE = ['=HYPERLINK("http://evil.example","x")', "+44 20 7946 0000", "-SUM(A1:A9)", "@cmd", "\tTABBED SHOP"]
EVERY_PAYMENT_PACK = """
id: every-payment
title: Every payment
description: A pack that fires on every card payment, for the CSV test.
version: "1"
scorer: a test
rules:
  - id: payments
    title: Payments
    kind: transactions
    where: {amount: {less: 0}}
    measure: count
    threshold: {at_least: 1}
    infers: "{value} payments"
    severity: low
    basis: design
    signals: [late-night-spending]
"""


def test_csv_keeps_negative_amounts_as_numbers_and_neutralises_hostile_descriptions(tmp_path):
    lines = [MONZO_HEADER]
    for i, text in enumerate(HOSTILE):
        quoted = '"' + text.replace('"', '""') + '"'
        lines.append(f"tx_{i:022d},0{i + 1}/03/2024,12:0{i}:00,Card payment,{quoted},,Shopping,-{10 + i}.50,GBP,"
                     f"-{10 + i}.50,GBP,,,,{quoted},,-{10 + i}.50,,100.00,GBP")  # fmt: skip
    export = tmp_path / "Monzo Data Export - CSV (Friday, March 1, 2024 to Friday, March 8, 2024).csv"
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    pack = tmp_path / "every-payment.yaml"
    pack.write_text(EVERY_PAYMENT_PACK, encoding="utf-8")
    result = run_audit([export], [str(pack)], ablation=False)
    assert result.packs and result.packs[0].findings[0].fired, result.pack_issues
    rows = list(csv.reader(io.StringIO(render_csv(result))))
    header, body = rows[0], rows[1:]
    amount, detail = header.index("amount"), header.index("detail")
    assert len(body) == len(HOSTILE)
    assert sorted(float(r[amount]) for r in body) == [-14.5, -13.5, -12.5, -11.5, -10.5]  # numbers, not text
    assert all(not r[amount].startswith("'") for r in body)
    for row in body:
        for cell in row:
            assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell
            if cell.startswith("-"):
                float(cell)  # a cell may start with '-' only when it is a number
    shown = " ".join(r[detail] for r in body)
    assert "HYPERLINK" in shown  # the text is kept, only made inert
    # A description that starts with a formula character is written with a leading '
    raw = render_csv(result)
    assert "'=HYPERLINK" in raw or "'-SUM" in raw or "'@cmd" in raw


# --- writing: atomic, private, never beside the exports --------------------------------------------------


def test_write_atomic_is_private_and_leaves_nothing_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "report.html"
    atomic.write_atomic(target, "first")
    assert target.read_text() == "first"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(28, "No space left on device")))
    with pytest.raises(OSError):
        atomic.write_atomic(target, "second")
    assert target.read_text() == "first"  # the old report is intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]  # no temporary file left


def test_report_command_writes_in_the_current_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    persona = REPO / "sample_exports" / "gig-driver"
    code = cli.main(["report", str(persona), "--pack", EXAMPLE_PACK, "--format", "markdown", "--redact", "coarse",
                     "--no-ablation"])  # fmt: skip
    assert code == 0
    written = list(tmp_path.iterdir())
    assert [p.name for p in written] == ["auditor-report-2025-04-coarse.md"]
    assert stat.S_IMODE(written[0].stat().st_mode) == 0o600
    assert written[0].read_text(encoding="utf-8").startswith("# Audit as of 2025-04")
    assert "wrote" in capsys.readouterr().err


def test_report_command_refuses_to_write_beside_the_exports(tmp_path, monkeypatch, capsys):
    export = tmp_path / "exports"
    export.mkdir()
    (export / "Timeline.json").write_bytes((REPO / "sample_exports" / "gig-driver" / "Timeline.json").read_bytes())
    before = sorted(p.name for p in export.iterdir())
    monkeypatch.chdir(export)
    assert cli.main(["report", str(export / "Timeline.json"), "--pack", EXAMPLE_PACK, "--no-ablation"]) == 2
    assert "never written beside them" in capsys.readouterr().err
    assert sorted(p.name for p in export.iterdir()) == before
    # --output can never be one of the inputs either
    assert cli.main(["report", str(export / "Timeline.json"), "--pack", EXAMPLE_PACK, "--no-ablation", "--output",
                     str(export / "Timeline.json")]) == 2  # fmt: skip
    assert "one of your input files" in capsys.readouterr().err
    assert (export / "Timeline.json").read_bytes() == (REPO / "sample_exports" / "gig-driver" / "Timeline.json").read_bytes()
    # but asked for explicitly, a report may go there
    monkeypatch.chdir(tmp_path)
    assert cli.main(["report", str(export / "Timeline.json"), "--pack", EXAMPLE_PACK, "--no-ablation", "--format",
                     "json", "--output", str(export / "mine.json")]) == 0  # fmt: skip
    validate(json.loads((export / "mine.json").read_text(encoding="utf-8")))


def test_report_command_errors_are_messages(tmp_path, capsys):
    assert cli.main(["report", str(tmp_path / "missing"), "--output", "-"]) == 2
    assert cli.main(["report", str(REPO / "sample_exports" / "gig-driver"), "--pack", EXAMPLE_PACK, "--no-ablation",
                     "--output", str(tmp_path / "no" / "such" / "folder.html")]) == 2  # fmt: skip
    err = " ".join(capsys.readouterr().err.split())  # rich wraps long lines
    assert "no such file or folder" in err and "does not exist" in err and "Traceback" not in err


def test_default_names_say_the_date_and_the_redaction():
    result = audit_with_sources("night-shift-nurse")
    assert default_name(result, "html") == "auditor-report-2024-02-29.html"
    assert default_name(redact(result, "strict"), "csv") == "auditor-report-2024-strict.csv"


# --- compare ---------------------------------------------------------------------------------------------


def test_compare_lines_up_scores_and_shows_only_the_findings_that_differ():
    audits = [(p, audit_with_sources(p)) for p in PERSONAS]
    comparison = compare(audits)
    assert comparison.labels == list(PERSONAS)
    (pack,) = comparison.packs
    assert pack.values == [r.packs[0].score.score for _, r in audits]
    shown = comparison.shown_rules()
    assert shown and all(r.differs for r in shown)
    salary = next(r for r in comparison.rules if r.rule == "salary-streak")
    assert salary.outcomes == ["fired", "not_fired", "fired"]  # the gig driver has no salary
    assert salary in shown
    text = compare_markdown(comparison)
    assert "| Example cash-flow scorer |" in text and "Months in a row with a salary" in text
    same = [r for r in comparison.rules if not r.differs]
    for rule in same:
        assert f"| {rule.title} |" not in text
    page = compare_html(comparison)
    parser = _References()
    parser.feed(page)
    assert parser.found == [] and "script" not in parser.tags
    assert all(f"<th class=\"num\">{label}</th>" in page for label in PERSONAS)
    assert page.count("<tr>") == 2 + len(comparison.packs) + len(shown)


def test_compare_one_person_under_every_pack(capsys):
    code = cli.main(["compare", str(REPO / "sample_exports" / "comfortable-commuter"), "--format", "markdown"])
    assert code == 0
    out = capsys.readouterr().out
    result = audit("comfortable-commuter")
    assert "under every pack" in out
    for pack in result.packs:
        assert f"| {pack.pack.title} |" in out
    fired_section = out.split("## Rules that fired", 1)[1]
    assert fired_section.count("\n| ") >= 3  # header and at least one rule that fired
