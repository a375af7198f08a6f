"""The one function that drives an audit: load -> derive -> evaluate -> score -> result.

Every front end (the CLI's bare ``auditor`` and ``scan``, the reports, the app) calls
:func:`run_audit`; none grows its own loop. The engine is pure; this is the edge where
files are read and the default clock is chosen: the time of the latest row in the data
("as of your export"), so an export downloaded a year ago is judged as the scorer would
have judged it then. Pass ``now`` to choose another day.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from auditor import audit_cache, model, resources, workers
from auditor.cache import ParseCache
from auditor.dataset import Dataset, load_dataset
from auditor.engine import derived, elsewhere
from auditor.engine.compile import evaluate_pack
from auditor.engine.context import AuditData
from auditor.engine.findings import Finding
from auditor.packs.issues import Issue
from auditor.packs.loader import LoadedPack, Vocabulary, resolve_packs
from auditor.scoring import PackScore, SourceEffect, ablate, score_pack
from auditor.sources import Claim
from auditor.timezones import LocalTime, choose_zone

RESULT_SCHEMA_VERSION = "1"


@dataclass
class PackResult:
    """One pack's findings, score and what each source gives away."""

    loaded: LoadedPack
    findings: list[Finding]
    score: PackScore
    sources: list[SourceEffect] = field(default_factory=list)

    @property
    def pack(self):
        return self.loaded.pack


@dataclass
class AuditResult:
    """Everything one audit produced; the renderers read only this."""

    dataset: Dataset
    data: AuditData
    now: pd.Timestamp
    timezone: str | None
    packs: list[PackResult]
    skipped_packs: list[LoadedPack]
    unknown_packs: list[str]
    timezone_basis: str = ""  # in plain words: the zone UTC-only rows were read in, and why

    @property
    def local_time(self) -> LocalTime:
        """The zone this audit read UTC-only rows in, with why: hand it to run_audit(local=...)
        to evaluate the same dataset again without choosing the zone again."""
        return LocalTime(self.timezone, self.timezone_basis)

    @property
    def pack_issues(self) -> list[Issue]:
        return [issue for p in (*[r.loaded for r in self.packs], *self.skipped_packs) for issue in p.issues]

    def frame(self, kind: str) -> pd.DataFrame | None:
        """The frame a finding's evidence row ids index into."""
        return self.data.view().table(kind)


def data_end(dataset: Dataset) -> pd.Timestamp | None:
    """The latest time in the data, across kinds (None when there are no rows)."""
    ends = []
    for kind, frame in dataset.frames.items():
        for column in model.time_columns(kind) if kind in model.KINDS else ():
            if len(frame) and frame[column].notna().any():
                ends.append(frame[column].max())
    return max(ends) if ends else None


