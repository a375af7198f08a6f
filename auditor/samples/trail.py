"""The rest of the trail: toll statements, Amazon orders, social media archives, address books.

These writers format what the simulated life already holds (the drives to Atlantic City,
the night shifts, the payday loan) and add what only they know (what was ordered, what
was posted, who is in the address book). They draw from a random stream of their own,
seeded from the persona, the seed and the word "trail" (:func:`trail_random`), and run
after every other writer: adding them leaves every file the personas had before
byte-identical, and the ground truth only gains signals and files.

Layouts follow the importers (``auditor/importers/ezpass.py``, ``amazon_orders.py``,
``twitter_archive.py``, ``meta_archive.py``, ``vcard.py``), which document their sources.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from auditor.samples.formatting import csv_text, iso_z
from auditor.samples.life import Life, Place
from auditor.samples.output import Archive, ZipTime
from auditor.samples.spec import Run
from auditor.samples.truth import Truth


def snippet(text: str, length: int = 40) -> str:
    """What the ground truth quotes of a record: its ASCII start, which reads the same in the file
    whatever the escaping (Meta's mojibake, JSON's ``\\u`` escapes)."""
    end = next((i for i, ch in enumerate(text) if not ch.isascii()), len(text))
    return text[: min(end, length)].rstrip()


def trail_random(run: Run) -> random.Random:
    """The trail's own random stream: the life's stream is never drawn from here."""
    return random.Random(f"auditor-trail:{run.persona}:{run.seed}")


def local_instant(life: Life, day: date, hours: float, rng: random.Random) -> datetime:
    """UTC instant of local ``hours`` after midnight of ``day``, with a few seconds' jitter."""
    whole, rest = divmod(hours, 24)
    local_day = day + timedelta(days=int(whole))
    naive = datetime(local_day.year, local_day.month, local_day.day) + timedelta(
        seconds=round(rest * 3600) + rng.randrange(0, 240)
    )
    return naive.replace(tzinfo=life.tz).astimezone(UTC)


# --- E-ZPass ----------------------------------------------------------------------------

EZPASS_HEADER = [
    "POSTING DATE", "TRANSACTION DATE", "TAG/PLATE NUMBER", "AGENCY", "ACTIVITY", "PLAZA ID", "ENTRY TIME",
    "ENTRY PLAZA", "ENTRY LANE", "EXIT TIME", "EXIT PLAZA", "EXIT LANE", "VEHICLE TYPE CODE", "AMOUNT", "PREPAID",
    "PLAN/RATE", "FARE TYPE", "BALANCE",
]  # fmt: skip


@dataclass(frozen=True)
class Plaza:
    """A toll plaza as a statement names it, with the E-ZPass toll for a car."""

    agency: str
    plaza_id: str
    name: str
    toll: float


@dataclass(frozen=True)
class Crossing:
    """One pass through a plaza: when, where, which lane, and the signals it carries."""

    time: datetime
    plaza: Plaza
    lane: int
    tags: tuple[str, ...] = ()


def _dollars(amount: float) -> str:
    """E-ZPass money: ``$1.91``, credits in parentheses ``($25.00)``."""
    return f"(${-amount:,.2f})" if amount < 0 else f"${amount:,.2f}"


def ezpass_csv(
    life: Life, crossings: Sequence[Crossing], tag: str, balance: float, replenish: float, truth: Truth, file: str
) -> bytes:
    """An E-ZPass NJ-style statement: tolls in time order, an auto-replenishment when low."""
    rows: list[list[object]] = [EZPASS_HEADER]
    for crossing in sorted(crossings, key=lambda c: c.time):
        local = life.local(crossing.time)
        posted = local.date() + timedelta(days=1)
        if balance - crossing.plaza.toll < 10.0:
            balance += replenish
            rows.append([
                f"{posted:%-m/%-d/%Y}", f"{local:%-m/%-d/%Y}", "-", "-", "PAYMENT", "-", "-", "-", "-", "-", "-", "-",
                "-", _dollars(-replenish), "Y", "-", "-", _dollars(balance),
            ])  # fmt: skip
        balance -= crossing.plaza.toll
        truth.mark(crossing.tags, file, "tolls", len(rows) + 1, crossing.plaza.name)
        fare = "EZP Peak" if local.weekday() < 5 and local.hour in (6, 7, 8, 16, 17, 18) else "EZP Off-Peak"
        rows.append([
            f"{posted:%-m/%-d/%Y}", f"{local:%-m/%-d/%Y}", tag, crossing.plaza.agency, "TOLL", crossing.plaza.plaza_id,
            "-", "-", "-", f"{local:%H:%M:%S}", crossing.plaza.name, f"{crossing.lane:02d}", "2",
            _dollars(crossing.plaza.toll), "Y", "STANDARD", fare, _dollars(balance),
        ])  # fmt: skip
    return csv_text(rows, line_end="\r\n").encode()


