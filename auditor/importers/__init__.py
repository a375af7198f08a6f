"""One module per export format; the registry that lists them is :mod:`auditor.registry`."""
