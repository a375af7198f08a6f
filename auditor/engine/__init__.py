"""The rule engine: compiled rules evaluated over an audit's frames, pure and vectorised.

:mod:`~auditor.engine.operators` and :mod:`~auditor.engine.measures` are the two tables
that declare what a condition can test and what a rule can measure;
:mod:`~auditor.engine.compile` turns a validated rule into cached vectorised steps;
:mod:`~auditor.engine.context` holds the audit's frames, clock and caches;
:mod:`~auditor.engine.derived` declares derived tables. No I/O, no system clock.
"""