def crossings_on_moves(
    life: Life, place_key: str, outbound: Sequence[tuple[float, Plaza]], inbound: Sequence[tuple[float, Plaza]],
    rng: random.Random, tags: tuple[str, ...],
) -> list[Crossing]:
    """Plazas passed on every drive to and from one place, at fractions of each journey."""
    found: list[Crossing] = []
    for move in life.moves():
        if move.mode != "IN_PASSENGER_VEHICLE":
            continue
        route = outbound if move.dest.key == place_key else inbound if move.origin.key == place_key else ()
        for fraction, plaza in route:
            when = move.start + (move.end - move.start) * fraction + timedelta(seconds=rng.randrange(-90, 90))
            found.append(Crossing(when.replace(microsecond=0), plaza, rng.randrange(1, 14), tags))
    return found


# --- Amazon -----------------------------------------------------------------------------

AMAZON_HEADER = [
    "Website", "Order ID", "Order Date", "Purchase Order Number", "Currency", "Unit Price", "Unit Price Tax",
    "Shipping Charge", "Total Discounts", "Total Owed", "Shipment Item Subtotal", "Shipment Item Subtotal Tax", "ASIN",
    "Product Condition", "Quantity", "Payment Instrument Type", "Order Status", "Shipment Status", "Ship Date",
    "Shipping Option", "Shipping Address", "Billing Address", "Carrier Name & Tracking Number", "Product Name",
    "Gift Message", "Gift Sender Name", "Gift Recipient Contact Details",
]  # fmt: skip


@dataclass(frozen=True)
class Product:
    name: str
    asin: str
    price: float
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class AmazonOrder:
    time: datetime
    items: tuple[tuple[Product, int], ...]


def amazon_csv(
    orders: Sequence[AmazonOrder], address: str, card: str, tax_rate: float, rng: random.Random, truth: Truth, file: str
) -> bytes:
    """``Retail.OrderHistory.1.csv`` of the Request Your Data download: one row per item, all quoted."""
    rows: list[list[object]] = [AMAZON_HEADER]
    for order in sorted(orders, key=lambda o: o.time):
        order_id = f"11{rng.randrange(1, 5)}-{rng.randrange(10**6, 10**7)}-{rng.randrange(10**6, 10**7)}"
        shipped = order.time + timedelta(hours=rng.randrange(8, 30), minutes=rng.randrange(60))
        tracking = f"AMZN_US(TBA{rng.randrange(10**11, 10**12)})"
        for product, quantity in order.items:
            tax = round(product.price * tax_rate, 2)
            truth.mark(product.tags, file, "orders", len(rows) + 1, product.name)
            rows.append([
                "Amazon.com", order_id, iso_z(order.time, millis=False), "Not Applicable", "USD", f"{product.price:.2f}",
                f"{tax:.2f}", "0", "0", f"{quantity * (product.price + tax):.2f}", f"{quantity * product.price:.2f}",
                f"{quantity * tax:.2f}", product.asin, "New", str(quantity), card, "Closed", "Shipped",
                iso_z(shipped, millis=False), "std-us", address, address, tracking, product.name, "Not Available",
                "Not Available", "Not Available",
            ])  # fmt: skip
    return ("\ufeff" + csv_text(rows, quote_all=True)).encode()


# --- X (Twitter) archive --------------------------------------------------------------------


@dataclass(frozen=True)
class Post:
    """One post, tweet or photo: when, what it says, and the signals it carries."""

    time: datetime
    text: str
    tags: tuple[str, ...] = ()
    place: Place | None = None
    likes: int = 0


def _js(name: str, items: list[dict[str, object]]) -> bytes:
    """A ``data/*.js`` file: the JSON array behind ``window.YTD.<name>.part0 =``."""
    return (f"window.YTD.{name}.part0 = " + json.dumps(items, indent=2, ensure_ascii=False)).encode()