def run_audit(
    paths: Iterable[Path],
    packs: Sequence[str | Path | LoadedPack] | None = None,
    now: pd.Timestamp | str | None = None,
    timezone: str | None = None,
    *,
    ablation: bool = True,
    dataset: Dataset | None = None,
    on_file: Callable[[Claim], None] | None = None,
    vocabulary: Vocabulary | None = None,
    cache: ParseCache | None = None,
    local: LocalTime | None = None,
) -> AuditResult:
    """Run the whole pipeline on ``paths`` with ``packs`` (built-in packs when None).

    ``packs`` may name pack files, folders, built-in pack ids, or be already loaded.
    Packs with errors are not evaluated; their issues are in ``skipped_packs``. With a
    ``cache`` (:class:`auditor.cache.ParseCache`), files parsed before are read back from it.

    The zone UTC-only rows are read in: ``local`` when the caller has it already (a front
    end's :func:`given_zone`, or :attr:`AuditResult.local_time` when the same dataset is
    evaluated again), used as it is; else ``timezone`` when named; else the zone the
    exports' own offsets show (:func:`auditor.timezones.choose_zone`).
    """
    paths = list(paths)
    cached = dataset is None and cache is not None
    # Workers that read the smaller files are idle once loading ends: kept, one derives the
    # money tables while this process derives the location ones (auditor.engine.elsewhere).
    with workers.keep_pool() as idle_workers:
        if cached:
            # the same inputs as a run before: the merged dataset and its derived tables come back whole
            dataset = audit_cache.load_dataset(paths, cache, on_file=on_file)
        elif dataset is None:
            dataset = load_dataset(paths, on_file=on_file)
        if local is None:
            # UTC-only rows are read in the zone named, else in the zone the other exports' offsets show
            local = choose_zone(timezone, dataset.frames, given_basis=_given_basis(timezone, paths))
        timezone = local.zone
        clock = _clock(now, dataset)
        store = audit_cache.DerivedStore.for_audit(cache, clock, timezone) if cached else None
        # derive: derived tables (stays, places, recurring payments) are computed on first use
        # and cached per audit and per ablation variant (auditor.engine.derived), and kept in
        # the cache's store when there is one.
        data = AuditData(dataset.frames, now=clock, timezone=timezone, store=store)
        sent = elsewhere.prefetch(idle_workers[0], data) if idle_workers else ()
        if not sent:
            workers.release(idle_workers)  # nothing for them to do: they wind down while this process works
        loaded, unknown = _packs(packs, vocabulary)
        if sent:
            _derive_here_first(data, loaded, sent)
        results: list[PackResult] = []
        skipped: list[LoadedPack] = []
        for pack in loaded:
            if not pack.ok:
                skipped.append(pack)
                continue
            findings = evaluate_pack(pack.compiled, data.view())  # type: ignore[arg-type]
            score = score_pack(pack.pack, findings)  # type: ignore[arg-type]
            effects = ablate(pack.compiled, data, score) if ablation else []  # type: ignore[arg-type]
            results.append(PackResult(pack, findings, score, effects))
    return AuditResult(dataset, data, clock, timezone, results, skipped, unknown, local.basis)


def _derive_here_first(data: AuditData, packs: list[LoadedPack], sent: Sequence[str]) -> None:
    """Build now the derived tables the packs read that were not ``sent`` to a worker (the
    location ones), so that by the time a rule reads a sent table the worker has it ready."""
    read = {rule.rule.kind for pack in packs if pack.ok for rule in pack.compiled.rules}  # type: ignore[union-attr]
    view = data.view()
    for name, table in derived.REGISTRY.items():
        if name in read and name not in sent and table.build is not None:
            view.table(name)


def given_zone(paths: Iterable[Path], timezone: str | None = None) -> LocalTime | None:
    """The zone a front end reads UTC-only rows in before any data is read, with why; None: none given.

    ``timezone`` is the person's ``--timezone``; without it a shipped sample persona is read
    in the zone its person lived in (its truth.json, read here once). Pass the result to
    :func:`run_audit` as ``local``; None lets the audit infer the zone from the data.
    """
    paths = list(paths)
    persona = resources.persona_timezone(paths)
    zone = timezone or persona
    if not zone:
        return None
    if zone == persona:
        return LocalTime(zone, f"{zone}, where this sample persona lives")
    return LocalTime(zone, f"{zone}, as set with --timezone")


def _given_basis(timezone: str | None, paths: list[Path]) -> str | None:
    """Why a zone named to run_audit without ``local`` is the one (the callers that pass ``local`` skip this)."""
    given = given_zone(paths, timezone) if timezone else None
    return given.basis if given else None


def _packs(packs, vocabulary) -> tuple[list[LoadedPack], list[str]]:
    if packs is None:
        return resolve_packs(None, vocabulary)
    ready = [p for p in packs if isinstance(p, LoadedPack)]
    refs = [str(p) for p in packs if not isinstance(p, LoadedPack)]
    loaded, unknown = resolve_packs(refs, vocabulary) if refs else ([], [])
    return ready + loaded, unknown


def _clock(now: pd.Timestamp | str | None, dataset: Dataset) -> pd.Timestamp:
    if now is not None:
        stamp = pd.Timestamp(now)
        return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    end = data_end(dataset)
    if end is not None:
        return end
    return pd.Timestamp.now(tz="UTC").floor("D")
