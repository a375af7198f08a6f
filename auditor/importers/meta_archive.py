"""Facebook and Instagram "Download your information" (JSON): posts, check-ins, friends, followers.

Recognised by the JSON's own keys and shape, never by the file name (Meta moved the files
between folders several times: ``posts/your_posts_1.json``, later
``your_facebook_activity/posts/your_posts__check_ins__photos_and_videos_1.json``;
``friends/friends.json``, ``friends_and_followers/friends.json``,
``connections/friends/your_friends.json``; Instagram's
``followers_and_following/followers_1.json`` and ``connections/followers_and_following/...``).

Shapes read:

* **Facebook posts**: an array of ``{"timestamp": 1600000000, "data": [{"post": "text"}],
  "attachments": [{"data": [{"place": {"name", "coordinate": {"latitude", "longitude"},
  "address"}}, {"media": {...}}]}], "title": "Jane Doe was at Shoprite."}``. A post with a
  place is a check-in (``type`` check_in, with the place and its coordinates); one with
  media but no text a photo.
* **Facebook friends**: ``{"friends_v2": [{"name": "...", "timestamp": ...}]}`` (older
  exports: ``"friends"``); also ``removed_friends_v2``, ``sent_requests_v2``,
  ``received_requests_v2``, each read as its own relation.
* **Instagram followers**: an array of ``{"title": "", "media_list_data": [],
  "string_list_data": [{"href": "https://www.instagram.com/x", "value": "x",
  "timestamp": ...}]}``; following and close friends are the same entries under
  ``{"relationships_following": [...]}`` / ``relationships_close_friends``. Since 2024 the
  handle may be in ``title`` with no ``value``.
* **Instagram posts**: an array of ``{"media": [{"uri", "creation_timestamp", "title"}],
  "title": "caption", "creation_timestamp": ...}``; a single-photo post has the caption and
  time on its one media item only.

Every text field arrives double-encoded (each UTF-8 byte written as ``\\u00XX``: "café"
reads "cafÃ©"); it is repaired as it is read. Timestamps are epoch seconds (UTC); no
local offset is written, so local time comes from ``--timezone``.

Privacy: friends and followers are other people's data. A contact keeps the name shown
as evidence, a one-way key of the handle or name (so the same person counts once), the
relation and the date; profile links are not kept. Instagram's files name people only by
handle, so the handle is what is shown.
"""

from __future__ import annotations

from typing import Any

import msgspec
import numpy as np
import pandas as pd

from auditor.importers.base import BadInput, FileRef, Head, Importer, ImportReport, frame
from auditor.importers.parsing import EARLIEST, LATEST, decode_json, epoch_to_utc, to_float, valid_coordinates
from auditor.importers.rideshare_common import plural
from auditor.importers.social_common import hashtags_of, one_way_keys, repair_mojibake

IMPORTER_ID = "meta-archive"

# Top-level keys of the connection files and the relation each one is.
_FACEBOOK_LISTS = {
    "friends_v2": "friend",
    "friends": "friend",
    "removed_friends_v2": "removed_friend",
    "sent_requests_v2": "sent_request",
    "received_requests_v2": "received_request",
}
_INSTAGRAM_LISTS = {
    "relationships_following": "following",
    "relationships_followers": "follower",
    "relationships_close_friends": "close_friend",
}


# --- typed shapes (msgspec): unknown keys are ignored, missing ones default ----------------


class _Friend(msgspec.Struct):
    name: str | None = None
    timestamp: int | float | None = None


class _StringItem(msgspec.Struct):
    href: str | None = None
    value: str | None = None
    timestamp: int | float | None = None


class _IgEntry(msgspec.Struct):
    title: str | None = None
    string_list_data: list[_StringItem] = []


class _IgMedia(msgspec.Struct):
    uri: str | None = None
    creation_timestamp: int | float | None = None
    title: str | None = None


class _IgPost(msgspec.Struct):
    media: list[_IgMedia] = []
    title: str | None = None
    creation_timestamp: int | float | None = None


class _Coordinate(msgspec.Struct):
    latitude: float | None = None
    longitude: float | None = None


class _Place(msgspec.Struct):
    name: str | None = None
    coordinate: _Coordinate | None = None
    address: str | None = None


class _AttachmentData(msgspec.Struct):
    place: _Place | None = None
    media: dict[str, Any] | None = None


class _Attachment(msgspec.Struct):
    data: list[_AttachmentData] = []


class _PostData(msgspec.Struct):
    post: str | None = None


class _FbPost(msgspec.Struct):
    timestamp: int | float | None = None
    data: list[_PostData] = []
    attachments: list[_Attachment] = []
    title: str | None = None


# --- sniff ----------------------------------------------------------------------------------


