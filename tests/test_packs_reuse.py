"""resolve_packs reuses a loaded pack while its file and included list files are unchanged."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from auditor import resources
from auditor.packs.loader import resolve_packs


def _copy_example(folder: Path) -> Path:
    """The example pack and the list file it includes, copied where the test may edit them."""
    (folder / "lists").mkdir()
    shutil.copy(resources.rules_dir() / "lists" / "gambling.yaml", folder / "lists" / "gambling.yaml")
    pack = folder / "example.yaml"
    shutil.copy(resources.rules_dir() / "example.yaml", pack)
    return pack


def _touch_later(path: Path, text: str) -> None:
    """Write ``text`` and move the modification time on, so the change shows however coarse the clock."""
    before = path.stat().st_mtime_ns
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before + 10**9, before + 10**9))


def test_an_unchanged_pack_is_loaded_once(tmp_path: Path) -> None:
    pack = _copy_example(tmp_path)
    (first,), _ = resolve_packs([str(pack)])
    (again,), _ = resolve_packs([str(pack)])
    assert first.ok and again is first


def test_an_edited_pack_is_loaded_again(tmp_path: Path) -> None:
    pack = _copy_example(tmp_path)
    (first,), _ = resolve_packs([str(pack)])
    _touch_later(pack, pack.read_text(encoding="utf-8").replace("title: Example cash-flow scorer", "title: Edited scorer", 1))
    (edited,), _ = resolve_packs([str(pack)])
    assert first.pack is not None and first.pack.title == "Example cash-flow scorer"
    assert edited.pack is not None and edited.pack.title == "Edited scorer"


def test_an_edited_list_file_reloads_the_pack_that_includes_it(tmp_path: Path) -> None:
    pack = _copy_example(tmp_path)
    listed = tmp_path / "lists" / "gambling.yaml"
    (first,), _ = resolve_packs([str(pack)])
    assert "zzbet-test-merchant" not in first.lists["gambling_merchants"]
    text = listed.read_text(encoding="utf-8")
    _touch_later(listed, text.replace("gambling_merchants: [", "gambling_merchants: [zzbet-test-merchant, ", 1))
    (edited,), _ = resolve_packs([str(pack)])
    assert edited is not first
    assert "zzbet-test-merchant" in edited.lists["gambling_merchants"]
