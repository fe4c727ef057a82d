"""Keep one command running: restart it with backoff when it dies, stop it on SIGINT/SIGTERM.

`make run` starts the API under this, so a crashed or SIGKILLed uvicorn comes back in a
second instead of taking `make run` down. Production uses systemd instead (see
scripts/systemd/bank-api.service), which does the same with `Restart=always`.

The child runs in its own session, so Ctrl-C in the terminal reaches only the
supervisor, which then stops the child with SIGTERM (SIGKILL after a grace period) and
exits; a restart never races a shutdown.

    python -m scripts.supervise [--name api] [--grace 10] -- command [args...]
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from types import FrameType

FIRST_BACKOFF = 0.5
MAX_BACKOFF = 10.0
# A child that ran this long before dying was healthy: restart it quickly again.
HEALTHY_AFTER = 30.0


class Supervisor:
    """Runs `command` until asked to stop, restarting it with exponential backoff."""

    def __init__(self, command: Sequence[str], *, name: str, grace: float) -> None:
        self.command = list(command)
        self.name = name
        self.grace = grace
        self.child: subprocess.Popen[bytes] | None = None
        self.stop_signal: int | None = None
        self.restarts = 0

    def run(self) -> int:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self._on_signal)
        backoff = FIRST_BACKOFF
        while self.stop_signal is None:
            started = time.monotonic()
            self.child = subprocess.Popen(self.command, start_new_session=True)
            self._say(f"started pid {self.child.pid}: {' '.join(self.command)}")
            if self.stop_signal is not None:
                break  # the stop arrived while the child was being started
            code = self._wait()
            if self.stop_signal is not None:
                break
            ran = time.monotonic() - started
            if ran >= HEALTHY_AFTER:
                backoff = FIRST_BACKOFF
            self.restarts += 1
            self._say(f"exited with {_describe(code)} after {ran:.1f}s; "
                      f"restart {self.restarts} in {backoff:.1f}s")
            if self._sleep(backoff):
                break
            backoff = min(backoff * 2, MAX_BACKOFF)
        self._stop_child()
        return 128 + self.stop_signal if self.stop_signal else 0

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if self.stop_signal is None:
            self.stop_signal = signum
            self._say(f"{signal.Signals(signum).name}: stopping")
        if self.child is not None and self.child.poll() is None:
            self.child.send_signal(signal.SIGTERM)

    def _wait(self) -> int:
        assert self.child is not None
        while True:
            try:
                return self.child.wait()
            except InterruptedError:  # pragma: no cover - PEP 475 retries for us
                continue

    def _sleep(self, seconds: float) -> bool:
        """Sleep, waking early on a stop signal; True when asked to stop."""
        deadline = time.monotonic() + seconds
        while self.stop_signal is None and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.stop_signal is not None

    def _stop_child(self) -> None:
        child = self.child
        if child is None or child.poll() is not None:
            return
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout=self.grace)
        except subprocess.TimeoutExpired:
            self._say(f"pid {child.pid} ignored SIGTERM for {self.grace:.0f}s; killing it")
            child.kill()
            child.wait()

    def _say(self, message: str) -> None:
        print(f"supervise[{self.name}]: {message}", file=sys.stderr, flush=True)


def _describe(code: int) -> str:
    if code < 0:
        return f"signal {signal.Signals(-code).name}"
    return f"exit code {code}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.supervise", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--name", default="child", help="label for the log lines")
    parser.add_argument("--grace", type=float, default=10.0,
                        help="seconds between SIGTERM and SIGKILL when stopping")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- command [args...]")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")
    return Supervisor(command, name=args.name, grace=args.grace).run()


if __name__ == "__main__":
    sys.exit(main())
