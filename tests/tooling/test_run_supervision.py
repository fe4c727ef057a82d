"""What `make run` relies on: a supervisor that restarts a killed API, and a seed that runs once."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

from api.config import REPO_ROOT, DatabaseAddress
from scripts.db_connection import connect
from scripts.migrate import drop_database, migrate

# A child that records its pid and sleeps: a stand-in for uvicorn.
CHILD = "import os, sys, time; open(sys.argv[1], 'a').write(f'{os.getpid()}\\n'); time.sleep(60)"


def _pids(path: Path) -> list[int]:
    return [int(line) for line in path.read_text().split()] if path.exists() else []


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in {"Z", "X"}


class TestSupervisor:
    def test_restarts_a_killed_child_and_stops_it_on_sigterm(self, tmp_path: Path) -> None:
        record = tmp_path / "pids"
        supervisor = subprocess.Popen(
            [sys.executable, "-m", "scripts.supervise", "--name", "test", "--grace", "5", "--",
             sys.executable, "-c", CHILD, str(record)],
            cwd=REPO_ROOT, stderr=subprocess.PIPE)
        try:
            _wait_for(lambda: len(_pids(record)) == 1, 10, "first child started")
            first = _pids(record)[0]
            os.kill(first, signal.SIGKILL)
            _wait_for(lambda: len(_pids(record)) == 2, 10, "killed child restarted")
            second = _pids(record)[1]
            assert second != first
            assert _alive(second)
            supervisor.send_signal(signal.SIGTERM)
            assert supervisor.wait(timeout=10) == 128 + signal.SIGTERM
            _wait_for(lambda: not _alive(second), 5, "child stopped with the supervisor")
            assert len(_pids(record)) == 2  # no restart raced the shutdown
        finally:
            if supervisor.poll() is None:
                supervisor.kill()
            for pid in _pids(record):
                if _alive(pid):
                    os.kill(pid, signal.SIGKILL)
        log = supervisor.communicate(timeout=10)[1].decode()
        assert "exited with signal SIGKILL" in log
        assert "SIGTERM: stopping" in log


class TestSeedOnce:
    def test_a_second_migrate_does_not_seed_again(self, admin_url: str) -> None:
        name = f"bank_seed_{secrets.token_hex(4)}"
        try:
            first = migrate(admin_url, database=name, seed=True)
            data_files = sorted(path.name for path in (REPO_ROOT / "data").glob("*.sql"))
            assert "01_seed_data.sql" in data_files
            assert first.seeded == data_files
            conn = connect(DatabaseAddress.from_url(admin_url).with_database(name))
            try:
                with conn.cursor() as cur:
                    cur.execute("SELECT COUNT(*) FROM transactions")
                    (before,) = cur.fetchone()
                    cur.execute("SELECT file_name FROM seed_runs")
                    assert sorted(row[0] for row in cur.fetchall()) == data_files
            finally:
                conn.close()
            again = migrate(admin_url, database=name, seed=True)
            assert again.seeded == []
            conn = connect(DatabaseAddress.from_url(admin_url).with_database(name))
            try:
                with conn.cursor() as cur:
                    cur.execute("SELECT COUNT(*) FROM transactions")
                    assert cur.fetchone()[0] == before > 0
            finally:
                conn.close()
        finally:
            drop_database(admin_url, name)
