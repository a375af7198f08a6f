"""Address books as vCard (``.vcf``): versions 2.1, 3.0 (RFC 2426) and 4.0 (RFC 6350).

Google Contacts, Apple Contacts/iCloud and Android all export one file holding every card::

    BEGIN:VCARD
    VERSION:3.0
    FN:Zoë Martin
    N:Martin;Zoë;;;
    ORG:Hoboken University Medical Center;Nursing
    TEL;TYPE=CELL:+1 201 555 0143
    EMAIL;TYPE=INTERNET:zoe@example.com
    CATEGORIES:Work,myContacts
    END:VCARD

What a scorer reads from it is the size and make-up of a person's network (Sesame's
"interpersonal relationships"; the lender who asks for the address book): how many
people, which organisations, which labels ("Bail bonds", "Probation"). Each card becomes
one ``contacts`` row with relation ``contact``.

Privacy: contacts are other people's data. Only the display name (to show as evidence),
the organisation and the person's own labels are kept; phone numbers and e-mail addresses
are reduced to a one-way key as the card is read (so the same person in two address books
counts once) and never kept. Photos, addresses, birthdays and notes are not read.

Parsing follows RFC 6350 §3.2 and §3.4: folded lines (a line starting with a space or tab
continues the previous one) are joined, ``\\,`` ``\\;`` ``\\n`` are unescaped, property
names may carry a group (``item1.EMAIL``) and parameters (``TEL;TYPE=CELL``); 2.1 cards
written ``ENCODING=QUOTED-PRINTABLE`` are decoded. A card's record number is the line of
its ``BEGIN:VCARD``. A card without ``END:VCARD`` (a cut file) is skipped and counted.
"""

from __future__ import annotations

import quopri
import re

import numpy as np
import pandas as pd

from auditor.importers.base import BadInput, FileRef, Head, Importer, ImportReport, frame, strip_bom
from auditor.importers.social_common import one_way_keys

IMPORTER_ID = "vcard"
SOURCE = "contacts"

_BEGIN = re.compile(r"^BEGIN:VCARD[ \t]*\r?$", re.IGNORECASE | re.MULTILINE)
_END = re.compile(r"^END:VCARD[ \t]*\r?$", re.IGNORECASE | re.MULTILINE)
_FOLD = re.compile(r"\r?\n[ \t]")
# group.NAME;params:value
_PROPERTY = re.compile(
    r"^(?:[\w-]+\.)?(?P<name>[A-Za-z][\w-]*)(?P<params>;[^:\r\n]*)?:(?P<value>.*?)\r?$", re.MULTILINE
)
_WANTED = {"FN", "N", "ORG", "CATEGORIES", "TEL", "EMAIL", "IMPP"}


def sniff(head: Head) -> float:
    """A file that starts with ``BEGIN:VCARD``."""
    return 0.95 if head.text.lstrip().upper().startswith("BEGIN:VCARD") else 0.0


