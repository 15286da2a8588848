"""Stored outputs survive a crash mid-write: the old file or the new one, never a mix, no debris."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tradetalks.errors import TradetalksError
from tradetalks.outputs import write_atomic, write_atomic_many


def test_write_and_replace(tmp_path: Path) -> None:
    p = tmp_path / "results.json"
    write_atomic(p, "one")
    write_atomic(p, "two")
    assert p.read_text() == "two"
    assert stat.S_IMODE(p.stat().st_mode) & 0o044, "readable by others as a normal file would be"
    assert [f.name for f in tmp_path.iterdir()] == ["results.json"]


def test_mode_without_touching_the_umask(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The file gets 0o666 narrowed by the umask, found without calling os.umask (process-wide, not thread-safe)."""
    mask = os.umask(0o022)
    os.umask(mask)

    def forbidden(*_a: object) -> int:
        raise AssertionError("write_atomic changed the process umask")

    monkeypatch.setattr(os, "umask", forbidden)
    p = write_atomic(tmp_path / "results.json", "data")
    assert stat.S_IMODE(p.stat().st_mode) == 0o666 & ~mask


def test_crash_mid_write_keeps_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "results.json"
    write_atomic(p, "old")

    def crash(*_a: object, **_k: object) -> None:
        raise KeyboardInterrupt  # the process is killed between writing and renaming

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(p, "new" * 1000)
    assert p.read_text() == "old"
    assert [f.name for f in tmp_path.iterdir()] == ["results.json"], "temporary file cleaned up"


def test_os_error_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*_a: object, **_k: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(TradetalksError, match="No space left on device"):
        write_atomic(tmp_path / "x.csv", "data")
    assert list(tmp_path.iterdir()) == []


def test_many_files_written_and_replaced(tmp_path: Path) -> None:
    write_atomic(tmp_path / "a.json", "old a")
    paths = write_atomic_many({tmp_path / "a.json": "new a", tmp_path / "sub" / "b.csv": b"x,y\n1,2\n",
                               str(tmp_path / "c.html"): "é" * 10})
    assert paths == [tmp_path / "a.json", tmp_path / "sub" / "b.csv", tmp_path / "c.html"]
    assert (tmp_path / "a.json").read_text() == "new a"
    assert (tmp_path / "sub" / "b.csv").read_bytes() == b"x,y\n1,2\n"
    assert (tmp_path / "c.html").read_text(encoding="utf-8") == "é" * 10
    assert sorted(f.name for f in tmp_path.iterdir()) == ["a.json", "c.html", "sub"]


def test_many_files_crash_before_replacing_keeps_every_old_file(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    write_atomic(tmp_path / "a", "old a")
    write_atomic(tmp_path / "b", "old b")

    def crash(*_a: object, **_k: object) -> None:
        raise KeyboardInterrupt  # killed while the files are flushed, before any is moved into place

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(KeyboardInterrupt):
        write_atomic_many({tmp_path / "a": "new a", tmp_path / "b": "new b"})
    assert (tmp_path / "a").read_text() == "old a" and (tmp_path / "b").read_text() == "old b"
    assert sorted(f.name for f in tmp_path.iterdir()) == ["a", "b"], "temporary files cleaned up"


def test_many_files_disk_error_is_a_clear_error_and_leaves_nothing(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*_a: object, **_k: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(TradetalksError, match="No space left on device"):
        write_atomic_many({tmp_path / "x.csv": "data", tmp_path / "y.csv": "more"})
    assert list(tmp_path.iterdir()) == []


def test_many_files_unwritable_directory(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(TradetalksError, match="cannot write to"):
        write_atomic_many({tmp_path / "ok.csv": "data", blocker / "x.csv": "data"})
    assert sorted(f.name for f in tmp_path.iterdir()) == ["file"]
