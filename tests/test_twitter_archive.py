"""The X/Twitter archive: tweets behind their JavaScript assignment, followers as one-way keys."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pandas as pd

from auditor.dataset import import_file, load_dataset
from auditor.importers import twitter_archive
from auditor.importers.base import FileRef
from auditor.sources import claim

IMPORTER = twitter_archive.IMPORTERS[0]


def _load(path: Path):
    return import_file(FileRef(path), IMPORTER)


def test_tweets_posts_replies_and_reposts(data_dir):
    frames, report = _load(data_dir / "twitter-archive" / "data" / "tweets.js")
    posts = frames["posts"]
    assert report.error is None and report.rows_read == 6
    assert posts["record"].tolist() == [0, 1, 2]
    assert posts["type"].tolist() == ["post", "repost", "reply"]
    assert posts["time"].tolist() == [
        pd.Timestamp("2024-03-11 14:42:19", tz="UTC"),
        pd.Timestamp("2024-03-12 03:10:00", tz="UTC"),
        pd.Timestamp("2024-03-12 04:01:33", tz="UTC"),
    ]
    assert posts["utc_offset_min"].isna().all()  # +0000 is UTC, not the sender's zone
    assert posts["text"].iloc[0] == "14 hours on the road today and still short #GigWork & rent"  # &amp;
    # Hashtags from the entities, or from the text where a repost's entities are empty.
    assert posts["hashtags"].tolist()[:2] == ["gigwork", "driversunion strike"]
    assert posts["likes"].tolist() == [2, 0, 1]
    assert (posts["lat"].iloc[2], posts["lon"].iloc[2]) == (40.6782, -73.9442)  # [lon, lat] in the file
    assert set(posts["source"]) == {"x"} and set(posts["provider"]) == {"x"}
    skipped = {group.reason: group.records for group in report.skipped.values()}
    assert skipped == {
        "created_at is not a time (e.g. 'Someday')": [3],
        "tweet without created_at": [4],
        "array entry without a tweet (no created_at, no text)": [5],
    }


def test_followers_keep_no_account_id(data_dir):
    path = data_dir / "twitter-archive" / "data" / "follower.js"
    frames, report = _load(path)
    contacts = frames["contacts"]
    assert contacts["relation"].tolist() == ["follower", "follower"]
    assert contacts["key"].str.len().tolist() == [16, 16] and contacts["key"].nunique() == 2
    assert [g.records for g in report.skipped.values()] == [[2]]
    flat = " ".join(contacts.astype("string").fillna("").to_numpy().ravel())
    assert "1480000000000000001" not in flat
    following, _ = _load(data_dir / "twitter-archive" / "data" / "following.js")
    # The same account seen as follower and following gets the same key: mutuals can be counted.
    assert following["contacts"]["key"].iloc[0] == contacts["key"].iloc[0]


def test_the_pre_2019_archive_without_the_tweet_wrapper(tmp_path):
    path = tmp_path / "tweet.js"
    tweets = [{"created_at": "Fri Jan 05 09:00:00 +0000 2018", "text": "old style", "favorite_count": 3}]
    path.write_text("window.YTD.tweet.part0 = " + json.dumps(tweets))
    frames, _report = _load(path)
    assert frames["posts"]["text"].tolist() == ["old style"] and frames["posts"]["likes"].tolist() == [3]


def test_archive_zip_is_read_in_place_and_other_files_are_left(data_dir, tmp_path):
    archive = tmp_path / "twitter-2024-03-20-abc.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for name in ("tweets.js", "follower.js", "following.js", "like.js"):
            zipped.write(data_dir / "twitter-archive" / "data" / name, f"data/{name}")
    dataset = load_dataset([archive])
    assert len(dataset.frames["posts"]) == 3 and len(dataset.frames["contacts"]) == 3
    assert [Path(u.path).name for u in dataset.unclaimed] == ["like.js"]


def test_content_not_name_decides(data_dir, tmp_path):
    renamed = tmp_path / "renamed.txt"
    renamed.write_bytes((data_dir / "twitter-archive" / "data" / "tweets.js").read_bytes())
    claims, _ = claim([FileRef(renamed)])
    assert [c.importer.id for c in claims] == ["twitter-archive"]


def test_truncated_archive_file_is_a_clear_message(data_dir):
    frames, report = _load(data_dir / "twitter-archive" / "tweets_truncated.js")
    assert report.error is not None and "truncated" in report.error
    assert not frames or all(len(f) == 0 for f in frames.values())


def test_a_hundred_thousand_tweets(tmp_path):
    tweet = {
        "tweet": {
            "created_at": "Mon Mar 11 14:42:19 +0000 2024",
            "full_text": "hello #x",
            "favorite_count": "1",
            "entities": {"hashtags": [{"text": "x", "indices": ["6", "8"]}]},
        }
    }
    path = tmp_path / "tweets.js"
    path.write_text("window.YTD.tweets.part0 = " + json.dumps([tweet] * 100_000))
    frames, report = _load(path)
    assert len(frames["posts"]) == 100_000 and report.skipped_total == 0
    assert frames["posts"]["record"].iloc[-1] == 99_999
