"""The Markdown report: ``auditor scan --format markdown``, extended for a file people keep.

The body is :func:`auditor.commands.scan.render_markdown` itself (one renderer, not two);
the report adds the redaction level, the top inferences, what the charts would show as
small tables, and what was read.
"""

from __future__ import annotations

from auditor.commands.scan import render_markdown
from auditor.pipeline import AuditResult
from auditor.reports import charts as charts_module
from auditor.reports.common import as_of_label, redaction_level, top_inferences


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_report_markdown(result: AuditResult) -> str:
    """The audit as a Markdown report."""
    scan = render_markdown(result)
    _, _, body = scan.partition("\n")  # its title line gives way to the report's own
    level = redaction_level(result)
    head = [f"# Audit as of {as_of_label(result)}", ""]
    if level != "none":
        head += [f"**Redacted ({level})**: " + (
            "places rounded to about 5 km, merchants as their category, amounts as bands, dates as months; "
            "names, addresses and files as pseudonyms." if level == "coarse"
            else "no places, merchants, amounts or dates."), ""]  # fmt: skip
    top = top_inferences(result)
    if top:
        head += ["## Top inferences", "", "| what a scorer would infer | pack | effect | evidence rows | basis |",
                 "| --- | --- | --- | --- | --- |"]  # fmt: skip
        head += [f"| {_cell(f.inference)} | {_cell(p.pack.title)} | {f.effect:+g} | {len(f.evidence):,} | {f.basis} |"
                 for p, f in top]  # fmt: skip
        head.append("")
    tail = ["## What the data shows", ""]
    for chart in charts_module.chart_data(result):
        tail += [f"### {chart.title}", "", chart.note, ""]
        tail += _chart_table(chart)
    rows = result.data.rows_by_source()
    kinds = sorted({k for per in rows.values() for k in per})
    tail += ["## What was read", "", "| source | " + " | ".join(kinds) + " |", "| --- |" + " --- |" * len(kinds)]
    tail += [f"| {_cell(s)} | " + " | ".join(f"{rows[s].get(k, 0):,}" for k in kinds) + " |" for s in sorted(rows)]
    return "\n".join(head) + body.rstrip("\n") + "\n\n" + "\n".join(tail) + "\n"


def _chart_table(chart: charts_module.Chart) -> list[str]:
    """A chart's data as a small table (the activity grid and places are summarised)."""
    if not chart.data:
        return []
    if chart.id == "activity-by-hour":
        by_hour: dict[int, int] = {}
        for d in chart.data:
            by_hour[d["hour"]] = by_hour.get(d["hour"], 0) + d["rows"]
        return ["| hour | " + " | ".join(f"{h:02d}" for h in range(24)) + " |", "| --- |" + " ---: |" * 24,
                "| rows | " + " | ".join(str(by_hour.get(h, 0)) for h in range(24)) + " |", ""]  # fmt: skip
    if chart.id == "places":
        labelled = [d for d in chart.data if d["label"] in ("home", "work")][:10]
        if not labelled:
            return [f"{len(chart.data)} places, none labelled home or work.", ""]
        return ["| label | lat | lon |", "| --- | ---: | ---: |",
                *[f"| {d['label']} | {d['lat']:.3f} | {d['lon']:.3f} |" for d in labelled], ""]  # fmt: skip
    if chart.id == "timeline":
        events = [d for d in chart.data if "event" in d]
        months = sorted({d["month"] for d in chart.data if "source" in d})
        lines = [f"{len(months)} months, {months[0]} to {months[-1]}." if months else ""]
        lines += [f"- {d['month']}: {d['event']}" + (f" ({d['nights']})" if "nights" in d else "") for d in events]
        return [*lines, ""]
    columns = list(chart.data[0])
    return ["| " + " | ".join(columns) + " |", "| --- |" + " ---: |" * (len(columns) - 1),
            *["| " + " | ".join(_cell(f"{d[c]:,.2f}" if isinstance(d[c], float) else d[c]) for c in columns) + " |"
              for d in chart.data], ""]  # fmt: skip