def _shape(head: Head) -> str | None:
    """Which Meta file the head is, from its first keys; None when it is none of them."""
    text = head.compact
    if not text.startswith(("{", "[")):
        return None
    if text.startswith("{"):
        key = text[2 : text.find('"', 2)] if text.startswith('{"') else ""
        if (
            key in _FACEBOOK_LISTS
            and text.startswith(f'{{"{key}":[')
            and ('"name":' in text or text.startswith(f'{{"{key}":[]'))
        ):
            return "facebook-friends"
        if key in _INSTAGRAM_LISTS:
            return "instagram-connections"
        return None
    if '"string_list_data":' in text and ('"media_list_data":' in text or text.startswith('[{"title":')):
        return "instagram-connections"
    if text.startswith('[{"media":[{"uri":') or (
        text.startswith('[{"media":[') and '"creation_timestamp":' in text
    ):
        return "instagram-posts"
    if text.startswith('[{"timestamp":') and (
        '"data":[' in text or '"attachments":[' in text or '"title":' in text
    ):
        return "facebook-posts"
    return None


def sniff(head: Head) -> float:
    return 0.9 if _shape(head) else 0.0


# --- load -----------------------------------------------------------------------------------


def load(ref: FileRef, report: ImportReport) -> dict[str, pd.DataFrame]:
    """Read posts or connections, whichever the file holds."""
    data = ref.read_bytes()
    shape = _shape(Head(ref, data[:4096]))  # the same test sniff used
    if shape == "facebook-posts":
        return {"posts": _facebook_posts(ref, report, decode_json(ref, data, list[_FbPost]))}
    if shape == "instagram-posts":
        return {"posts": _instagram_posts(ref, report, decode_json(ref, data, list[_IgPost]))}
    if shape == "facebook-friends":
        lists = decode_json(ref, data, dict[str, Any])
        return {"contacts": _facebook_friends(ref, report, lists)}
    if shape == "instagram-connections":
        decoded = decode_json(ref, data, Any)
        return {"contacts": _instagram_connections(ref, report, decoded)}
    raise BadInput(
        "not a Facebook or Instagram posts, friends or followers file; expected JSON from "
        "Meta's Download your information"
    )


def _times(
    values: list[Any], report: ImportReport, records: np.ndarray, what: str
) -> tuple[pd.Series, np.ndarray]:
    """Epoch seconds to UTC; rows with no or an implausible time are skipped."""
    numbers = to_float(values)
    times = epoch_to_utc(numbers, "s")
    missing = numbers.isna().to_numpy()
    bad = (times.isna() | (times < EARLIEST) | (times >= LATEST)).to_numpy() & ~missing
    report.skip_many(records[missing], f"{what} without a timestamp")
    report.skip_many(records[bad], f"{what} timestamp is not a time between 1990 and 2100")
    return times, ~(missing | bad)


def _facebook_posts(ref: FileRef, report: ImportReport, posts: list[_FbPost]) -> pd.DataFrame:
    report.detail = "Facebook posts and check-ins"
    report.timezone = "epoch seconds (UTC); local time comes from --timezone"
    report.rows_read = len(posts)
    records = np.arange(len(posts), dtype="int64")
    times, keep = _times([p.timestamp for p in posts], report, records, "post")
    text = pd.Series([next((d.post for d in p.data if d.post), None) for p in posts], dtype="string")
    places = [next((d.place for a in p.attachments for d in a.data if d.place), None) for p in posts]
    media = np.array([any(d.media for a in p.attachments for d in a.data) for p in posts], dtype=bool)
    place_name = pd.Series([pl.name if pl else None for pl in places], dtype="string")
    lat = to_float([pl.coordinate.latitude if pl and pl.coordinate else None for pl in places])
    lon = to_float([pl.coordinate.longitude if pl and pl.coordinate else None for pl in places])
    on_globe = valid_coordinates(lat, lon)
    off_globe = ((lat.notna() | lon.notna()) & ~on_globe).to_numpy() & keep
    if off_globe.any():
        # The post and its place name stand; a position off the globe (or 0, 0) is damage.
        report.notes.append(
            f"{plural(int(off_globe.sum()), 'check-in')} with coordinates off the globe "
            f"(record {int(records[off_globe][0])}): kept without a position"
        )
    lat, lon = lat.where(on_globe), lon.where(on_globe)
    checkin = np.array([pl is not None for pl in places], dtype=bool)
    kind = np.where(checkin, "check_in", np.where(media & text.isna().to_numpy(), "photo", "post"))
    # A post with neither text, place nor media ("Jane updated her profile picture") still
    # says when she was active: kept, with the title as its text.
    titles = pd.Series([p.title for p in posts], dtype="string")
    text = repair_mojibake(text.where(text.notna(), titles))
    if checkin[keep].any():
        report.notes.append(f"{plural(int(checkin[keep].sum()), 'check-in')} with a named place")
    return _posts_frame(
        ref, records, keep, times, text, kind, repair_mojibake(place_name), lat, lon, "facebook"
    )


