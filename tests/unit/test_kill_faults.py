"""Faults as tests (issue 17, "What to build" 5): kill -9 at random moments of each write.

Each write path — an append load (usage events, rollups refreshed), a replace (accounts, with
what undo needs kept), a targets save (the Goals page's) and a health model save (the model
editor's YAML file) — runs in its own process (tests/unit/fault_worker.py), which is killed
with SIGKILL at a moment drawn from a fixed seed between the start of the write and a little
past its usual end. The database is then reopened (recovery included) and its checksums —
row count and an order-free hash of every row of the tables the write touches, plus the
records that say it happened (loads, audit, data version) — must equal those of the state
before or after the write, never a mix. The model file must be the old text or the new one.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from metrics import goals
from metrics.ingest import load_file
from metrics.store import Store

REPO = Path(__file__).resolve().parents[2]
SEED = 17
KILLS = int(os.environ.get("CSM_FAULT_KILLS", "20"))  # moments per write path
ACCOUNTS = 1000
WATCH = {  # tables whose rows each write changes, and whether a load or audit row records it
    "load": ["usage_events", "usage_daily", "usage_monthly"],
    "replace": ["accounts", "account_attributes"],
    "targets": ["targets"],
}

pytestmark = pytest.mark.slow


def _accounts_csv(path: Path, suffix: str) -> Path:
    with open(path, "w") as f:
        f.write("account_id,name,segment,signup_date,tier\n")
        for i in range(ACCOUNTS):
            f.write(f"A{i:05d},Account {i} {suffix},{('SMB', 'Mid', 'Ent')[i % 3]},"
                    f"2024-{1 + i % 12:02d}-01,{suffix}{i % 4}\n")
    return path


def _events_csv(path: Path, n: int, day: int) -> Path:
    with open(path, "w") as f:
        f.write("account_id,user_id,occurred_at,feature,duration_seconds\n")
        for i in range(n):
            f.write(f"A{i % ACCOUNTS:05d},u{i % 97},2026-05-{day:02d} {i % 24:02d}:"
                    f"{i % 60:02d}:{i % 59:02d},f{i % 11},{i % 300}\n")
    return path


def _targets_csv(path: Path, n: int, base: float) -> Path:
    with open(path, "w") as f:
        f.write("metric,segment,period_start,period_end,target,note\n")
        for i in range(n):
            f.write(f"nps,{('SMB', 'Mid', 'Ent')[i % 3]},20{10 + i // 12:02d}-{1 + i % 12:02d}-01,"
                    f"20{10 + (i + 1) // 12:02d}-{1 + (i + 1) % 12:02d}-01,{base + i % 50},n{i}\n")
    return path


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict:
    """A database with accounts, usage and targets, the inputs of each write, and the health
    model file; built once."""
    root = tmp_path_factory.mktemp("faults")
    db = root / "base" / "csm.duckdb"
    first = (_accounts_csv(root / "a0.csv", "old"), _events_csv(root / "e0.csv", 20_000, 3))
    store = Store(db, allow_paths=first)
    try:
        for table, csv in zip(("accounts", "usage_events"), first, strict=True):
            assert load_file(store, table, csv, mode="replace" if table == "accounts"
                             else "append").ok
        import pandas as pd

        frame = pd.read_csv(_targets_csv(root / "t0.csv", 150, 10), dtype=str,
                            keep_default_na=False)
        assert goals.save_targets(store.cursor(), frame, who="setup") == []
    finally:
        store.close()
    model = root / "model.yaml"
    shutil.copy(REPO / "metrics" / "health_model.yaml", model)
    import yaml

    new_model = yaml.safe_load(model.read_text())
    new_model["window_days"] = int(new_model.get("window_days", 30)) + 7
    (root / "model_new.yaml").write_text(yaml.safe_dump(new_model))
    return {"root": root, "db": db, "model": model,
            "load": _events_csv(root / "e1.csv", 40_000, 9),
            "replace": _accounts_csv(root / "a1.csv", "new"),
            "targets": _targets_csv(root / "t1.csv", 400, 20),
            "model_input": root / "model_new.yaml"}


def _state(db: Path, kind: str) -> tuple:
    """Reopen the database as the program does (recovery included) and return the checksums
    of the tables `kind` writes and of the records that say a write happened."""
    store = Store(db)
    try:
        cur = store.cursor()
        # Table names are the constants of WATCH, never input.
        sums = tuple(cur.execute(f"SELECT count(*), sum(hash(t)) FROM {t} t").fetchone()
                     for t in WATCH[kind])
        loads = cur.execute("SELECT count(*) FROM loads WHERE outcome LIKE 'loaded%'"
                            ).fetchone()[0]
        audits = cur.execute("SELECT count(*) FROM audit").fetchone()[0]
        version = cur.execute("SELECT max(version) FROM data_version").fetchone()[0]
        return sums + ((loads, audits, version),)
    finally:
        store.close()


class Writer:
    """The fault worker's server (tests/unit/fault_worker.py `serve`): one interpreter start,
    one forked child per write."""

    def __init__(self) -> None:
        env = dict(os.environ, PYTHONPATH=str(REPO))
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.unit.fault_worker", "serve"],
                                     cwd=REPO, env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1,
                                     start_new_session=True)
        assert self._line() == "serving"

    def _line(self) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line, "the fault worker server ended"
        return line.strip()

    def run(self, kind: str, target: Path, source: Path,
            kill_after: float | None) -> tuple[float, bool]:
        """Do the write; kill -9 its process `kill_after` s after it is ready (None: let it
        finish). Return (seconds from ready to "done" or to the kill, whether it finished)."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"{kind} {target} {source}\n")
        self.proc.stdin.flush()
        pid, ready = None, None
        while pid is None or ready is None:  # the child's "ready" may come before "pid"
            line = self._line()
            if line.startswith("pid "):
                pid = int(line.split()[1])
            elif line == "ready":
                ready = time.monotonic()
        done = False
        if kill_after is not None:
            time.sleep(max(0.0, kill_after - (time.monotonic() - ready)))
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        took = time.monotonic() - ready
        while True:
            line = self._line()
            if line == "done":
                done, took = True, time.monotonic() - ready
            elif line.startswith("exit "):
                status = int(line.split()[1])
                break
        if kill_after is None:
            assert done and status == 0, f"the {kind} failed (status {status})"
        return took, done

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def writer():
    w = Writer()
    try:
        yield w
    finally:
        w.close()


