"""The importer registry: one explicit tuple, one module per export format.

Order matters only to break ties between equal sniff confidences and to decide which
copy of a duplicated point wins (earlier wins): raw device fixes before the points a
provider reconstructed from them.
"""

from __future__ import annotations

from importlib import import_module

from auditor.importers.base import Importer

# Module names under auditor.importers, each exporting IMPORTERS (a tuple of Importer).
_MODULES: tuple[str, ...] = (
    # Google location history, every generation
    "google_records",
    "google_semantic",
    "google_extras",
    "google_ondevice",
    # Other location trackers
    "gpx",
    "owntracks",
    "overland",
    "gpslogger",
    "polarsteps",
    # Banks and cards
    "bank_csv",
    "ofx",
    # Ride-hail, delivery and ratings
    "uber_trips",
    "uber_eats",
    "uber_ratings",
    "lyft",
    "doordash",
    # Tolls, online orders, social media and address books
    "ezpass",
    "amazon_orders",
    "twitter_archive",
    "meta_archive",
    "vcard",
)


def _collect() -> tuple[Importer, ...]:
    found: list[Importer] = []
    for name in _MODULES:
        module = import_module(f"auditor.importers.{name}")
        found.extend(module.IMPORTERS)
    ids = [importer.id for importer in found]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise RuntimeError(f"importer ids registered twice: {sorted(duplicates)}")
    return tuple(found)


REGISTRY: tuple[Importer, ...] = _collect()


def by_id(importer_id: str) -> Importer:
    for importer in REGISTRY:
        if importer.id == importer_id:
            return importer
    raise KeyError(importer_id)
