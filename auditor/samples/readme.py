"""The README beside each persona: the story, the files, the signals, the broken records."""

from __future__ import annotations

from auditor.samples.life import Life
from auditor.samples.output import Bundle
from auditor.samples.spec import Persona, Run
from auditor.samples.truth import Truth


def persona_readme(persona: Persona, life: Life, run: Run, bundle: Bundle, truth: Truth) -> str:
    """Markdown: who this is, what they downloaded, what a scorer could infer, what is broken."""
    counts = truth.as_dict()
    lines = [
        f"# {persona.name}: {persona.summary}",
        "",
        (
            f"{run.days} days ({run.first_day:%-d %B %Y} to {run.last_day:%-d %B %Y}) of a synthetic person's life, "
            f"time zone {persona.timezone}, written by `auditor samples generate --persona {persona.name} --seed {run.seed}` "
            "in the providers' real export formats. Nothing here is real: names, places, accounts and identifiers are "
            "invented; e-mail addresses use the reserved `.invalid` domain."
        ),
        "",
        "## The story",
        "",
        persona.story.rstrip(),
        "",
        "## The files",
        "",
        "| file | what it is |",
        "| --- | --- |",
    ]
    for name, about in bundle.about.items():
        lines.append(f"| `{name}` | {about} |")
    lines += [
        "| `truth.json` | the ground truth: every planted signal with the files and record numbers that carry it (not an export; `auditor sources` lists it as not read) |",
        "",
        "## What a scorer could infer",
        "",
        persona.inferences.rstrip(),
        "",
        "## Planted signals",
        "",
        (
            "Tags from `rules/signals.yaml`. Record numbers in `truth.json` follow the importers: CSV line "
            "(1-based, header counted), JSON array index (0-based), OFX transaction position (0-based)."
        ),
        "",
        "| signal | in this story | records |",
        "| --- | --- | --- |",
    ]
    for entry in counts["signals"]:  # type: ignore[union-attr]
        total = sum(len(e["records"]) for e in entry["evidence"])
        lines.append(f"| `{entry['signal']}` | {entry['description']} | {total} |")
    lines += [
        "",
        "## Deliberately malformed records",
        "",
        (
            "Each is broken on purpose, so that `auditor sources` shows exactly these as skipped and everything "
            "else as read:"
        ),
        "",
    ]
    for broken in counts["malformed"]:  # type: ignore[union-attr]
        lines.append(f"- `{broken['file']}`, record {broken['record']}: {broken['what']}")
    linked = counts["linked_events"]
    lines += [
        "",
        "## The same life in every source",
        "",
        (
            f"`truth.json` lists {len(linked)} events seen by several sources at once (`linked_events`), "  # type: ignore[arg-type]
            "each with its time, place and the records of every file that shows it."
        ),
        "",
    ]
    lines += [
        "## Regenerate",
        "",
        "```",
        f"auditor samples generate --persona {persona.name} --seed {run.seed} --output sample_exports/{persona.name}",
        "```",
        "",
        (
            "The same seed writes the same bytes; `--years` and `--density` change the length of the period and "
            "how often countable habits (purchases, rides, outings) happen."
        ),
        "",
    ]
    return "\n".join(lines) + "\n"
