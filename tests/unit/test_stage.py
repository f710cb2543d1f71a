"""Staged uploads (metrics/ingest/stage.py): written whole or not at all under their name,
reused only when size and sha256 match, checked again before a load (issue 17 item 1)."""

from __future__ import annotations

import errno
import hashlib
import os

import pytest

from metrics.ingest import LoadRefused, stage

DATA = b"ticket_id,account_id,created_at\n" + b"".join(
    f"T{i},A1,2026-06-01\n".encode() for i in range(500))


def test_a_new_upload_is_staged_with_its_size_and_sha256(tmp_path):
    s = stage.stage(tmp_path, "u.csv", DATA)
    assert s.path.read_bytes() == DATA
    assert (s.size, s.sha256) == (len(DATA), hashlib.sha256(DATA).hexdigest())
    assert [p.name for p in tmp_path.iterdir()] == ["u.csv"]


def test_a_partial_file_under_the_staged_name_is_replaced_not_reused(tmp_path):
    (tmp_path / "u.csv").write_bytes(DATA[:100])
    s = stage.stage(tmp_path, "u.csv", DATA)
    assert s.path.read_bytes() == DATA


def test_a_file_of_the_same_size_but_other_bytes_is_replaced(tmp_path):
    (tmp_path / "u.csv").write_bytes(DATA[::-1])
    assert stage.stage(tmp_path, "u.csv", DATA).path.read_bytes() == DATA


def test_an_intact_staged_file_is_reused_without_writing(tmp_path):
    s = stage.stage(tmp_path, "u.csv", DATA)
    mtime = s.path.stat().st_mtime_ns
    os.utime(s.path, ns=(mtime - 10**9, mtime - 10**9))
    again = stage.stage(tmp_path, "u.csv", DATA)
    assert again == s and s.path.stat().st_mtime_ns == mtime - 10**9


def test_verify_refuses_a_staged_file_cut_short_or_removed(tmp_path):
    s = stage.stage(tmp_path, "u.csv", DATA)
    stage.verify(s)  # intact: no error
    s.path.write_bytes(DATA[:-1])
    with pytest.raises(LoadRefused, match="changed since it was uploaded"):
        stage.verify(s)
    s.path.unlink()
    with pytest.raises(LoadRefused, match="upload it again"):
        stage.verify(s)


def test_a_write_that_fails_leaves_nothing_under_the_staged_name(tmp_path, monkeypatch):
    def full(_fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(stage.os, "fsync", full)  # the disk fills as the copy is flushed
    with pytest.raises(OSError, match="No space left"):
        stage.stage(tmp_path, "u.csv", DATA)
    assert list(tmp_path.iterdir()) == []
