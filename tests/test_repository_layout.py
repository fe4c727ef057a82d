"""The migrator's three parts (splitter, runner, grants) each in a module named after it."""

from __future__ import annotations

import secrets
import subprocess
import sys

from api.config import REPO_ROOT, DatabaseAddress, Settings, get_settings
from scripts import db_roles, migrate, sql_splitter
from scripts.db_connection import column, connect, tuple_cursor


class TestMigratorParts:
    def test_each_part_lives_in_its_own_module(self) -> None:
        assert migrate.split_sql is sql_splitter.split_sql
        assert migrate.sync_roles is db_roles.sync_roles
        for name in ("ROLES", "OWNER_ROLE", "API_PROCEDURES", "RoleGrants"):
            assert hasattr(db_roles, name) and not hasattr(sql_splitter, name)
            assert name not in vars(migrate) or vars(migrate)[name] is vars(db_roles)[name]

    def test_the_cli_keeps_its_flags(self) -> None:
        result = subprocess.run([sys.executable, "-m", "scripts.migrate", "--help"],
                                cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert "--database" in result.stdout and "--seed" in result.stdout
        assert "Flyway" in result.stdout

    def test_owner_address_uses_the_settings_passed_in(self) -> None:
        admin = Settings(database_url="mysql://root@127.0.0.1:1/bank").admin_address()
        owner = db_roles.owner_address(admin, Settings(owner_db_password="passed-in-pw"))
        assert (owner.user, owner.password) == (db_roles.OWNER, "passed-in-pw")

    def test_migrate_uses_the_settings_passed_in(self, admin_url: str) -> None:
        """Hosts come from the Settings argument, not from the environment's Settings."""
        extra_host = "10.9.8.6"
        assert extra_host not in get_settings().db_user_hosts
        passed = Settings(db_user_hosts=[*get_settings().db_user_hosts, extra_host])
        name = f"bank_settings_{secrets.token_hex(4)}"
        admin = connect(DatabaseAddress.from_url(admin_url), use_database=False)
        hosts_query = "SELECT User FROM mysql.user WHERE Host = %s"
        try:
            migrate.migrate(admin_url, database=name, settings=passed)
            with tuple_cursor(admin) as cur:
                assert set(column(cur, hosts_query, (extra_host,))) == set(db_roles.all_accounts())
            migrate.migrate(admin_url, database=name)  # the environment's hosts again
            with tuple_cursor(admin) as cur:
                assert column(cur, hosts_query, (extra_host,)) == []
        finally:
            migrate.drop_database(admin_url, name)
            admin.close()
