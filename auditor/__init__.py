"""auditor: read your own data exports the way scorers would, offline."""

__version__ = "0.1.0"
