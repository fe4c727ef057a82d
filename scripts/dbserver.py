"""A private MariaDB (or MySQL) server for development and tests, kept under `.run/db/`.

`make run` and `make test` use it unless BANK_DATABASE_URL points at a server already.
The first start initialises a data directory, picks a free port and creates an admin
account (`bank_admin`, random password); `server.json` remembers all three.

    python -m scripts.dbserver start|stop|status|url
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

# Its own copy of api.config.REPO_ROOT: the Makefile runs this module with the system
# Python before the venv exists, so it imports the standard library only (api.config
# needs pydantic). tests/tooling/test_repository_layout.py checks that the two agree.
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BASE_DIR = REPO_ROOT / ".run" / "db"

HOST = "127.0.0.1"
ADMIN_USER = "bank_admin"
ADMIN_HOSTS = ("127.0.0.1", "localhost")
# The binaries only: `mariadb-server` would also enable Debian's own service on port 3306
# at every boot, which the project never uses. mariadb-install-db is in server-core and
# my_print_defaults (which it calls) in client-core.
SERVER_PACKAGES = ("mariadb-server-core", "mariadb-client-core")
SERVER_BINARIES = ("mariadbd", "mysqld")
INSTALL_DB_BINARIES = ("mariadb-install-db", "mysql_install_db")
SEARCH_DIRS = ("/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin", "/usr/local/mysql/bin")

MAX_SOCKET_PATH = 100  # sun_path is 108 bytes on Linux, 104 on macOS
START_TIMEOUT = 180.0
STOP_TIMEOUT = 180.0
POLL_INTERVAL = 0.05
PORT_RANGE = (20000, 32000)  # below Linux's default ephemeral range (32768-60999)

# `--name=value` options for the server; PrivateServer(options=...) overrides any of them.
DEFAULT_OPTIONS: dict[str, str] = {
    "bind-address": HOST,
    "character-set-server": "utf8mb4",
    "collation-server": "utf8mb4_unicode_ci",
    "default-time-zone": "+00:00",
    "max-connections": "600",
    "max-allowed-packet": "64M",
    "innodb-buffer-pool-size": "512M",
    "innodb-log-file-size": "256M",
    "innodb-flush-log-at-trx-commit": "1",
    "performance-schema": "OFF",
}
# Options without a value: no reverse DNS, no binary log (one server, no replicas).
DEFAULT_FLAGS = ("--skip-name-resolve", "--skip-log-bin")
MYSQL_ONLY_FLAGS = ("--mysqlx=OFF",)

# MySQL client error codes (2000-2999) mean "no answer"; server codes mean it is up.
_CLIENT_ERROR_CODES = range(2000, 3000)
_HAS_PROC = Path("/proc/self/stat").exists()


class ServerError(RuntimeError):
    """The private database server could not be installed, started or stopped."""


@dataclass(frozen=True)
class ServerInfo:
    """How to reach a running private server as its admin."""

    host: str
    port: int
    socket: str
    admin_user: str
    admin_password: str

    def admin_url(self, database: str = "bank") -> str:
        """`mysql://bank_admin:pw@127.0.0.1:PORT/database`, password URL-quoted."""
        user = quote(self.admin_user, safe="")
        password = quote(self.admin_password, safe="")
        return f"mysql://{user}:{password}@{self.host}:{self.port}/{database}"


@dataclass(frozen=True)
class _State:
    """What server.json holds: the address, the admin login, and whether it exists yet."""

    info: ServerInfo
    provisioned: bool = False

    def to_json(self) -> str:
        return json.dumps({**asdict(self.info), "provisioned": self.provisioned}, indent=2)

    @classmethod
    def from_json(cls, text: str) -> _State:
        raw: dict[str, Any] = json.loads(text)
        provisioned = bool(raw.pop("provisioned", False))
        return cls(info=ServerInfo(**raw), provisioned=provisioned)


class PrivateServer:
    """One MariaDB/MySQL server whose data, socket, log and state live in `base_dir`."""

    def __init__(
        self,
        base_dir: Path,
        *,
        options: Mapping[str, str] | None = None,
        start_timeout: float = START_TIMEOUT,
    ) -> None:
        self.base_dir = Path(base_dir).resolve()
        self.options = {**DEFAULT_OPTIONS, **(options or {})}
        self.start_timeout = start_timeout
        self._proc: subprocess.Popen[bytes] | None = None

    # -- paths -------------------------------------------------------------------------

    @property
    def datadir(self) -> Path:
        return self.base_dir / "data"

    @property
    def state_file(self) -> Path:
        return self.base_dir / "server.json"

    @property
    def pid_file(self) -> Path:
        return self.base_dir / "server.pid"

    @property
    def log_file(self) -> Path:
        return self.base_dir / "server.log"

    @property
    def lock_file(self) -> Path:
        return self.base_dir / ".lock"

    # -- public API --------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        """The server's pid from the pid file, if there is one."""
        try:
            return int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None

    @property
    def info(self) -> ServerInfo | None:
        """The address and admin login recorded at first start, if any."""
        state = self._read_state()
        return state.info if state else None

    def is_running(self) -> bool:
        """Whether the pid in the pid file is alive and is this directory's server."""
        return self._running_pid() is not None

    def ping(self) -> bool:
        """Whether the server answers on its unix socket (any server reply counts)."""
        state = self._read_state()
        if state is None:
            return False
        user, password = _login(state)
        return _answers(state.info.socket, user, password)

    def start(self) -> ServerInfo:
        """Start the server (initialising it the first time), or reuse the running one."""
        with self._locked():
            state = self._read_state() or self._new_state()
            pid = self._running_pid()
            if pid is None:
                state = self._launch(state)
            else:
                self._wait_ready(pid)
            if not state.provisioned:
                state = self._provision(state)
            return state.info

    def stop(self) -> None:
        """Shut the server down cleanly (SIGTERM) and wait until it has exited."""
        if not self.base_dir.exists():
            return
        with self._locked():
            pid = self._running_pid()
            if pid is not None:
                os.kill(pid, signal.SIGTERM)
                if not self._wait_exit(pid, STOP_TIMEOUT):
                    raise ServerError(
                        f"database server (pid {pid}) did not stop within {STOP_TIMEOUT:.0f}s"
                        f"; see {self.log_file}"
                    )
            self._remove_stale_files()

    def kill(self) -> None:
        """SIGKILL the server, as a crash would, and wait until it is gone."""
        pid = self._running_pid()
        if pid is None:
            return
        os.kill(pid, signal.SIGKILL)
        self._wait_exit(pid, STOP_TIMEOUT)

    def status(self) -> str:
        """One line for humans: running where, stopped, or not initialised."""
        state = self._read_state()
        pid = self._running_pid()
        if pid is not None and state is not None:
            answering = "" if self.ping() else " (not answering yet)"
            return (
                f"running{answering}: pid {pid}, {state.info.host}:{state.info.port}, "
                f"socket {state.info.socket}, data {self.datadir}"
            )
        if _is_initialised(self.datadir):
            return f"stopped (data in {self.datadir})"
        return f"not initialised (nothing in {self.base_dir})"

    # -- state -------------------------------------------------------------------------

    def _read_state(self) -> _State | None:
        try:
            return _State.from_json(self.state_file.read_text())
        except FileNotFoundError:
            return None

    def _write_state(self, state: _State) -> None:
        _write_private(self.state_file, state.to_json() + "\n")

    def _new_state(self) -> _State:
        info = ServerInfo(
            host=HOST,
            port=_pick_free_port(),
            socket=str(socket_path_for(self.base_dir)),
            admin_user=ADMIN_USER,
            admin_password=secrets.token_urlsafe(24),
        )
        state = _State(info=info)
        self._write_state(state)
        return state

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Serialise start/stop between processes sharing this base directory."""
        self.base_dir.mkdir(parents=True, exist_ok=True)
        self.base_dir.chmod(0o700)
        with open(self.lock_file, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield

    # -- processes ---------------------------------------------------------------------

    def _running_pid(self) -> int | None:
        pid = self.pid
        if pid is None or not self._alive(pid) or not _runs_datadir(pid, self.datadir):
            return None
        return pid

    def _alive(self, pid: int) -> bool:
        if self._proc is not None and self._proc.pid == pid:
            return self._proc.poll() is None
        return _pid_alive(pid)

    def _wait_exit(self, pid: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self._alive(pid):
            _reap(pid)
            if time.monotonic() > deadline:
                return False
            time.sleep(POLL_INTERVAL)
        return True

    def _wait_ready(self, pid: int) -> None:
        """Poll the socket until the server answers; fail fast if it dies."""
        deadline = time.monotonic() + self.start_timeout
        while not self.ping():
            if not self._alive(pid):
                raise ServerError(
                    f"the database server exited during start-up; {self.log_file} ends with:\n"
                    + _tail(self.log_file)
                )
            if time.monotonic() > deadline:
                raise ServerError(
                    f"the database server did not answer within {self.start_timeout:.0f}s; "
                    f"{self.log_file} ends with:\n" + _tail(self.log_file)
                )
            time.sleep(POLL_INTERVAL)

    def _remove_stale_files(self) -> None:
        state = self._read_state()
        self.pid_file.unlink(missing_ok=True)
        if state is not None:
            Path(state.info.socket).unlink(missing_ok=True)

    def _launch(self, state: _State) -> _State:
        binary = find_server_binary(install=True)
        flavour = server_flavour(binary)
        if not _is_initialised(self.datadir):
            self._initialise(binary, flavour)
            state = replace(state, provisioned=False)  # a new datadir has no admin yet
            self._write_state(state)
        if not _port_is_free(state.info.port):
            state = replace(state, info=replace(state.info, port=_pick_free_port()))
            self._write_state(state)
        self._remove_stale_files()
        socket_dir = Path(state.info.socket).parent
        socket_dir.mkdir(parents=True, exist_ok=True)
        socket_dir.chmod(0o700)
        args = self._server_args(binary, flavour, state.info)
        with open(self.log_file, "ab") as log:
            self._proc = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                close_fds=True,
            )
        self.pid_file.write_text(f"{self._proc.pid}\n")
        self._wait_ready(self._proc.pid)
        return state

    def _server_args(self, binary: Path, flavour: str, info: ServerInfo) -> list[str]:
        # Its own temporary directory: a /tmp cleaner must not delete a live server's
        # internal temporary tables (error 6 on a query that spills to disk).
        tmpdir = self.base_dir / "tmp"
        tmpdir.mkdir(parents=True, exist_ok=True)
        args = [
            str(binary),
            "--no-defaults",
            f"--datadir={self.datadir}",
            f"--tmpdir={tmpdir}",
            f"--socket={info.socket}",
            f"--port={info.port}",
            f"--pid-file={self.pid_file}",
            *DEFAULT_FLAGS,
            *(f"--{name}={value}" for name, value in self.options.items()),
        ]
        if flavour == "mysql":
            args.extend(MYSQL_ONLY_FLAGS)
        if os.geteuid() == 0:
            args.append("--user=root")
        return args

    def _initialise(self, binary: Path, flavour: str) -> None:
        """Create the system tables in a scratch directory, then move it into place."""
        scratch = self.base_dir / "data.init"
        shutil.rmtree(scratch, ignore_errors=True)
        _say(f"initialising a new {flavour} data directory in {self.datadir}")
        command = _initialise_command(binary, flavour, scratch)
        for attempt in (1, 2):
            with open(self.log_file, "ab") as log:
                done = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, check=False)
            if done.returncode == 0 or attempt == 2:
                break
            # The bootstrap server has been seen to crash (signal 11) on a busy machine and
            # succeed when run again on a clean directory.
            _say("initialising the data directory failed; trying once more")
            shutil.rmtree(scratch, ignore_errors=True)
        if done.returncode != 0:
            raise ServerError(
                f"initialising the data directory failed ({' '.join(command)}); "
                f"{self.log_file} ends with:\n" + _tail(self.log_file)
            )
        scratch.rename(self.datadir)

    def _provision(self, state: _State) -> _State:
        """Create the admin account over the socket as root, and lock root to the socket."""
        import pymysql

        info = state.info
        conn = pymysql.connect(unix_socket=info.socket, user="root", password="", autocommit=True)
        try:
            with conn.cursor() as cur:
                for host in ADMIN_HOSTS:
                    login = (info.admin_user, host, info.admin_password)
                    cur.execute("CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s", login)
                    cur.execute("ALTER USER %s@%s IDENTIFIED BY %s", login)
                    cur.execute(
                        "GRANT ALL PRIVILEGES ON *.* TO %s@%s WITH GRANT OPTION",
                        (info.admin_user, host),
                    )
                # Password-less root over TCP (and anonymous users) would let any local
                # process in; root stays reachable through the socket in a 0700 directory.
                cur.execute(
                    "SELECT User, Host FROM mysql.user"
                    " WHERE User = '' OR (User = 'root' AND Host <> 'localhost')"
                )
                for user, host in list(cur.fetchall()):
                    cur.execute("DROP USER %s@%s", (user, host))
        finally:
            conn.close()
        state = replace(state, provisioned=True)
        self._write_state(state)
        return state


# -- finding and installing the server ---------------------------------------------------


def find_server_binary(*, install: bool = False) -> Path:
    """The mariadbd/mysqld binary; installs SERVER_PACKAGES when allowed and running as root."""
    found = _which(SERVER_BINARIES)
    if found is not None:
        return found
    if not install:
        raise ServerError(_missing_server_message())
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise ServerError(_missing_server_message())
    _install_server_package()
    found = _which(SERVER_BINARIES)
    if found is None:
        raise ServerError(
            f"installed {' '.join(SERVER_PACKAGES)} but found no mariadbd/mysqld binary")
    return found


def server_flavour(binary: Path) -> str:
    """'mariadb' or 'mysql', from the binary's --version output."""
    done = subprocess.run(
        [str(binary), "--no-defaults", "--version"], capture_output=True, text=True, check=False
    )
    return "mariadb" if "mariadb" in (done.stdout + done.stderr).lower() else "mysql"


