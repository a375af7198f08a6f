"""Facebook and Instagram downloads: posts and check-ins, friends and followers, mojibake repaired."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from auditor.dataset import import_file, load_dataset
from auditor.importers import meta_archive
from auditor.importers.base import FileRef
from auditor.sources import claim

IMPORTER = meta_archive.IMPORTERS[0]
FB_POSTS = Path("facebook/your_facebook_activity/posts/your_posts__check_ins__photos_and_videos_1.json")
FB_FRIENDS = Path("facebook/connections/friends/your_friends.json")
IG = Path("instagram/connections/followers_and_following")
IG_POSTS = Path("instagram/your_instagram_activity/content/posts_1.json")


def _load(data_dir: Path, path: Path):
    return import_file(FileRef(data_dir / "meta-archive" / path), IMPORTER)


def test_facebook_posts_check_ins_and_photos(data_dir):
    frames, report = _load(data_dir, FB_POSTS)
    posts = frames["posts"]
    assert posts["record"].tolist() == [0, 1, 2]
    assert posts["type"].tolist() == ["check_in", "post", "photo"]
    check_in = posts.iloc[0]
    assert (check_in["place"], check_in["lat"], check_in["lon"]) == ("St. Mary's Church", 40.7431, -74.0324)
    assert check_in["time"] == pd.Timestamp(1700793000, unit="s", tz="UTC")
    # Double-encoded UTF-8 repaired: an emoji and an accent.
    assert check_in["text"] == "Sunday mass with mum \U0001f64f"
    assert posts["text"].iloc[1].startswith("Third night shift in a row, café downstairs")
    assert posts["hashtags"].iloc[1] == "nightshift nurselife"
    assert posts["text"].iloc[2] == "Jane Doe added a new photo."  # no text: the title says what happened
    assert set(posts["source"]) == {"facebook"}
    skipped = {group.reason: group.records for group in report.skipped.values()}
    assert skipped == {
        "post without a timestamp": [3],
        "post timestamp is not a time between 1990 and 2100": [4],
    }


def test_facebook_friends_names_repaired_and_hashed(data_dir):
    frames, report = _load(data_dir, FB_FRIENDS)
    friends = frames["contacts"]
    assert friends["name"].tolist() == ["Zoë Martin", "Bill Smith"]
    assert friends["relation"].tolist() == ["friend", "friend"]
    assert friends["time"].iloc[1] == pd.Timestamp("2015-01-01", tz="UTC")
    assert [g.records for g in report.skipped.values()] == [[2]]
    removed, _ = _load(data_dir, FB_FRIENDS.with_name("removed_friends.json"))
    assert removed["contacts"]["relation"].tolist() == ["removed_friend"]


def test_instagram_followers_and_following_both_layouts(data_dir):
    frames, report = _load(data_dir, IG / "followers_1.json")
    followers = frames["contacts"]
    assert followers["name"].tolist() == ["zoe.martin", "ward7nurses"]
    assert set(followers["relation"]) == {"follower"}
    assert [g.records for g in report.skipped.values()] == [[2]]
    frames, _ = _load(data_dir, IG / "following.json")
    following = frames["contacts"]
    # 2024 layout: the handle in "title", no "value".
    assert following["name"].tolist() == ["plannedparenthood", "zoe.martin"]
    assert set(following["relation"]) == {"following"}
    assert following["key"].iloc[1] == followers["key"].iloc[0]  # a mutual
    flat = " ".join(following.astype("string").fillna("").to_numpy().ravel())
    assert "instagram.com" not in flat


def test_instagram_posts_caption_on_the_post_or_its_one_photo(data_dir):
    frames, _ = _load(data_dir, IG_POSTS)
    posts = frames["posts"]
    assert posts["text"].tolist() == [
        "Off to the 7pm shift \u2615 #nurselife",
        "Christmas market with the girls",
    ]
    assert posts["time"].tolist() == [
        pd.Timestamp(1700800000, unit="s", tz="UTC"),
        pd.Timestamp(1701900000, unit="s", tz="UTC"),
    ]
    assert set(posts["provider"]) == {"instagram"}


def test_whole_download_folder_by_content(data_dir, tmp_path):
    copy = tmp_path / "facebook-janedoe-2024"
    shutil.copytree(data_dir / "meta-archive" / "facebook", copy)
    (copy / "your_facebook_activity" / "posts" / "your_posts__check_ins__photos_and_videos_1.json").rename(
        copy / "renamed.json"
    )
    dataset = load_dataset([copy])
    assert len(dataset.frames["posts"]) == 3 and len(dataset.frames["contacts"]) == 3


def test_broken_files_give_clear_messages(data_dir):
    _, report = _load(data_dir, Path("facebook_posts_truncated.json"))
    assert report.error is not None and "truncated" in report.error
    claims, unclaimed = claim([FileRef(data_dir / "meta-archive" / "friends_not_a_list.json")])
    assert claims == [] and len(unclaimed) == 1
