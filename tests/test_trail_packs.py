"""The packs read the rest of the trail on the personas: tolls, orders, posts and contacts.

The persona check (test_persona_check.py) proves that every planted record is found; this
file checks the values the trail rules measure against counts made straight from the
persona files, without any importer, and that each inference's evidence is what it says.
"""

from __future__ import annotations

import json
import re
import zipfile

import pytest
from test_persona_check import SAMPLES, audit

TRAIL_KINDS = ("tolls", "orders", "posts", "contacts")


def _finding(persona: str, pack: str, rule: str):
    result = audit(persona)
    found = next(p for p in result.packs if p.pack.id == pack)
    return result, next(f for f in found.findings if f.rule == rule)


def _evidence(persona: str, pack: str, rule: str):
    result, finding = _finding(persona, pack, rule)
    return finding, result.frame(finding.kind).iloc[list(finding.evidence)]


def _js_array(archive: zipfile.ZipFile, member: str) -> list:
    raw = archive.read(member).decode()
    return json.loads(raw[raw.index("=") + 1 :])


def test_commuter_tolls_every_crossing_of_the_statement():
    statement = next(SAMPLES.glob("comfortable-commuter/ezpass-activity-*.csv")).read_text().splitlines()
    crossings = [line for line in statement[1:] if ",TOLL," in line]
    for pack, rule in (("sensitive", "toll-records"), ("insurer", "toll-mileage")):
        finding, rows = _evidence("comfortable-commuter", pack, rule)
        assert finding.fired and finding.value == len(crossings) == len(rows)
    _, late = _finding("comfortable-commuter", "insurer", "late-night-tolls")
    assert not late.fired and late.value == 0  # the Atlantic City drives are in the afternoon


def test_commuter_pregnancy_orders_are_the_target_products_of_the_last_weeks():
    with zipfile.ZipFile(SAMPLES / "comfortable-commuter" / "Your Orders.zip") as archive:
        text = archive.read("Retail.OrderHistory.1/Retail.OrderHistory.1.csv").decode("utf-8-sig")
    target = re.compile(r"fragrance free|cotton balls|zinc|magnesium|prenatal|pregnancy test", re.IGNORECASE)
    expected = {
        line.split('","')[23] for line in text.splitlines()[1:] if target.search(line.split('","')[23])
    }
    finding, rows = _evidence("comfortable-commuter", "sensitive", "pregnancy-orders")
    assert finding.fired and finding.value == len(expected) == 6
    assert set(rows["item"]) == expected
    assert finding.legal and "Art. 9" in finding.legal


def test_commuter_what_canadian_tire_would_read():
    good, rows = _evidence("comfortable-commuter", "cashflow", "good-risk-purchases")
    assert good.fired and sorted(rows["item"].str.split().str[0]) == ["First", "X-PROTECTOR"]
    gambling, rows = _evidence("comfortable-commuter", "cashflow", "gambling-goods")
    assert gambling.fired and rows["item"].str.contains("Poker Chips").all()
    _, risky = _finding("comfortable-commuter", "cashflow", "risky-purchases")
    assert not risky.fired


def test_driver_tweets_at_night_and_about_money():
    archive_path = next(SAMPLES.glob("gig-driver/twitter-*.zip"))
    with zipfile.ZipFile(archive_path) as archive:
        tweets = [item["tweet"]["full_text"] for item in _js_array(archive, "data/tweets.js")]
    money = [t for t in tweets if re.search(r"payday loan|overdraft|bounced", t)]
    finding, rows = _evidence("gig-driver", "landlord", "money-stress-posts")
    assert finding.fired and finding.value == len(money) == len(rows) > 0
    night, rows = _evidence("gig-driver", "landlord", "posts-at-night")
    assert night.fired and night.value == len(rows) >= 5
    assert set(rows["source"]) == {"x"}


def test_network_size_counts_each_person_once_per_platform():
    folder = SAMPLES / "night-shift-nurse"
    cards = (folder / "contacts.vcf").read_text().count("BEGIN:VCARD")
    with zipfile.ZipFile(next(folder.glob("facebook-*.zip"))) as archive:
        friends = len(json.loads(archive.read("connections/friends/your_friends.json"))["friends_v2"])
    with zipfile.ZipFile(next(folder.glob("instagram-*.zip"))) as archive:
        followers = json.loads(archive.read("connections/followers_and_following/followers_1.json"))
        following = json.loads(archive.read("connections/followers_and_following/following.json"))
    handles = {e["string_list_data"][0]["value"] for e in followers}
    handles |= {e["title"] for e in following["relationships_following"]}
    finding, rows = _evidence("night-shift-nurse", "sesame", "network-size")
    assert finding.fired and finding.value == cards + friends + len(handles)
    assert len(rows) == cards + friends + len(followers) + len(following["relationships_following"])
    # Names are there to show evidence; no phone number or e-mail address ever is.
    shown = " ".join(rows.astype("string").fillna("").to_numpy().ravel())
    assert "+44 7700" not in shown and "@example.invalid" not in shown


@pytest.mark.parametrize("persona", ["night-shift-nurse", "gig-driver", "comfortable-commuter"])
def test_trail_rules_abstain_where_the_persona_has_no_such_export(persona):
    result = audit(persona)
    present = {kind for kind in TRAIL_KINDS if len(result.dataset.frames[kind])}
    for pack in result.packs:
        for finding in pack.findings:
            if finding.kind in TRAIL_KINDS and finding.kind not in present:
                assert finding.abstained, (pack.pack.id, finding.rule)
    assert present, persona