def _missing_server_message() -> str:
    return (
        "no MariaDB/MySQL server binary (mariadbd or mysqld) found. Install it with "
        f"`sudo apt-get install {' '.join(SERVER_PACKAGES)}` (Debian/Ubuntu), or set "
        "BANK_DATABASE_URL to an existing server, e.g. mysql://admin:password@127.0.0.1:3306/bank"
    )


def _install_server_package() -> None:
    commands = [
        ["apt-get", "update"],
        ["apt-get", "install", "-y", "--no-install-recommends", *SERVER_PACKAGES],
    ]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in commands:
        _say("running: DEBIAN_FRONTEND=noninteractive " + " ".join(command))
        done = subprocess.run(command, env=env, check=False)
        if done.returncode != 0:
            raise ServerError(f"`{' '.join(command)}` failed with exit code {done.returncode}")


def _initialise_command(binary: Path, flavour: str, datadir: Path) -> list[str]:
    as_root = ["--user=root"] if os.geteuid() == 0 else []
    if flavour == "mariadb":
        install_db = _which(INSTALL_DB_BINARIES)
        if install_db is None:
            raise ServerError(
                f"found {binary} but not mariadb-install-db; reinstall {SERVER_PACKAGES[0]}"
            )
        return [
            str(install_db),
            "--no-defaults",
            f"--datadir={datadir}",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            "--skip-name-resolve",
            *as_root,
        ]
    return [str(binary), "--no-defaults", "--initialize-insecure", f"--datadir={datadir}", *as_root]


