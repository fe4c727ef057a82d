"""A second private server in a scratch directory: start, reuse, crash, recover, stop."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymysql
import pytest

from api.config import DatabaseAddress
from scripts.db_connection import connect
from scripts.dbserver import (
    INSTALL_DB_BINARIES,
    MAX_SOCKET_PATH,
    SERVER_PACKAGES,
    PrivateServer,
    ServerInfo,
    _which,
    find_server_binary,
    socket_path_for,
)

# Small enough to start in a second or two next to the main test server.
SMALL = {
    "innodb-buffer-pool-size": "64M",
    "innodb-log-file-size": "48M",
    "max-connections": "50",
}


@pytest.fixture
def server() -> Iterator[PrivateServer]:
    base = Path(tempfile.mkdtemp(prefix="bankdb-", dir="/tmp"))
    private = PrivateServer(base, options=SMALL)
    try:
        yield private
    finally:
        if private.is_running():
            private.kill()
        shutil.rmtree(base, ignore_errors=True)


def admin_connection(info: ServerInfo, database: str = "mysql") -> Any:  # a PyMySQL connection
    return connect(DatabaseAddress.from_url(info.admin_url(database)))


def scalar(conn: pymysql.Connection, sql: str) -> object:
    with conn.cursor() as cur:
        cur.execute(sql)
        row = cur.fetchone()
    return row[0] if row else None


class TestPrivateServer:
    def test_start_reuse_crash_recover_stop(self, server: PrivateServer) -> None:
        assert server.status().startswith("not initialised")
        info = server.start()
        pid = server.pid
        assert pid is not None
        assert server.is_running()
        assert server.ping()
        assert server.status().startswith(f"running: pid {pid}, 127.0.0.1:{info.port}")
        assert (server.state_file.stat().st_mode & 0o777) == 0o600

        assert server.start() == info
        assert server.pid == pid

        conn = admin_connection(info)
        try:
            assert scalar(conn, "SELECT @@character_set_server") == "utf8mb4"
            assert scalar(conn, "SELECT @@innodb_flush_log_at_trx_commit") == 1
            assert scalar(conn, "SELECT @@log_bin") == 0
            with conn.cursor() as cur:
                cur.execute("CREATE DATABASE survivor")
                cur.execute("CREATE TABLE survivor.kept (id INT PRIMARY KEY) ENGINE=InnoDB")
                cur.execute("INSERT INTO survivor.kept VALUES (42)")
        finally:
            conn.close()

        server.kill()
        assert not server.is_running()
        assert server.status().startswith("stopped")

        assert server.start() == info
        assert server.pid not in (None, pid)
        conn = admin_connection(info, "survivor")
        try:
            assert scalar(conn, "SELECT id FROM kept") == 42
        finally:
            conn.close()

        server.stop()
        assert not server.is_running()
        assert server.pid is None
        assert not server.ping()
        assert server.status().startswith("stopped")

    def test_root_cannot_log_in_over_tcp(self, server: PrivateServer) -> None:
        info = server.start()
        root = DatabaseAddress(host=info.host, port=info.port, user="root", password="")
        with pytest.raises(pymysql.err.OperationalError) as caught:
            connect(root, use_database=False)
        assert caught.value.args[0] in (1045, 1130)
        server.stop()

    def test_lost_data_directory_is_rebuilt_with_the_same_login(
        self, server: PrivateServer
    ) -> None:
        info = server.start()
        server.stop()
        shutil.rmtree(server.datadir)
        assert server.start() == info
        conn = admin_connection(info)
        try:
            assert scalar(conn, "SELECT CURRENT_USER()") == "bank_admin@127.0.0.1"
        finally:
            conn.close()
        server.stop()


class TestHelpers:
    def test_socket_lives_in_the_base_dir_when_short(self, tmp_path: Path) -> None:
        assert socket_path_for(Path("/srv/bank/.run/db")) == Path("/srv/bank/.run/db/mysqld.sock")

    def test_long_base_dirs_get_a_short_private_socket(self) -> None:
        long_dir = Path("/" + "/".join(["deeply-nested-directory"] * 6))
        path = socket_path_for(long_dir)
        assert len(str(path)) < MAX_SOCKET_PATH
        assert path.parent.name.startswith("bank-db-")
        assert str(path).startswith("/tmp/")
        assert socket_path_for(long_dir) == path
        assert socket_path_for(long_dir / "other") != path

    def test_admin_url_quotes_the_password(self) -> None:
        info = ServerInfo("127.0.0.1", 3999, "/tmp/s.sock", "bank_admin", "p@ss:w/rd%?#")
        address = DatabaseAddress.from_url(info.admin_url("ledger"))
        assert (address.user, address.password, address.port, address.database) == (
            "bank_admin",
            "p@ss:w/rd%?#",
            3999,
            "ledger",
        )


class TestInstall:
    def test_the_core_packages_hold_everything_the_server_needs(self) -> None:
        # scripts/dbserver.py installs only these (no Debian service enabled at boot);
        # each binary it runs must come from one of them.
        if shutil.which("dpkg") is None:
            pytest.skip("not a Debian system")
        needed = [find_server_binary(), _which(INSTALL_DB_BINARIES), _which(("my_print_defaults",))]
        for binary in needed:
            assert binary is not None
            done = subprocess.run(["dpkg", "-S", str(binary.resolve())], capture_output=True,
                                  text=True, check=False)
            if done.returncode != 0:
                pytest.skip(f"{binary} was not installed from a Debian package")
            package = done.stdout.split(":", 1)[0]
            assert package in SERVER_PACKAGES, (binary, package)
        assert "mariadb-server" not in SERVER_PACKAGES
