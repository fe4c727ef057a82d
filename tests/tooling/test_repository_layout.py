"""One repository root, one schema-file pattern, and the migrator's three parts in their homes."""

from __future__ import annotations

import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from api import config
from api.config import REPO_ROOT, SCHEMA_FILE_PATTERN, DatabaseAddress, Settings, get_settings
from scripts import db_roles, dbserver, migrate, sql_splitter
from scripts.db_connection import column, connect, tuple_cursor

# Where a module works out the repository root from its own path.
_ROOT_FROM_FILE = re.compile(r"Path\(__file__\)\.resolve\(\)\.(parent\.parent|parents\[\d\])")
_OWN_ROOT_ALLOWED = {"api/config.py", "scripts/dbserver.py"}


def _python_files() -> list[Path]:
    return [path for folder in ("api", "scripts", "bench", "tests")
            for path in (REPO_ROOT / folder).rglob("*.py")]


class TestOneRepositoryRoot:
    def test_only_config_and_dbserver_compute_the_root(self) -> None:
        computing = sorted(str(path.relative_to(REPO_ROOT)) for path in _python_files()
                           if _ROOT_FROM_FILE.search(path.read_text(encoding="utf-8")))
        assert sorted(set(computing) - _OWN_ROOT_ALLOWED) == []

    def test_dbserver_root_is_the_config_root(self) -> None:
        assert dbserver.REPO_ROOT == REPO_ROOT
        assert (REPO_ROOT / "schema").is_dir()
        assert (REPO_ROOT / "pyproject.toml").is_file()

    def test_dbserver_imports_with_the_standard_library_alone(self) -> None:
        """`-S` hides site-packages (the venv's pydantic and PyMySQL included)."""
        script = "import scripts.dbserver as d; print(d.REPO_ROOT)"
        result = subprocess.run([sys.executable, "-S", "-c", script], cwd=REPO_ROOT,
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert Path(result.stdout.strip()) == REPO_ROOT


class TestOneSchemaFilePattern:
    def test_the_migrator_uses_the_config_pattern(self) -> None:
        assert vars(migrate)["SCHEMA_FILE_PATTERN"] is config.SCHEMA_FILE_PATTERN
        assert not hasattr(migrate, "SCHEMA_FILE")

    @pytest.mark.parametrize(("name", "version"), [("01_core.sql", 1), ("12_a.b-c.sql", 12)])
    def test_versioned_names_match(self, name: str, version: int) -> None:
        match = SCHEMA_FILE_PATTERN.match(name)
        assert match is not None
        assert int(match.group(1)) == version

    @pytest.mark.parametrize("name", ["core.sql", "01-core.sql", "01_core.sql.bak", "01_a b.sql"])
    def test_other_names_do_not(self, name: str) -> None:
        assert SCHEMA_FILE_PATTERN.match(name) is None

    def test_every_schema_file_on_disk_matches(self) -> None:
        names = [path.name for path in (REPO_ROOT / "schema").glob("*.sql")]
        assert names
        assert all(SCHEMA_FILE_PATTERN.match(name) for name in names)


class TestMigratorParts:
    def test_each_part_lives_in_its_own_module(self) -> None:
        assert vars(migrate)["split_sql"] is sql_splitter.split_sql
        assert vars(migrate)["sync_roles"] is db_roles.sync_roles
        for name in ("ROLES", "OWNER_ROLE", "API_PROCEDURES", "RoleGrants"):
            assert hasattr(db_roles, name)
            assert not hasattr(sql_splitter, name)
            assert name not in vars(migrate) or vars(migrate)[name] is vars(db_roles)[name]

    def test_the_cli_keeps_its_flags(self) -> None:
        result = subprocess.run([sys.executable, "-m", "scripts.migrate", "--help"],
                                cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert "--database" in result.stdout
        assert "--seed" in result.stdout
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