def load(ref: FileRef, report: ImportReport) -> dict[str, pd.DataFrame]:
    """Read every card: name, organisation, labels and a one-way key; nothing else."""
    text = _decode(strip_bom(ref.read_bytes()), report)
    starts = [match.start() for match in _BEGIN.finditer(text)]
    if not starts:
        raise BadInput("no BEGIN:VCARD line; expected a vCard (.vcf) address book")
    report.detail = "vCard address book (names and organisations kept; phones and e-mails one-way keys)"
    report.timezone = "no times in the file"
    # Line of each BEGIN:VCARD: the newlines before it, found once for the whole file.
    newlines = np.fromiter((m.start() for m in re.finditer("\n", text)), dtype="int64")
    lines = np.searchsorted(newlines, np.asarray(starts, dtype="int64")) + 1
    ends = [*starts[1:], len(text)]
    names: list[str | None] = []
    orgs: list[str | None] = []
    groups: list[str | None] = []
    identifiers: list[str | None] = []
    unclosed = np.zeros(len(starts), dtype=bool)
    empty = np.zeros(len(starts), dtype=bool)
    for index, (start, end) in enumerate(zip(starts, ends, strict=True)):
        card = text[start:end]
        close = _END.search(card)
        if close is None:
            unclosed[index] = True
            card_props: dict[str, str] = {}
        else:
            card_props = _properties(card[: close.start()])
        name = card_props.get("FN") or _name_from_n(card_props.get("N"))
        org = _first_component(card_props.get("ORG"))
        names.append(name or org)
        orgs.append(org)
        groups.append(_unescape(card_props["CATEGORIES"]) if card_props.get("CATEGORIES") else None)
        identifiers.append(_identifier(card_props))
        empty[index] = not close is None and not (name or org or identifiers[-1])
    report.rows_read = len(starts)
    report.skip_many(lines[unclosed], "card not closed by END:VCARD (the file may be cut short)")
    report.skip_many(lines[empty], "card with no name, organisation, phone or e-mail")
    keep = ~(unclosed | empty)
    keys = one_way_keys(SOURCE, identifiers)
    data = {
        "name": pd.Series(names, dtype="string")[keep].to_numpy(),
        "key": [k for k, kept in zip(keys, keep, strict=True) if kept],
        "relation": "contact",
        "organization": pd.Series(orgs, dtype="string")[keep].to_numpy(),
        "groups": pd.Series(groups, dtype="string")[keep].to_numpy(),
        "provider": "vcard",
    }
    return {
        "contacts": frame("contacts", data, ref=ref, importer=IMPORTER_ID, source=SOURCE, records=lines[keep])
    }


def _decode(data: bytes, report: ImportReport) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        report.notes.append("the file is not UTF-8: read as Windows-1252")
        return data.decode("cp1252", errors="replace")


def _properties(card: str) -> dict[str, str]:
    """The first value of each wanted property in one card (folded lines joined)."""
    card = _FOLD.sub("", card)
    # Quoted-printable soft line breaks (vCard 2.1): a line ending in "=" continues.
    card = re.sub(r"=\r?\n", "", card) if "QUOTED-PRINTABLE" in card.upper() else card
    found: dict[str, str] = {}
    for match in _PROPERTY.finditer(card):
        name = match.group("name").upper()
        if name not in _WANTED or name in found:
            continue
        value = match.group("value")
        params = (match.group("params") or "").upper()
        if "QUOTED-PRINTABLE" in params:
            value = quopri.decodestring(value.encode("latin-1", errors="replace")).decode(
                "utf-8", errors="replace"
            )
        if value.strip():
            found[name] = value.strip()
    return found


def _unescape(value: str) -> str:
    return (
        value.replace("\\n", " ")
        .replace("\\N", " ")
        .replace("\\,", ",")
        .replace("\\;", ";")
        .replace("\\\\", "\\")
    )


def _first_component(value: str | None) -> str | None:
    """``ORG:Hospital;Nursing`` -> ``Hospital`` (components split on unescaped ``;``)."""
    if not value:
        return None
    first = re.split(r"(?<!\\);", value)[0]
    return _unescape(first).strip() or None


def _name_from_n(value: str | None) -> str | None:
    """``N:Family;Given;Additional;Prefix;Suffix`` -> ``Given Family``."""
    if not value:
        return None
    parts = [_unescape(p).strip() for p in re.split(r"(?<!\\);", value)]
    family = parts[0] if parts else ""
    given = parts[1] if len(parts) > 1 else ""
    return " ".join(p for p in (given, family) if p) or None


def _identifier(props: dict[str, str]) -> str | None:
    """The e-mail, else the phone digits, else the name: what tells this person apart."""
    if props.get("EMAIL"):
        return props["EMAIL"].removeprefix("mailto:")
    if props.get("TEL"):
        digits = re.sub(r"\D", "", props["TEL"])
        return digits[-10:] or None  # the national number: +1 201... and 201... are one person
    if props.get("IMPP"):
        return props["IMPP"]
    return props.get("FN") or _name_from_n(props.get("N"))


IMPORTERS = (
    Importer(
        id=IMPORTER_ID,
        title="Address book (vCard .vcf)",
        kinds=("contacts",),
        sniff=sniff,
        load=load,
    ),
)
