"""The derive stage: tables computed from the canonical kinds, read by rules like any kind.

One module per family: ``stays`` (stay points and the export's visits), ``places``
(clusters of stays, labelled home, work...), ``nights`` (home, work, away), ``merchants``
(the ``payments`` table: normalised merchants and categories), ``recurring``, ``income``
and ``cashflow``; ``common`` holds evidence back-references, local time and list matching.
The tables are declared, and their builders registered, in :mod:`auditor.engine.derived`;
docs/derived-tables.md says what each holds and which thresholds are design defaults.
"""
