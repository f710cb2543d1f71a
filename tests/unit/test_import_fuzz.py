"""Fuzzing the import (issue 17): mutants of the good fixtures — byte flips, truncation, quote
and delimiter changes, stray line endings, NUL and invisible characters, bytes of another
encoding — with a fixed seed and a bounded count, loaded in worker processes
(tests/unit/fuzz_worker.py) under a timeout. Every mutant must be refused or rejected with a
reason and nothing stored, or loaded with the text values a reference parse (Python's csv
module on the same bytes) reads: 0 crashes, 0 hangs, 0 misreads.

The timeout detects a hang; it is not a speed assertion (a worker judges each mutant in well
under a second; the timeout allows minutes). Mutants run in batches so that process start-up
does not dominate.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD = ROOT / "tests" / "fixtures" / "good"
BASES = {"tickets.csv": "tickets", "accounts.csv": "accounts", "accounts_intl.csv": "accounts",
         "survey_responses.csv": "survey_responses", "orders.csv": "orders",
         "usage_events.csv": "usage_events", "subscriptions.csv": "subscriptions"}
SEED = 20261207
PER_BASE = 30  # 7 bases: 210 mutants
BATCHES = 4
WORKERS = 2
BATCH_TIMEOUT = 600  # seconds: a hang, not slowness


def _flip(d: bytearray, r: random.Random) -> bytes:
    for _ in range(r.randint(1, 3)):
        i = r.randrange(len(d))
        d[i] ^= 1 << r.randrange(8)
    return bytes(d)


def _insert(d: bytearray, r: random.Random, what: bytes) -> bytes:
    i = r.randrange(len(d) + 1)
    return bytes(d[:i] + what + d[i:])


def _replace_one(d: bytearray, r: random.Random, old: bytes, new: bytes) -> bytes:
    spots = [i for i in range(len(d)) if d[i:i + len(old)] == old]
    if not spots:
        return _insert(d, r, new)
    i = r.choice(spots)
    return bytes(d[:i] + new + d[i + len(old):])


MUTATORS = {
    "flip_bits": _flip,
    "random_byte": lambda d, r: bytes(d[:(i := r.randrange(len(d)))] + bytes([r.randrange(256)])
                                      + d[i + 1:]),
    "truncate": lambda d, r: bytes(d[:r.randrange(1, len(d))]),
    "delete_byte": lambda d, r: bytes(d[:(i := r.randrange(len(d)))] + d[i + 1:]),
    "insert_quote": lambda d, r: _insert(d, r, b'"'),
    "delete_quote_or_comma": lambda d, r: _replace_one(d, r, b'"' if b'"' in d else b",", b""),
    "quote_a_field": lambda d, r: _replace_one(d, r, b",", b',"'),
    "comma_to_semicolon": lambda d, r: _replace_one(d, r, b",", b";"),
    "comma_to_tab": lambda d, r: _replace_one(d, r, b",", b"\t"),
    "insert_comma": lambda d, r: _insert(d, r, b","),
    "lf_to_crlf": lambda d, r: _replace_one(d, r, b"\n", b"\r\n"),
    "lf_to_cr": lambda d, r: _replace_one(d, r, b"\n", b"\r"),
    "duplicate_line": lambda d, r: (lambda ls, i: b"\n".join(ls[:i + 1] + ls[i:]))(
        bytes(d).split(b"\n"), r.randrange(1, max(2, bytes(d).count(b"\n")))),
    "insert_nul": lambda d, r: _insert(d, r, b"\x00"),
    "insert_zero_width": lambda d, r: _insert(d, r, "\u200b".encode()),
    "insert_latin1_byte": lambda d, r: _insert(d, r, b"\xe9"),
    "insert_newline": lambda d, r: _insert(d, r, b"\n"),
}


def mutants(folder: Path) -> list[dict]:
    """Write the mutants into `folder`; return their jobs (fixed seed, fixed count)."""
    rng = random.Random(SEED)
    jobs = []
    kinds = sorted(MUTATORS)
    for base, table in BASES.items():
        data = (GOOD / base).read_bytes()
        for n in range(PER_BASE):
            kind = kinds[(n + len(jobs)) % len(kinds)]
            mutant = MUTATORS[kind](bytearray(data), rng)
            path = folder / f"{Path(base).stem}_{n:02d}_{kind}.csv"
            path.write_bytes(mutant)
            jobs.append({"path": str(path), "table": table, "allow_rejects": n % 2 == 1})
    return jobs


def run_batch(folder: Path, k: int, jobs: list[dict]) -> tuple[list[dict], str | None]:
    """Run one batch in a worker process; return its verdicts and, on a hang or a worker
    failure, what happened (the mutant after the last verdict is the one that hung)."""
    jobs_file, out = folder / f"batch{k}.json", folder / f"batch{k}.jsonl"
    jobs_file.write_text(json.dumps(jobs))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    problem = None
    try:
        p = subprocess.run([sys.executable, "-m", "tests.unit.fuzz_worker", str(jobs_file),
                            str(out)], capture_output=True, text=True, env=env, cwd=ROOT,
                           timeout=BATCH_TIMEOUT)
        if p.returncode != 0:
            problem = f"worker exit {p.returncode}: {p.stderr[-2000:]}"
    except subprocess.TimeoutExpired:
        problem = "hang"
    verdicts = [json.loads(x) for x in out.read_text().splitlines()] if out.exists() else []
    if problem == "hang":
        problem = f"hang at {jobs[len(verdicts)]['path']}"
    return verdicts, problem


@pytest.mark.slow
def test_mutants_of_the_good_fixtures_never_crash_hang_or_misread(tmp_path):
    jobs = mutants(tmp_path)
    batches = [jobs[k::BATCHES] for k in range(BATCHES)]
    with ThreadPoolExecutor(WORKERS) as pool:
        results = list(pool.map(lambda kb: run_batch(tmp_path, *kb), enumerate(batches)))
    verdicts = [v for vs, _p in results for v in vs]
    problems = [p for _vs, p in results if p]
    counts = Counter(v["verdict"] for v in verdicts)
    print(f"\nfuzz: {len(jobs)} mutants, {dict(counts)}")
    assert problems == [], problems
    assert len(verdicts) == len(jobs)
    bad = [v for v in verdicts if v["verdict"] in ("crash", "misread")]
    assert bad == [], "\n".join(f"{v['path']}: {v['verdict']}: {v['detail']}" for v in bad)
    # The mutants exercise every path: some load, some are refused, some rejected.
    assert counts["loaded"] and counts["refused"] and counts["rejected"], counts