@pytest.mark.parametrize("kind", ["load", "replace", "targets"])
def test_kill_9_during_a_database_write_leaves_the_old_or_the_new_state(world, writer, kind,
                                                                      tmp_path):
    fresh = tmp_path / "csm.duckdb"
    shutil.copy(world["db"], fresh)
    old = _state(fresh, kind)
    took, _ = writer.run(kind, fresh, world[kind], None)
    new = _state(fresh, kind)
    assert new != old, "the write changed nothing: the test would prove nothing"
    rng = random.Random(f"{SEED}-{kind}")
    outcomes = {"old": 0, "new": 0}
    started = time.monotonic()
    for trial in range(KILLS):
        db = tmp_path / f"t{trial}" / "csm.duckdb"
        db.parent.mkdir()
        shutil.copy(world["db"], db)
        moment = rng.uniform(0, took * 1.5)
        writer.run(kind, db, world[kind], moment)
        got = _state(db, kind)
        assert got in (old, new), (f"kill -9 at {moment:.3f} s of a {took:.2f} s {kind} left "
                                   f"a mix: {got} (old {old}, new {new})")
        outcomes["old" if got == old else "new"] += 1
        shutil.rmtree(db.parent)
    print(f"{kind}: {KILLS} kills within a {took:.2f} s write: {outcomes} "
          f"({time.monotonic() - started:.0f} s)")


def test_kill_9_during_a_health_model_save_leaves_the_old_or_the_new_file(world, writer,
                                                                        tmp_path):
    import yaml

    model = tmp_path / "health_model.yaml"
    shutil.copy(world["model"], model)
    old = model.read_text()
    took, _ = writer.run("model", model, world["model_input"], None)
    new = model.read_text()
    assert new != old
    rng = random.Random(f"{SEED}-model")
    outcomes = {"old": 0, "new": 0}
    for _trial in range(KILLS):
        model.write_text(old)
        moment = rng.uniform(0, took * 1.5)
        writer.run("model", model, world["model_input"], moment)
        got = model.read_text()
        assert got in (old, new), f"kill -9 at {moment:.3f} s left a mixed model file"
        yaml.safe_load(got)
        outcomes["old" if got == old else "new"] += 1
    left = len(list(tmp_path.glob(".health_model.*")))  # killed between write and rename
    # the next save removes what the killed writers left (their processes are gone)
    writer.run("model", model, world["model_input"], None)
    assert list(tmp_path.glob(".health_model.*")) == []
    yaml.safe_load(model.read_text())
    print(f"model: {KILLS} kills over {took:.3f} s: {outcomes}; temporary files left: {left}, "
          f"none after the next save")