def _instagram_posts(ref: FileRef, report: ImportReport, posts: list[_IgPost]) -> pd.DataFrame:
    report.detail = "Instagram posts"
    report.timezone = "epoch seconds (UTC); local time comes from --timezone"
    report.rows_read = len(posts)
    records = np.arange(len(posts), dtype="int64")
    first = [p.media[0] if p.media else _IgMedia() for p in posts]
    stamps = [
        p.creation_timestamp if p.creation_timestamp is not None else m.creation_timestamp
        for p, m in zip(posts, first, strict=True)
    ]
    times, keep = _times(stamps, report, records, "post")
    captions = pd.Series(
        [p.title if p.title else m.title for p, m in zip(posts, first, strict=True)], dtype="string"
    )
    captions = repair_mojibake(captions.mask(captions == ""))
    kind = np.full(len(posts), "photo", dtype=object)
    empty = pd.Series(pd.NA, index=range(len(posts)), dtype="string")
    nan = pd.Series(np.nan, index=range(len(posts)))
    return _posts_frame(ref, records, keep, times, captions, kind, empty, nan, nan, "instagram")


def _posts_frame(
    ref: FileRef,
    records: np.ndarray,
    keep: np.ndarray,
    times: pd.Series,
    text: pd.Series,
    kind: np.ndarray,
    place: pd.Series,
    lat: pd.Series,
    lon: pd.Series,
    provider: str,
) -> pd.DataFrame:
    data = {
        "time": times[keep],
        "text": text[keep].to_numpy(),
        "type": kind[keep],
        "hashtags": hashtags_of(text)[keep].to_numpy(),
        "place": place[keep].to_numpy(),
        "lat": lat[keep].to_numpy(),
        "lon": lon[keep].to_numpy(),
        "provider": provider,
    }
    return frame("posts", data, ref=ref, importer=IMPORTER_ID, source=provider, records=records[keep])


def _facebook_friends(ref: FileRef, report: ImportReport, lists: dict[str, Any]) -> pd.DataFrame:
    names: list[Any] = []
    stamps: list[Any] = []
    relations: list[str] = []
    for key, relation in _FACEBOOK_LISTS.items():
        entries = lists.get(key)
        if not isinstance(entries, list):
            continue
        try:
            friends = msgspec.convert(entries, list[_Friend], strict=False) if entries else []
        except msgspec.ValidationError as error:
            raise BadInput(f"a Facebook {relation} entry does not have the expected shape: {error}") from None
        names.extend(f.name for f in friends)
        stamps.extend(f.timestamp for f in friends)
        relations.extend([relation] * len(friends))
    report.detail = "Facebook friends (names shown as evidence, keys one-way)"
    return _contacts_frame(ref, report, names, names, stamps, relations, "facebook")


def _instagram_connections(ref: FileRef, report: ImportReport, decoded: Any) -> pd.DataFrame:
    if isinstance(decoded, list):
        groups = {"follower": decoded}
    elif isinstance(decoded, dict):
        groups = {relation: decoded.get(key) for key, relation in _INSTAGRAM_LISTS.items() if key in decoded}
    else:
        raise BadInput("expected an Instagram followers array or a relationships_* object")
    handles: list[Any] = []
    stamps: list[Any] = []
    relations: list[str] = []
    for relation, entries in groups.items():
        if not isinstance(entries, list):
            raise BadInput(f"the {relation} list is not an array; expected Instagram connections")
        try:
            items = msgspec.convert(entries, list[_IgEntry], strict=False)
        except msgspec.ValidationError as error:
            raise BadInput(
                f"an Instagram {relation} entry does not have the expected shape: {error}"
            ) from None
        for item in items:
            first = item.string_list_data[0] if item.string_list_data else _StringItem()
            handles.append(first.value or item.title or _handle_from_link(first.href))
            stamps.append(first.timestamp)
            relations.append(relation)
    report.detail = "Instagram followers and following (handles shown, keys one-way)"
    return _contacts_frame(ref, report, handles, handles, stamps, relations, "instagram")


def _handle_from_link(href: str | None) -> str | None:
    if not href:
        return None
    return href.rstrip("/").rsplit("/", 1)[-1] or None


def _contacts_frame(
    ref: FileRef,
    report: ImportReport,
    names: list[Any],
    identifiers: list[Any],
    stamps: list[Any],
    relations: list[str],
    provider: str,
) -> pd.DataFrame:
    report.timezone = "epoch seconds (UTC)"
    report.rows_read = len(names)
    records = np.arange(len(names), dtype="int64")
    shown = repair_mojibake(pd.Series(names, dtype="string"))
    missing = shown.isna().to_numpy() | (shown.str.strip() == "").fillna(True).to_numpy()
    report.skip_many(records[missing], "connection without a name or handle")
    numbers = to_float(stamps)
    times = epoch_to_utc(numbers, "s")
    times = times.mask((times < EARLIEST) | (times >= LATEST))
    keep = ~missing
    keys = one_way_keys(provider, [str(i) if i is not None else None for i in identifiers])
    data = {
        "time": times[keep],
        "name": shown[keep].to_numpy(),
        "key": [k for k, kept in zip(keys, keep, strict=True) if kept],
        "relation": np.asarray(relations, dtype=object)[keep],
        "provider": provider,
    }
    return frame("contacts", data, ref=ref, importer=IMPORTER_ID, source=provider, records=records[keep])


IMPORTERS = (
    Importer(
        id=IMPORTER_ID,
        title="Facebook and Instagram data download (posts, check-ins, friends, followers)",
        kinds=("posts", "contacts"),
        sniff=sniff,
        load=load,
    ),
)
