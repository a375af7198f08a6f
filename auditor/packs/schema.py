"""The JSON Schema of the pack format, generated from the models (never written by hand).

``rules/schema.json`` is this schema; a test fails when it is stale. A pack that starts
with ``# yaml-language-server: $schema=schema.json`` gets completion and checks in editors.
"""

from __future__ import annotations

import json
from typing import Any

from auditor.engine.measures import MEASURES
from auditor.packs.model import Pack

SCHEMA_ID = "https://auditor.invalid/schemas/pack.schema.json"


def pack_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) for a rule pack."""
    schema = Pack.model_json_schema(by_alias=True, mode="validation")
    _shorthand(schema, "Basis", {"const": "design"})
    _shorthand(schema, "Threshold", {"type": "number", "description": "a bare number means at_least"})
    words = [m.name for m in MEASURES.values() if m.default is not None]
    _shorthand(schema, "Measure", {"enum": words, "description": "a measure that needs no argument"})
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}


def _shorthand(schema: dict[str, Any], name: str, short: dict[str, Any]) -> None:
    """The models accept a short form (``basis: design``); say so in the schema too."""
    full = schema["$defs"][name]
    schema["$defs"][name] = {"description": full.get("description", ""), "anyOf": [short, full]}


def schema_text() -> str:
    """The schema as the exact text of rules/schema.json."""
    return json.dumps(pack_schema(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"
