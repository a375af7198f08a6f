"""Reports at benchmark size, run by hand: redaction and each report format on the decade persona.

Generates the decade persona (3M points, 50k transactions) under bench/data/decade-reports/ (git
ignores bench/data) unless it is there, audits it once with the example pack (no ablation:
this measures the reports, not the engine), then times ``redact`` at each level and every
format on the result.

    python bench/report_bench.py
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "bench" / "data" / "decade-reports"


def main() -> None:
    if not (DATA / "truth.json").exists():
        DATA.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "auditor", "samples", "generate", "--persona", "decade", "--output",
                        str(DATA)], check=True)  # fmt: skip
    from auditor import reports
    from auditor.pipeline import run_audit
    from auditor.redact import redact

    started = time.perf_counter()
    result = run_audit([DATA], [str(REPO / "tests" / "golden" / "pack.yaml")], ablation=False)
    rows = {kind: len(frame) for kind, frame in result.dataset.frames.items() if len(frame)}
    print(f"audit {time.perf_counter() - started:.1f} s  {rows}")
    for level in ("none", "coarse", "strict"):
        started = time.perf_counter()
        shown = redact(result, level)
        print(f"redact {level}: {time.perf_counter() - started:.2f} s")
        for format in reports.FORMATS:
            started = time.perf_counter()
            text = reports.render(shown, format)
            print(f"  {format:8} {time.perf_counter() - started:6.2f} s  {len(text) / 1024:8.0f} KB")


if __name__ == "__main__":
    main()
