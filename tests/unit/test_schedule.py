"""`csm schedule`: crontab lines read and checked by hand-worked dates, the printed line passing
its own check, and the scheduler (`--run`) against a real SMTP server on loopback sending a
week's pack exactly once however often it runs."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime
from datetime import time as clock
from pathlib import Path

import pytest

from csm import cli, schedule
from csm.commands.schedule import check
from metrics import audit
from metrics.store import Store
from tests.unit import delivery_servers as srv

MON_6AM = datetime(2026, 12, 7, 6, 0)  # a Monday


def test_a_weekly_line_runs_every_monday_at_seven():
    c = schedule.parse("0 7 * * 1 csm send")
    assert c.next_runs(MON_6AM, 3) == [datetime(2026, 12, 7, 7), datetime(2026, 12, 14, 7),
                                       datetime(2026, 12, 21, 7)]
    assert c.command == "csm send"


def test_ranges_steps_names_and_macros():
    c = schedule.parse("*/15 9-17 * * mon-fri  echo hi")
    assert c.minutes == {0, 15, 30, 45} and c.hours == set(range(9, 18))
    assert c.weekdays == {1, 2, 3, 4, 5} and c.command == "echo hi"
    assert schedule.parse("0 0 * * 7 x").weekdays == {0}  # 7 is Sunday too
    assert schedule.parse("0 0 * jan,jul * x").months == {1, 7}
    weekly = schedule.parse("@weekly x")
    assert weekly.next_runs(MON_6AM, 1) == [datetime(2026, 12, 13, 0, 0)]  # Sunday midnight


def test_day_of_month_and_day_of_week_restricted_together_mean_either():
    # cron's rule: "0 7 1 * 1" runs on the 1st of the month and on every Monday
    runs = schedule.parse("0 7 1 * 1 x").next_runs(datetime(2026, 12, 28, 8), 3)
    assert runs == [datetime(2027, 1, 1, 7), datetime(2027, 1, 4, 7), datetime(2027, 1, 11, 7)]


@pytest.mark.parametrize("line, says", [
    ("0 25 * * 1 x", "hour: 25 is outside 0-23"),
    ("0 7 * * 1", "no command"),
    ("0 7 * *", "five time fields"),
    ("0 7 * * funday x", "day of week: 'funday' is not a number"),
    ("*/0 7 * * 1 x", "step '0'"),
    ("0 7 5-1 * * x", "runs backwards"),
    ("@reboot x", "not every week"),
])
def test_malformed_lines_say_what_is_wrong(line, says):
    with pytest.raises(ValueError, match=says):
        schedule.parse(line)


def test_latest_slot_is_the_last_due_time_not_after_now():
    at = clock(7, 0)
    assert schedule.latest_slot(MON_6AM, 0, at) == datetime(2026, 11, 30, 7)
    assert schedule.latest_slot(datetime(2026, 12, 7, 7), 0, at) == datetime(2026, 12, 7, 7)
    assert schedule.latest_slot(datetime(2026, 12, 10, 12), 0, at) == datetime(2026, 12, 7, 7)


GOOD = ("0 7 * * 1 /opt/csm/.venv/bin/csm send --week last --unless-sent --to a@example.com "
        "--db /srv/csm/csm.duckdb >> /var/log/csm-send.log 2>&1")


def test_a_good_line_passes_with_its_next_mondays():
    doc = check(GOOD, MON_6AM)
    assert doc["ok"] and doc["problems"] == [] and doc["warnings"] == []
    assert doc["runs_on_monday"]
    assert doc["next_runs"][:2] == ["2026-12-07 07:00 Mon", "2026-12-14 07:00 Mon"]


@pytest.mark.parametrize("line, problem", [
    (GOOD.replace(" --unless-sent", "").replace("0 7 * * 1", "0 7 * * *"),
     "--unless-sent: the line runs about 7 times a week"),
    (GOOD.replace("--week last", "--week 2026-W26"), "the same week would be sent every time"),
    (GOOD.replace("--week last ", ""), "needs --week last"),
    (GOOD.replace("--db /srv/csm/csm.duckdb", "--db data/csm.duckdb"), "absolute path"),
    (GOOD.replace("--to a@example.com", ""), "neither --to nor --webhook"),
    (GOOD.replace("--to", "--too"), "options are not valid"),
    (GOOD + " && date +%F", "unescaped %"),
    ("0 7 * * 1 /opt/csm/.venv/bin/csm report --out x.pdf", "does not run `csm send`"),
    ("0 7 30 2 * " + GOOD[10:], "never runs"),
])
def test_lines_that_would_not_send_each_weeks_pack_once_are_refused(line, problem):
    doc = check(line, MON_6AM)
    assert not doc["ok"]
    assert any(problem in p for p in doc["problems"]), doc["problems"]


def test_a_line_off_monday_is_a_warning():
    doc = check(GOOD.replace("0 7 * * 1", "30 8 * * tue"), MON_6AM)
    assert doc["ok"] and not doc["runs_on_monday"]
    assert doc["warnings"] == ["it never runs on a Monday: the pack goes out on Tuesday"]


def test_the_printed_line_passes_the_check_on_the_command_line(tmp_path, capsys):
    db = tmp_path / "csm.duckdb"
    code = cli.main(["schedule", "--print", "--to", "a@example.com,b@example.com",
                     "--webhook", "--format", "html", "--at", "06:30", "--db", str(db)])
    out, err = capsys.readouterr()
    assert code == 0
    line = json.loads(out)["cron"]
    assert line.startswith("30 6 * * 1 ") and line in err
    assert f"--db {db}" in line and "--week last --unless-sent" in line
    assert cli.main(["schedule", "--check", line]) == 0
    assert json.loads(capsys.readouterr().out)["ok"]
    assert cli.main(["schedule", "--check", "0 7 * * 1 echo"]) == 1
    out, err = capsys.readouterr()
    assert json.loads(out)["problems"] == ["the command does not run `csm send`"]
    assert "problem: the command does not run" in err
    assert cli.main(["schedule", "--print", "--db", str(db)]) == 2  # nothing to send


# ---------------------------------------------------------------------------------------------
# The scheduler against a real SMTP server


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("schedule") / "demo.duckdb"
    r = subprocess.run([sys.executable, "-m", "csm", "demo", "--size", "small", "--end",
                        "2026-06-30", "--db", str(db)], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    return db


def _sent_rows(db: Path):
    s = Store(db)
    try:
        ev = audit.events(s.cursor(), action="send")
        return ev.to_dict("records")
    finally:
        s.close()


def test_the_scheduler_sends_a_weeks_pack_once_however_often_it_runs(demo, tmp_path):
    db = tmp_path / "csm.duckdb"
    shutil.copy(demo, db)
    box = srv.Mailbox()
    server = srv.smtp_server(box)
    conf = srv.secrets(tmp_path / "secrets.toml", {"host": "127.0.0.1", "port": server.port,
                                                   "from": "p@example.com", "security": "none"})
    env = {**os.environ, "BROWSER_PATH": str(tmp_path / "no-chromium")}
    cmd = [sys.executable, "-m", "csm", "schedule", "--run", "--to", "a@example.com",
           "--format", "html", "--db", str(db), "--secrets", str(conf)]
    try:
        loop = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=env)
        # wait for the state (the mail arrived), not for a time; the deadline only stops a
        # broken run from hanging the suite
        deadline = time.monotonic() + 600
        while not box.messages and loop.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(box.messages) == 1, loop.poll()
        loop.send_signal(signal.SIGTERM)  # it finishes the round (the audit row), then stops
        out, err = loop.communicate(timeout=600)
        assert loop.returncode == 0, err
        [first] = json.loads(out)["rounds"]
        week = first["week"]
        assert [s["channel"] for s in first["sent"]] == ["mail"]
        # twice more, at the same time: the lock and the audit trail let neither send again
        again = [subprocess.Popen([*cmd, "--once"], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, env=env)
                 for _ in range(2)]
        docs = []
        for p in again:
            out, err = p.communicate(timeout=600)
            assert p.returncode == 0, err
            docs.append(json.loads(out)["rounds"][0])
    finally:
        server.stop()
    assert len(box.messages) == 1
    for d in docs:
        assert d["week"] == week and d["sent"] == []
        assert d["skipped"][0]["channel"] == "mail"
    rows = _sent_rows(db)
    assert [r["subject"] for r in rows] == [f"mail {week}"]
    subject = box.messages[0]["data"].split(b"\r\n\r\n")[0]
    assert f"Subject: Weekly review {week}".encode() in subject
