"""What the social media and contacts importers share: one-way keys, hashtags, mojibake.

Contacts, friends and followers are other people's data. The importers keep what a rule
needs (how many, of which kind, since when) and a display name to show as evidence; a
handle, e-mail address or phone number is reduced to a one-way key here, as it is read,
so that the same person seen twice counts once without the identifier being kept.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import pandas as pd

KEY_HEX_DIGITS = 16  # 64 bits: no collisions among a person's few thousand connections


def one_way_keys(provider: str, identifiers: Iterable[str | None]) -> list[str | None]:
    """A salted SHA-256 prefix per identifier (missing stays missing), never the identifier."""
    salt = f"auditor:{provider}:".encode()
    return [
        None
        if value is None or value == ""
        else hashlib.sha256(salt + value.strip().lower().encode()).hexdigest()[:KEY_HEX_DIGITS]
        for value in identifiers
    ]


def hashtags_of(texts: pd.Series) -> pd.Series:
    """Hashtags written in the text, lower case, space separated; missing where none."""
    found = texts.astype("string").str.findall(r"#(\w+)")
    joined = found.map(lambda tags: " ".join(tag.lower() for tag in tags) if isinstance(tags, list) else None)
    joined = joined.astype("string")
    return joined.mask(joined == "")


def repair_mojibake(values: pd.Series) -> pd.Series:
    """Undo Facebook's and Instagram's double encoding, where it is present.

    Meta's JSON exports write each UTF-8 byte as its own ``\\u00XX`` escape, so "café"
    arrives as "cafÃ©". Re-encoding as Latin-1 gives back the original bytes; a value that
    does not survive that round trip was not double-encoded and is kept as it is.
    """
    text = values.astype("string")

    def fix(value: object) -> object:
        if not isinstance(value, str) or value.isascii():
            return value
        try:
            return value.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return value

    return text.map(fix, na_action="ignore").astype("string")
