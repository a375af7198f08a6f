"""vCard address books: names and organisations kept, phones and e-mails only as one-way keys."""

from __future__ import annotations

from pathlib import Path

from auditor.dataset import import_file, load_dataset
from auditor.importers import vcard
from auditor.importers.base import FileRef

IMPORTER = vcard.IMPORTERS[0]
SECRETS = (
    "zoe.martin@example.com",
    "555-0143",
    "5550143",
    "555-0199",
    "linh.nguyen",
    "4915112345678",
    "base64",
)


def _load(path: Path):
    frames, report = import_file(FileRef(path), IMPORTER)
    return frames.get("contacts"), report


def test_cards_of_every_version(data_dir):
    contacts, report = _load(data_dir / "vcard" / "contacts.vcf")
    assert report.rows_read == 6
    assert contacts["name"].tolist() == [
        "Zoë Martin",
        "Quick Cash Bail Bonds",
        "Linh Nguyen",
        "Jürgen Müller",
    ]
    assert contacts["record"].tolist() == [1, 12, 21, 28]  # the line of each BEGIN:VCARD
    assert contacts["organization"].tolist()[:2] == [
        "Hoboken University Medical Center",
        "Quick Cash Bail Bonds, LLC",
    ]
    assert contacts["groups"].iloc[0] == "Work,myContacts"
    assert set(contacts["relation"]) == {"contact"} and set(contacts["source"]) == {"contacts"}
    assert contacts["time"].isna().all()
    skipped = {group.reason: group.records for group in report.skipped.values()}
    assert skipped == {
        "card with no name, organisation, phone or e-mail": [34],
        "card not closed by END:VCARD (the file may be cut short)": [38],
    }


def test_no_phone_or_email_is_kept(data_dir):
    contacts, report = _load(data_dir / "vcard" / "contacts.vcf")
    flat = " ".join([*contacts.astype("string").fillna("").to_numpy().ravel(), *report.notes])
    for secret in SECRETS:
        assert secret not in flat
    assert contacts["key"].nunique() == 4


def test_same_person_in_two_books_gets_one_key(tmp_path):
    one = tmp_path / "phone.vcf"
    two = tmp_path / "icloud.vcf"
    one.write_text("BEGIN:VCARD\nVERSION:3.0\nFN:Sam\nTEL:+1 (201) 555-0100\nEND:VCARD\n")
    two.write_text(
        "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Sam R.\r\nTEL;VALUE=uri:tel:201-555-0100\r\nEND:VCARD\r\n"
    )
    dataset = load_dataset([one, two])
    assert dataset.frames["contacts"]["key"].nunique() == 1


def test_not_a_vcard(data_dir):
    _contacts, report = _load(data_dir / "vcard" / "not_vcard.vcf")
    assert report.error is not None and "expected a vCard" in report.error