def _which(names: Sequence[str]) -> Path | None:
    for name in names:
        found = shutil.which(name)
        if found:
            return Path(found)
        for directory in SEARCH_DIRS:
            candidate = Path(directory) / name
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return candidate
    return None


# -- small helpers -----------------------------------------------------------------------


def socket_path_for(base_dir: Path) -> Path:
    """`base_dir/mysqld.sock`, or a short private /tmp path when that would be too long."""
    candidate = base_dir / "mysqld.sock"
    if len(str(candidate)) < MAX_SOCKET_PATH:
        return candidate
    digest = hashlib.sha256(str(base_dir).encode()).hexdigest()[:16]
    return Path("/tmp") / f"bank-db-{digest}" / "mysqld.sock"


def _is_initialised(datadir: Path) -> bool:
    return (datadir / "mysql").is_dir()


def _login(state: _State) -> tuple[str, str]:
    if state.provisioned:
        return state.info.admin_user, state.info.admin_password
    return "root", ""


def _answers(socket_path: str, user: str, password: str) -> bool:
    import pymysql

    if not Path(socket_path).exists():
        return False
    try:
        conn = pymysql.connect(
            unix_socket=socket_path, user=user, password=password, connect_timeout=2
        )
    except pymysql.err.MySQLError as exc:
        code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else 2000
        return code not in _CLIENT_ERROR_CODES
    conn.close()
    return True