def twitter_archive(
    posts: Sequence[Post], followers: Sequence[str], following: Sequence[str], rng: random.Random,
    truth: Truth, archive_name: str, date_time: ZipTime,
) -> Archive:
    """``data/tweets.js``, ``data/follower.js`` and ``data/following.js`` of an X archive."""
    tweets_file = f"{archive_name}!data/tweets.js"
    tweets = []
    for index, post in enumerate(sorted(posts, key=lambda p: p.time)):
        tweet_id = str(1_840_000_000_000_000_000 + int(post.time.timestamp()) * 1000 + rng.randrange(1000))
        truth.mark(post.tags, tweets_file, "posts", index, snippet(post.text))
        hashtags = [
            {"text": word[1:].rstrip(".,!?"), "indices": ["0", "0"]} for word in post.text.split() if word.startswith("#")
        ]
        tweets.append({
            "tweet": {
                "edit_info": {"initial": {"editTweetIds": [tweet_id], "editableUntil": iso_z(post.time + timedelta(hours=1)), "editsRemaining": "5", "isEditEligible": True}},
                "retweeted": False,
                "source": '<a href="http://twitter.com/download/android" rel="nofollow">Twitter for Android</a>',
                "entities": {"hashtags": hashtags, "symbols": [], "user_mentions": [], "urls": []},
                "display_text_range": ["0", str(len(post.text))],
                "favorite_count": str(post.likes),
                "id_str": tweet_id,
                "truncated": False,
                "retweet_count": "0",
                "id": tweet_id,
                "created_at": post.time.astimezone(UTC).strftime("%a %b %d %H:%M:%S +0000 %Y"),
                "favorited": False,
                "full_text": post.text.replace("&", "&amp;"),
                "lang": "en",
            }
        })  # fmt: skip
    members: list[tuple[str, bytes]] = [("data/tweets.js", _js("tweets", tweets))]
    for name, ids in (("follower", followers), ("following", following)):
        file = f"{archive_name}!data/{name}.js"
        items = []
        for index, account in enumerate(ids):
            truth.mark(("social-network",), file, "contacts", index, account)
            items.append({name: {"accountId": account, "userLink": f"https://twitter.com/intent/user?user_id={account}"}})
        members.append((f"data/{name}.js", _js(name, items)))
    return Archive(members, date_time)  # type: ignore[arg-type]


def account_ids(rng: random.Random, count: int) -> list[str]:
    return [str(rng.randrange(10**8, 10**19)) for _ in range(count)]


# --- Facebook and Instagram ---------------------------------------------------------------


def mojibake(text: str) -> str:
    """What Meta writes: each UTF-8 byte as its own ``\\u00XX`` character ("café" -> "cafÃ©")."""
    return text.encode("utf-8").decode("latin-1")


def _meta_json(value: object) -> bytes:
    # ensure_ascii: Meta escapes every non-ASCII character (\u00c3\u00a9), which is what makes the mojibake.
    return json.dumps(value, indent=2, ensure_ascii=True).encode()


def facebook_archive(
    full_name: str, posts: Sequence[Post], friends: Sequence[tuple[str, datetime]], truth: Truth,
    archive_name: str, date_time: ZipTime,
) -> Archive:
    """Posts and check-ins, and the friends list, in the 2024 "Download your information" layout."""
    posts_member = "your_facebook_activity/posts/your_posts__check_ins__photos_and_videos_1.json"
    friends_member = "connections/friends/your_friends.json"
    entries = []
    for index, post in enumerate(sorted(posts, key=lambda p: p.time, reverse=True)):  # newest first, as Meta writes
        stamp = int(post.time.timestamp())
        truth.mark(post.tags, f"{archive_name}!{posts_member}", "posts", index, snippet(post.text))
        entry: dict[str, object] = {"timestamp": stamp}
        if post.place is not None:
            entry["attachments"] = [{"data": [{"place": {
                "name": mojibake(post.place.name),
                "coordinate": {"latitude": round(post.place.lat, 6), "longitude": round(post.place.lon, 6)},
                "address": mojibake(post.place.address), "url": "",
            }}]}]  # fmt: skip
            title = f"{full_name} was at {post.place.name}."
        else:
            title = f"{full_name} updated her status."
        entry["data"] = [{"post": mojibake(post.text)}, {"update_timestamp": stamp}]
        entry["title"] = mojibake(title)
        entries.append(entry)
    friend_entries = []
    for index, (name, since) in enumerate(friends):
        truth.mark(("social-network",), f"{archive_name}!{friends_member}", "contacts", index, snippet(name))
        friend_entries.append({"name": mojibake(name), "timestamp": int(since.timestamp())})
    members = [(posts_member, _meta_json(entries)), (friends_member, _meta_json({"friends_v2": friend_entries}))]
    return Archive(members, date_time)  # type: ignore[arg-type]