def _pid_alive(pid: int) -> bool:
    """Alive and not a zombie (a killed child nobody has reaped yet)."""
    if _HAS_PROC:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError, IndexError):
            return False
        return state not in {"Z", "X"}
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _runs_datadir(pid: int, datadir: Path) -> bool:
    """Guard against a recycled pid: the process must be a server on our datadir."""
    cmdline = Path(f"/proc/{pid}/cmdline")
    try:
        args = cmdline.read_bytes().split(b"\0")
    except FileNotFoundError:
        return not _HAS_PROC
    return f"--datadir={datadir}".encode() in args


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _pick_free_port() -> int:
    """A free TCP port on 127.0.0.1, preferably outside the ephemeral range."""
    for _ in range(100):
        port = random.randrange(*PORT_RANGE)
        if _port_is_free(port):
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def _write_private(path: Path, text: str) -> None:
    """Write a file readable by its owner only, atomically."""
    scratch = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.chmod(scratch, 0o600)
    os.replace(scratch, path)


def _tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


def _say(message: str) -> None:
    print(f"dbserver: {message}", file=sys.stderr, flush=True)


# -- entry points ------------------------------------------------------------------------


def default_server() -> PrivateServer:
    """The repository's own server under `.run/db/`."""
    return PrivateServer(DEFAULT_BASE_DIR)


def resolve_admin_url() -> str:
    """BANK_DATABASE_URL when set, else the admin URL of the (started) private server."""
    from api.config import get_settings

    settings = get_settings()
    if settings.database_url:
        return settings.database_url
    return default_server().start().admin_url(settings.db_name)


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: start, stop, show or print the URL of the private database server."""
    parser = argparse.ArgumentParser(prog="python -m scripts.dbserver", description=__doc__)
    parser.add_argument("command", choices=["start", "stop", "status", "url"])
    command = parser.parse_args(argv).command
    server = default_server()
    try:
        if command == "start":
            server.start()
            print(server.status())
        elif command == "stop":
            server.stop()
            print(server.status())
        elif command == "status":
            print(server.status())
        else:
            print(resolve_admin_url())
    except ServerError as exc:
        print(f"dbserver: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