def instagram_archive(
    posts: Sequence[Post], followers: Sequence[tuple[str, datetime]], following: Sequence[tuple[str, datetime]],
    truth: Truth, archive_name: str, date_time: ZipTime,
) -> Archive:
    """Posts, followers and following in Instagram's 2024 layout."""
    posts_member = "your_instagram_activity/content/posts_1.json"
    followers_member = "connections/followers_and_following/followers_1.json"
    following_member = "connections/followers_and_following/following.json"
    entries = []
    for index, post in enumerate(sorted(posts, key=lambda p: p.time, reverse=True)):
        stamp = int(post.time.timestamp())
        truth.mark(post.tags, f"{archive_name}!{posts_member}", "posts", index, snippet(post.text))
        entries.append({"media": [{
            "uri": f"media/posts/{post.time:%Y%m}/{stamp % 10**8}.jpg", "creation_timestamp": stamp,
            "media_metadata": {"photo_metadata": {"exif_data": [{"source_type": "camera"}]}},
            "title": mojibake(post.text), "cross_post_source": {"source_app": "FB"},
        }]})  # fmt: skip
    follower_entries = []
    for index, (handle, since) in enumerate(followers):
        truth.mark(("social-network",), f"{archive_name}!{followers_member}", "contacts", index, handle)
        follower_entries.append({"title": "", "media_list_data": [], "string_list_data": [
            {"href": f"https://www.instagram.com/{handle}", "value": handle, "timestamp": int(since.timestamp())}
        ]})  # fmt: skip
    following_entries = []
    for index, (handle, since) in enumerate(following):
        truth.mark(("social-network",), f"{archive_name}!{following_member}", "contacts", index, handle)
        following_entries.append({"title": handle, "string_list_data": [
            {"href": f"https://www.instagram.com/_u/{handle}", "timestamp": int(since.timestamp())}
        ]})  # fmt: skip
    members = [
        (posts_member, _meta_json(entries)),
        (followers_member, _meta_json(follower_entries)),
        (following_member, _meta_json({"relationships_following": following_entries})),
    ]
    return Archive(members, date_time)  # type: ignore[arg-type]


# --- vCard ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str
    email: str = ""
    organization: str = ""
    groups: str = "myContacts"


def vcard_file(contacts: Sequence[Contact], truth: Truth, file: str) -> bytes:
    """Google Contacts' ``contacts.vcf``: vCard 3.0, CRLF, one card per person."""
    lines: list[str] = []
    for contact in contacts:
        truth.mark(("social-network",), file, "contacts", len(lines) + 1, "BEGIN:VCARD")
        given, _, family = contact.name.partition(" ")
        lines += ["BEGIN:VCARD", "VERSION:3.0", f"FN:{contact.name}", f"N:{family};{given};;;"]
        if contact.email:
            lines.append(f"EMAIL;TYPE=INTERNET:{contact.email}")
        lines.append(f"TEL;TYPE=CELL:{contact.phone}")
        if contact.organization:
            lines.append(f"ORG:{contact.organization}")
        lines += [f"CATEGORIES:{contact.groups}", "END:VCARD"]
    return ("\r\n".join(lines) + "\r\n").encode()


FIRST_NAMES = (
    "Aisha", "Ben", "Chloe", "Daniel", "Ella", "Femi", "Grace", "Hannah", "Ibrahim", "Jack", "Kemi", "Liam", "Maya",
    "Noah", "Olivia", "Priya", "Ravi", "Sophie", "Tom", "Uche", "Zoë", "Marta", "Jürgen", "Siobhán", "Chidi",
    "Lucía", "Mohammed", "Niamh", "Oskar", "Chanel",
)  # fmt: skip
LAST_NAMES = (
    "Adeyemi", "Brown", "Clarke", "Dasgupta", "Evans", "Fernández", "Green", "Hughes", "Ibrahim", "Jones", "Khan",
    "Lewis", "Müller", "Nowak", "O'Brien", "Patel", "Quinn", "Roberts", "Smith", "Taylor", "Usman", "Walker",
    "Young", "Zieliński",
)  # fmt: skip


def people(rng: random.Random, count: int) -> list[str]:
    """Invented full names, distinct."""
    found: dict[str, None] = {}
    while len(found) < count:
        found[f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"] = None
        if len(found) < count and rng.random() < 0.02:
            found[f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}-{rng.choice(LAST_NAMES)}"] = None
    return list(found)


def handle_of(name: str, rng: random.Random) -> str:
    base = "".join(ch for ch in name.lower().replace(" ", ".") if ch.isascii() and (ch.isalnum() or ch == "."))
    return f"{base}{rng.randrange(100) if rng.random() < 0.5 else ''}"


def moments_between(rng: random.Random, first: datetime, last: datetime, count: int) -> list[datetime]:
    """``count`` instants spread at random over a period, whole seconds, sorted."""
    first = min(first, last - timedelta(days=365))  # a run set in 2014 still has a year of history
    span = int((last - first).total_seconds())
    return sorted(first + timedelta(seconds=rng.randrange(span)) for _ in range(count))
