"""The migrator against a real server: statement splitting, versioning, repeatables, grants."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pymysql
import pytest

from api.config import REPO_ROOT, DatabaseAddress, get_settings
from scripts import migrate as migrator
from scripts.db_connection import connect
from scripts.db_roles import OWNER, OWNER_ROLE, ROLES, RoleGrants
from scripts.migrate import (
    REPEATABLE_DIRS,
    MigrationError,
    MigrationReport,
    applied_migrations,
    drop_database,
    pending_migrations,
    schema_status,
)
from scripts.sql_splitter import split_sql


def defined_roles(root: Path) -> dict[str, RoleGrants]:
    """ROLES with each user's procedures cut to those `root/procedures` defines."""
    defined = {path.stem for path in (root / "procedures").glob("*.sql")}
    return {user: replace(role, procedures=tuple(p for p in role.procedures if p in defined))
            for user, role in ROLES.items()}


def migrate(admin_url: str, *, root: Path = REPO_ROOT,
            roles: dict[str, RoleGrants] | None = None, **options: Any) -> MigrationReport:
    """The migrator; a sample project grants its service users only routines it defines
    (a granted routine the database lacks is an error)."""
    if roles is None and Path(root).resolve() != REPO_ROOT:
        roles = defined_roles(Path(root))
    return migrator.migrate(admin_url, root=root, roles=roles, **options)

ACCESS_DENIED = {1142, 1143, 1370}  # table, column, routine: command denied

# -- a small project of our own, so these tests do not depend on the real schema ----------

SAMPLE_FILES = {
    "schema/01_accounts.sql": """
-- Accounts and transactions: just enough columns for the grants to have targets.
CREATE TABLE accounts (
    id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
    owner VARCHAR(64) NOT NULL COMMENT 'who; owns it',
    balance DECIMAL(20,4) NOT NULL DEFAULT 0
) ENGINE=InnoDB;
CREATE TABLE transactions (
    id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
    amount DECIMAL(20,4) NOT NULL
) ENGINE=InnoDB;
""",
    "schema/02_notes.sql": """
# Notes: a table the worker must not read.
CREATE TABLE notes (
    id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
    body VARCHAR(255) NOT NULL DEFAULT 'a;b $$ c', /* default holds ; and $$ */
    UNIQUE KEY uq_notes_body (body)
) ENGINE=InnoDB;
""",
    "procedures/sp_add_note.sql": """
-- sp_add_note: inserts a note and returns its id.
DROP PROCEDURE IF EXISTS sp_add_note;
DELIMITER $$
CREATE PROCEDURE sp_add_note(IN p_body VARCHAR(255))
MODIFIES SQL DATA
BEGIN
    IF p_body = '' THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'EMPTY_NOTE: say something; anything';
    END IF;
    INSERT INTO notes (body) VALUES (p_body);
    SELECT LAST_INSERT_ID() AS id;
END$$
DELIMITER ;
""",
    "procedures/sp_record_risk_score.sql": """
DROP PROCEDURE IF EXISTS sp_record_risk_score;
DELIMITER //
CREATE PROCEDURE sp_record_risk_score(IN p_score DECIMAL(5,4))
BEGIN
    SELECT p_score AS score; -- a stand-in
END //
DELIMITER ;
""",
    "triggers/trg_notes_no_delete.sql": """
DROP TRIGGER IF EXISTS trg_notes_no_delete;
DELIMITER $$
CREATE TRIGGER trg_notes_no_delete BEFORE DELETE ON notes FOR EACH ROW
BEGIN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'IMMUTABLE: notes are append-only';
END$$
DELIMITER ;
""",
    # vw_a_* needs vw_b_*, which sorts after it: the migrator must retry.
    "views/vw_a_note_count.sql": """
DROP VIEW IF EXISTS vw_a_note_count;
CREATE VIEW vw_a_note_count AS SELECT COUNT(*) AS notes FROM vw_b_notes;
""",
    "views/vw_b_notes.sql": """
DROP VIEW IF EXISTS vw_b_notes;
CREATE VIEW vw_b_notes AS SELECT id, body FROM notes;
""",
    "data/01_notes.sql": """
INSERT IGNORE INTO notes (body) VALUES ('seeded; once'), ('seeded "twice"');
""",
}


def write_files(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.lstrip())
    return root


@pytest.fixture
def sample_root(tmp_path: Path) -> Path:
    return write_files(tmp_path / "project", SAMPLE_FILES)


@pytest.fixture
def scratch_db(admin_url: str) -> Iterator[str]:
    name = f"bank_mig_{secrets.token_hex(4)}"
    yield name
    drop_database(admin_url, name)


def open_db(admin_url: str, database: str) -> Any:
    return connect(DatabaseAddress.from_url(admin_url).with_database(database), dict_rows=True)


def open_as(admin_url: str, database: str, user: str, password: str) -> Any:
    address = DatabaseAddress.from_url(admin_url).with_database(database).as_role(user, password)
    return connect(address, dict_rows=True)


def query(conn: Any, sql: str, args: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    with conn.cursor() as cur:
        cur.execute(sql, args or None)
        rows = list(cur.fetchall())
        while cur.nextset():
            pass
    return rows


def snapshot(admin_url: str, database: str) -> dict[str, Any]:
    """Everything a second migrate must leave exactly as it was."""
    conn = open_db(admin_url, database)
    try:
        return {
            "migrations": query(conn, "SELECT * FROM schema_migrations ORDER BY version"),
            "routines": query(
                conn,
                "SELECT ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES"
                " WHERE ROUTINE_SCHEMA = %s ORDER BY 1",
                (database,),
            ),
            "triggers": query(
                conn,
                "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS"
                " WHERE TRIGGER_SCHEMA = %s ORDER BY 1",
                (database,),
            ),
            "views": query(
                conn,
                "SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = %s"
                " ORDER BY 1",
                (database,),
            ),
            "tables": query(
                conn,
                "SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES"
                " WHERE TABLE_SCHEMA = %s ORDER BY 1",
                (database,),
            ),
            "grants": query(
                conn,
                "SELECT GRANTEE, TABLE_NAME, PRIVILEGE_TYPE"
                " FROM information_schema.TABLE_PRIVILEGES"
                " WHERE TABLE_SCHEMA = %s ORDER BY 1, 2, 3",
                (database,),
            ),
        }
    finally:
        conn.close()


def server_error(exc_info: pytest.ExceptionInfo[pymysql.err.MySQLError]) -> int:
    return int(exc_info.value.args[0])


# -- split_sql ------------------------------------------------------------------------------


class TestSplitSql:
    def test_splits_on_semicolons_and_drops_empty_statements(self) -> None:
        assert split_sql("SELECT 1; SELECT 2;\n;;  \n SELECT 3") == [
            "SELECT 1",
            "SELECT 2",
            "SELECT 3",
        ]

    @pytest.mark.parametrize(
        ("script", "expected"),
        [
            ("SELECT 'a;b'; SELECT 2;", ["SELECT 'a;b'", "SELECT 2"]),
            ('SELECT "a;b";', ['SELECT "a;b"']),
            ("SELECT `odd;name` FROM t;", ["SELECT `odd;name` FROM t"]),
            ("SELECT 'it''s; fine';", ["SELECT 'it''s; fine'"]),
            ("SELECT 'back\\'slash;';", ["SELECT 'back\\'slash;'"]),
            ('SELECT "dq\\";" , 1;', ['SELECT "dq\\";" , 1']),
            ("SELECT `a``;b`;", ["SELECT `a``;b`"]),
            ("SELECT 'a\\\\'; SELECT 2;", ["SELECT 'a\\\\'", "SELECT 2"]),
            ("SELECT 'multi\nline; string';", ["SELECT 'multi\nline; string'"]),
        ],
    )
    def test_ignores_delimiters_inside_strings(self, script: str, expected: list[str]) -> None:
        assert split_sql(script) == expected

    @pytest.mark.parametrize(
        ("script", "expected"),
        [
            ("SELECT 1 -- one; two\n, 2;", ["SELECT 1 -- one; two\n, 2"]),
            ("SELECT 1 # one; two\n;", ["SELECT 1 # one; two"]),
            ("SELECT /* a; b */ 1;", ["SELECT /* a; b */ 1"]),
            ("SELECT 1 /* a;\n b; */;", ["SELECT 1 /* a;\n b; */"]),
            ("SELECT 5--1;", ["SELECT 5--1"]),
            ("SELECT 1 -- 'unclosed;\n;", ["SELECT 1 -- 'unclosed;"]),
            ("SELECT 1 /* it's */; SELECT 2;", ["SELECT 1 /* it's */", "SELECT 2"]),
        ],
    )
    def test_ignores_delimiters_inside_comments(self, script: str, expected: list[str]) -> None:
        assert split_sql(script) == expected

    def test_drops_comment_only_statements_and_leading_comments(self) -> None:
        script = "-- header\n# more\n/* and more; */\n\nSELECT 1;\n-- trailing note\n"
        assert split_sql(script) == ["SELECT 1"]

    def test_keeps_executable_comments(self) -> None:
        assert split_sql("/*!40101 SET NAMES utf8mb4 */;") == ["/*!40101 SET NAMES utf8mb4 */"]

    def test_last_statement_without_delimiter(self) -> None:
        assert split_sql("SELECT 1;\nSELECT 2\n") == ["SELECT 1", "SELECT 2"]

    def test_procedure_with_dollar_delimiter(self) -> None:
        script = (
            "DROP PROCEDURE IF EXISTS p;\n"
            "DELIMITER $$\n"
            "CREATE PROCEDURE p()\n"
            "BEGIN\n"
            "    DECLARE v_x INT DEFAULT 1;\n"
            "    SELECT '$$ inside; a string' AS s; -- and $$ in a comment\n"
            "END$$\n"
            "DELIMITER ;\n"
            "CALL p();\n"
        )
        assert split_sql(script) == [
            "DROP PROCEDURE IF EXISTS p",
            "CREATE PROCEDURE p()\nBEGIN\n    DECLARE v_x INT DEFAULT 1;\n"
            "    SELECT '$$ inside; a string' AS s; -- and $$ in a comment\nEND",
            "CALL p()",
        ]

    def test_trigger_with_slash_delimiter_and_lowercase_command(self) -> None:
        script = (
            "delimiter //\n"
            "CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW\n"
            "BEGIN SET NEW.a = 1; SET NEW.b = 2; END //\n"
            "  Delimiter ;\n"
            "SELECT 1;"
        )
        assert split_sql(script) == [
            "CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW\n"
            "BEGIN SET NEW.a = 1; SET NEW.b = 2; END",
            "SELECT 1",
        ]

    def test_several_routines_under_one_delimiter(self) -> None:
        script = "DELIMITER ;;\nCREATE PROCEDURE a() SELECT 1;;\nCREATE PROCEDURE b() SELECT 2;;\n"
        assert split_sql(script) == [
            "CREATE PROCEDURE a() SELECT 1",
            "CREATE PROCEDURE b() SELECT 2",
        ]

    def test_delimiter_word_inside_string_or_comment_is_not_a_command(self) -> None:
        script = "SELECT '\nDELIMITER $$\n';\n/*\nDELIMITER $$\n*/\nSELECT 2;"
        assert split_sql(script) == ["SELECT '\nDELIMITER $$\n'", "SELECT 2"]

    def test_delimiter_command_ends_an_unterminated_statement(self) -> None:
        assert split_sql("SELECT 1\nDELIMITER $$\nSELECT 2$$") == ["SELECT 1", "SELECT 2"]

    def test_crlf_line_endings(self) -> None:
        script = (
            "DELIMITER $$\r\nCREATE PROCEDURE p() BEGIN SELECT 1; END$$\r\nDELIMITER ;\r\nSELECT 2;"
        )
        assert split_sql(script) == ["CREATE PROCEDURE p() BEGIN SELECT 1; END", "SELECT 2"]


# -- migrate ------------------------------------------------------------------------------


class TestMigrate:
    def test_fresh_database_gets_everything(
        self, admin_url: str, scratch_db: str, sample_root: Path
    ) -> None:
        report = migrate(admin_url, database=scratch_db, root=sample_root)
        assert report.applied == ["01_accounts.sql", "02_notes.sql"]
        assert report.skipped == []
        assert (report.routines, report.triggers, report.views) == (2, 1, 2)
        conn = open_db(admin_url, scratch_db)
        try:
            assert query(conn, "CALL sp_add_note('hello; world')")[0]["id"] == 1
            assert query(conn, "SELECT * FROM vw_a_note_count") == [{"notes": 1}]
            with pytest.raises(pymysql.err.OperationalError, match="IMMUTABLE"):
                query(conn, "DELETE FROM notes")
            with pytest.raises(pymysql.err.OperationalError, match="EMPTY_NOTE"):
                query(conn, "CALL sp_add_note('')")
            checksums = {
                row["version"]: row["checksum"]
                for row in query(conn, "SELECT version, checksum FROM schema_migrations")
            }
        finally:
            conn.close()
        assert checksums == applied_migrations_of(admin_url, scratch_db)
        assert len(checksums["01_accounts.sql"]) == 64

    def test_second_run_changes_nothing(
        self, admin_url: str, scratch_db: str, sample_root: Path
    ) -> None:
        migrate(admin_url, database=scratch_db, root=sample_root)
        before = snapshot(admin_url, scratch_db)
        report = migrate(admin_url, database=scratch_db, root=sample_root)
        assert report.applied == []
        assert report.skipped == ["01_accounts.sql", "02_notes.sql"]
        assert (report.routines, report.triggers, report.views) == (2, 1, 2)
        assert snapshot(admin_url, scratch_db) == before

    def test_objects_whose_file_was_removed_are_dropped(
        self, admin_url: str, scratch_db: str, sample_root: Path
    ) -> None:
        migrate(admin_url, database=scratch_db, root=sample_root)
        (sample_root / "procedures" / "sp_add_note.sql").unlink()
        report = migrate(admin_url, database=scratch_db, root=sample_root)
        assert report.routines == 1
        conn = open_db(admin_url, scratch_db)
        try:
            with pytest.raises(pymysql.err.OperationalError, match="does not exist"):
                query(conn, "CALL sp_add_note('gone')")
        finally:
            conn.close()

    def test_schema_files_apply_in_numeric_order(
        self, admin_url: str, scratch_db: str, tmp_path: Path
    ) -> None:
        root = write_files(
            tmp_path,
            {
                "schema/10_later.sql": "ALTER TABLE early ADD COLUMN later INT;",
                "schema/9_early.sql": "CREATE TABLE early (id INT PRIMARY KEY);",
            },
        )
        report = migrate(admin_url, database=scratch_db, root=root)
        assert report.applied == ["9_early.sql", "10_later.sql"]

    def test_byte_order_mark_and_crlf_files_load(
        self, admin_url: str, scratch_db: str, tmp_path: Path
    ) -> None:
        root = tmp_path / "bom"
        (root / "schema").mkdir(parents=True)
        script = "-- made on Windows\r\nCREATE TABLE t (id INT);\r\nINSERT INTO t VALUES (1);\r\n"
        (root / "schema" / "01_t.sql").write_bytes(b"\xef\xbb\xbf" + script.encode())
        assert migrate(admin_url, database=scratch_db, root=root).applied == ["01_t.sql"]

    def test_edited_schema_file_is_refused(
        self, admin_url: str, scratch_db: str, sample_root: Path
    ) -> None:
        migrate(admin_url, database=scratch_db, root=sample_root)
        edited = sample_root / "schema" / "01_accounts.sql"
        edited.write_text(edited.read_text() + "\nALTER TABLE accounts ADD COLUMN x INT;\n")
        (sample_root / "schema" / "03_new.sql").write_text("CREATE TABLE extra (id INT);")
        with pytest.raises(MigrationError, match=r"01_accounts\.sql"):
            migrate(admin_url, database=scratch_db, root=sample_root)
        assert sorted(applied_migrations_of(admin_url, scratch_db)) == [
            "01_accounts.sql",
            "02_notes.sql",
        ]

    def test_removed_schema_file_is_refused(
        self, admin_url: str, scratch_db: str, sample_root: Path
    ) -> None:
        migrate(admin_url, database=scratch_db, root=sample_root)
        (sample_root / "schema" / "02_notes.sql").unlink()
        with pytest.raises(MigrationError, match=r"02_notes\.sql"):
            migrate(admin_url, database=scratch_db, root=sample_root)

    def test_new_schema_file_is_applied_once(
        self, admin_url: str, scratch_db: str, sample_root: Path
    ) -> None:
        migrate(admin_url, database=scratch_db, root=sample_root)
        (sample_root / "schema" / "03_tags.sql").write_text(
            "CREATE TABLE tags (id INT PRIMARY KEY);\nINSERT INTO tags VALUES (1);\n"
        )
        assert pending_migrations(applied_migrations_of(admin_url, scratch_db), sample_root) == [
            "03_tags.sql"
        ]
        assert migrate(admin_url, database=scratch_db, root=sample_root).applied == ["03_tags.sql"]
        assert migrate(admin_url, database=scratch_db, root=sample_root).applied == []
        conn = open_db(admin_url, scratch_db)
        try:
            assert query(conn, "SELECT COUNT(*) AS n FROM tags") == [{"n": 1}]
            status = schema_status(conn, scratch_db, sample_root)
        finally:
            conn.close()
        assert status.current
        assert status.applied == ["01_accounts.sql", "02_notes.sql", "03_tags.sql"]

    def test_failing_schema_file_is_named_and_not_recorded(
        self, admin_url: str, scratch_db: str, sample_root: Path
    ) -> None:
        (sample_root / "schema" / "03_broken.sql").write_text(
            "CREATE TABLE fine (id INT);\nCREATE TABLE broken (id NOT_A_TYPE);\n"
        )
        with pytest.raises(MigrationError, match=r"schema/03_broken\.sql: statement 2"):
            migrate(admin_url, database=scratch_db, root=sample_root)
        assert "03_broken.sql" not in applied_migrations_of(admin_url, scratch_db)

    def test_schema_is_built_by_the_owner_without_drop(
        self, admin_url: str, scratch_db: str, sample_root: Path
    ) -> None:
        migrate(admin_url, database=scratch_db, root=sample_root)
        conn = open_db(admin_url, scratch_db)
        try:
            definers = {
                row["DEFINER"].split("@")[0]
                for table, column in (("ROUTINES", "ROUTINE_SCHEMA"),
                                      ("TRIGGERS", "TRIGGER_SCHEMA"), ("VIEWS", "TABLE_SCHEMA"))
                for row in query(conn, f"SELECT DEFINER FROM information_schema.{table}"
                                       f" WHERE {column} = %s", (scratch_db,))
            }
        finally:
            conn.close()
        assert definers == {OWNER}
        for number, statement in enumerate(("TRUNCATE TABLE notes", "DROP TABLE notes"), 4):
            (sample_root / "schema" / f"0{number}_drop.sql").write_text(statement + ";\n")
            with pytest.raises(MigrationError, match=rf"0{number}_drop\.sql.*error 1142"):
                migrate(admin_url, database=scratch_db, root=sample_root)
            (sample_root / "schema" / f"0{number}_drop.sql").unlink()

    def test_badly_named_schema_file_is_refused(
        self, admin_url: str, scratch_db: str, sample_root: Path
    ) -> None:
        (sample_root / "schema" / "tags.sql").write_text("CREATE TABLE tags (id INT);")
        with pytest.raises(MigrationError, match=r"schema/tags\.sql"):
            migrate(admin_url, database=scratch_db, root=sample_root)

    def test_view_on_a_missing_table_fails_with_its_name(
        self, admin_url: str, scratch_db: str, sample_root: Path
    ) -> None:
        (sample_root / "views" / "vw_c_ghost.sql").write_text(
            "DROP VIEW IF EXISTS vw_c_ghost;\nCREATE VIEW vw_c_ghost AS SELECT * FROM ghosts;\n"
        )
        with pytest.raises(MigrationError, match=r"vw_c_ghost\.sql"):
            migrate(admin_url, database=scratch_db, root=sample_root)

    def test_seed_runs_data_files_after_migrating(
        self, admin_url: str, scratch_db: str, sample_root: Path
    ) -> None:
        assert migrate(admin_url, database=scratch_db, root=sample_root).seeded == []
        report = migrate(admin_url, database=scratch_db, root=sample_root, seed=True)
        assert report.seeded == ["01_notes.sql"]
        # recorded in seed_runs: a second run (a restart of `make run`) does not seed again
        again = migrate(admin_url, database=scratch_db, root=sample_root, seed=True)
        assert again.seeded == []
        conn = open_db(admin_url, scratch_db)
        try:
            rows = query(conn, "SELECT body FROM notes ORDER BY id")
        finally:
            conn.close()
        assert rows == [{"body": "seeded; once"}, {"body": 'seeded "twice"'}]

    def test_refuses_unsafe_database_names(self, admin_url: str, sample_root: Path) -> None:
        with pytest.raises(MigrationError, match="refusing database name"):
            migrate(admin_url, database="bank`; DROP DATABASE mysql; --", root=sample_root)


def applied_migrations_of(admin_url: str, database: str) -> dict[str, str]:
    conn = connect(DatabaseAddress.from_url(admin_url), use_database=False)
    try:
        return applied_migrations(conn, database)
    finally:
        conn.close()


# -- users and grants ------------------------------------------------------------------------


# The sample project's API calls sp_add_note: bank_app's allow-list for these tests. Each
# service user is granted only routines the sample defines (a missing one fails the migrate).
SAMPLE_ROLES = {
    **ROLES,
    "bank_app": replace(ROLES["bank_app"], procedures=("sp_add_note",)),
    "bank_worker": replace(ROLES["bank_worker"], procedures=("sp_record_risk_score",)),
    "bank_gpt_audit": replace(ROLES["bank_gpt_audit"], procedures=()),
}


class TestGrants:
    @pytest.fixture
    def migrated(self, admin_url: str, scratch_db: str, sample_root: Path) -> str:
        migrate(admin_url, database=scratch_db, root=sample_root, roles=SAMPLE_ROLES)
        return scratch_db

    def test_app_may_only_execute_procedures(self, admin_url: str, migrated: str) -> None:
        conn = open_as(admin_url, migrated, "bank_app", get_settings().app_db_password)
        try:
            assert query(conn, "CALL sp_add_note('via the app')")[0]["id"] >= 1
            for statement in (
                "SELECT * FROM notes",
                "INSERT INTO notes (body) VALUES ('direct')",
                "UPDATE accounts SET balance = 1",
                "DELETE FROM transactions",
                "SELECT * FROM vw_b_notes",
            ):
                with pytest.raises(pymysql.err.MySQLError) as caught:
                    query(conn, statement)
                assert server_error(caught) in ACCESS_DENIED, statement
        finally:
            conn.close()

    def test_worker_reads_its_tables_and_records_scores(
        self, admin_url: str, migrated: str
    ) -> None:
        conn = open_as(admin_url, migrated, "bank_worker", get_settings().worker_db_password)
        try:
            assert query(conn, "SELECT COUNT(*) AS n FROM accounts") == [{"n": 0}]
            assert query(conn, "SELECT COUNT(*) AS n FROM transactions") == [{"n": 0}]
            assert query(conn, "CALL sp_record_risk_score(0.5)")[0]["score"] is not None
            for statement in (
                "SELECT * FROM notes",
                "CALL sp_add_note('worker')",
                "INSERT INTO transactions (amount) VALUES (1)",
            ):
                with pytest.raises(pymysql.err.MySQLError) as caught:
                    query(conn, statement)
                assert server_error(caught) in ACCESS_DENIED, statement
        finally:
            conn.close()

    def test_a_granted_routine_that_does_not_exist_is_an_error(
        self, admin_url: str, scratch_db: str, sample_root: Path
    ) -> None:
        misspelt = {**SAMPLE_ROLES,
                    "bank_worker": replace(SAMPLE_ROLES["bank_worker"],
                                           procedures=("sp_record_risk_scorez",))}
        with pytest.raises(MigrationError, match=r"bank_worker: sp_record_risk_scorez: granted"):
            migrate(admin_url, database=scratch_db, root=sample_root, roles=misspelt)
        # Nothing was granted on the way: the worker cannot log in to the database at all.
        with pytest.raises(pymysql.err.OperationalError):
            open_as(admin_url, scratch_db, "bank_worker", get_settings().worker_db_password)

    def test_readonly_sees_views_only(self, admin_url: str, migrated: str) -> None:
        conn = open_as(admin_url, migrated, "bank_readonly", get_settings().readonly_db_password)
        try:
            assert query(conn, "SELECT * FROM vw_a_note_count") == [{"notes": 0}]
            assert query(conn, "SELECT * FROM vw_b_notes") == []
            for statement in ("SELECT * FROM notes", "CALL sp_add_note('ro')"):
                with pytest.raises(pymysql.err.MySQLError) as caught:
                    query(conn, statement)
                assert server_error(caught) in ACCESS_DENIED, statement
        finally:
            conn.close()

    def test_undeclared_privileges_are_revoked(
        self, admin_url: str, migrated: str, sample_root: Path
    ) -> None:
        conn = open_db(admin_url, migrated)
        try:
            query(conn, f"GRANT SELECT ON `{migrated}`.notes TO 'bank_app'@'localhost'")
            query(conn, f"GRANT INSERT ON `{migrated}`.* TO 'bank_readonly'@'127.0.0.1'")
            query(conn, f"GRANT EXECUTE ON `{migrated}`.* TO 'bank_app'@'127.0.0.1'")
            query(conn, f"GRANT DROP ON `{migrated}`.* TO '{OWNER}'@'127.0.0.1'")
        finally:
            conn.close()
        before = snapshot(admin_url, migrated)["grants"]
        app = "'bank_app'@'localhost'"
        assert {"GRANTEE": app, "TABLE_NAME": "notes", "PRIVILEGE_TYPE": "SELECT"} in before
        migrate(admin_url, database=migrated, root=sample_root, roles=SAMPLE_ROLES)
        conn = open_db(admin_url, migrated)
        try:
            schema_grants = query(
                conn,
                "SELECT GRANTEE, PRIVILEGE_TYPE FROM information_schema.SCHEMA_PRIVILEGES"
                " WHERE TABLE_SCHEMA = %s ORDER BY 1, 2",
                (migrated,),
            )
        finally:
            conn.close()
        # Only the schema owner holds database-wide privileges, and never DROP.
        held = {(row["GRANTEE"], row["PRIVILEGE_TYPE"]) for row in schema_grants}
        assert held == {
            (f"'{OWNER}'@'{host}'", privilege)
            for host in ("127.0.0.1", "localhost")
            for privilege in OWNER_ROLE.database
        }
        grants = snapshot(admin_url, migrated)["grants"]
        assert all(not row["GRANTEE"].startswith("'bank_app'@") for row in grants)

    def test_drop_database_revokes_what_roles_held(self, admin_url: str, migrated: str) -> None:
        drop_database(admin_url, migrated)
        conn = connect(DatabaseAddress.from_url(admin_url), use_database=False, dict_rows=True)
        try:
            left = query(
                conn,
                "SELECT GRANTEE FROM information_schema.SCHEMA_PRIVILEGES WHERE TABLE_SCHEMA = %s"
                " UNION ALL SELECT GRANTEE FROM information_schema.TABLE_PRIVILEGES"
                " WHERE TABLE_SCHEMA = %s"
                " UNION ALL SELECT User FROM mysql.procs_priv WHERE Db = %s",
                (migrated, migrated, migrated),
            )
        finally:
            conn.close()
        assert left == []


# -- the repository's own SQL ---------------------------------------------------------------

needs_repo_schema = pytest.mark.skipif(
    not any((REPO_ROOT / "schema").glob("*.sql")), reason="no schema files yet"
)


@needs_repo_schema
class TestRepositorySql:
    def test_session_database_migrates_again_without_change(
        self, admin_url: str, database: str
    ) -> None:
        before = snapshot(admin_url, database)
        report = migrate(admin_url, database=database)
        assert report.applied == []
        assert snapshot(admin_url, database) == before

    def test_copied_repository_detects_an_edited_schema_file(
        self, admin_url: str, scratch_db: str, tmp_path: Path
    ) -> None:
        root = tmp_path / "copy"
        for directory in ("schema", *REPEATABLE_DIRS):
            if (REPO_ROOT / directory).is_dir():
                shutil.copytree(REPO_ROOT / directory, root / directory)
        first = migrate(admin_url, database=scratch_db, root=root)
        assert first.applied == [path.name for path in sorted_schema(root)]
        (root / "schema" / "99_added_later.sql").write_text("CREATE TABLE added_later (id INT);")
        assert migrate(admin_url, database=scratch_db, root=root).applied == ["99_added_later.sql"]
        victim = sorted_schema(root)[0]
        victim.write_text(victim.read_text() + "\n-- an innocent-looking edit\n")
        with pytest.raises(MigrationError, match=victim.name):
            migrate(admin_url, database=scratch_db, root=root)


def sorted_schema(root: Path) -> list[Path]:
    return sorted((root / "schema").glob("*.sql"), key=lambda p: int(p.name.split("_", 1)[0]))


# -- the same files through the mariadb/mysql command-line client -----------------------------

CLIENT = shutil.which("mariadb") or shutil.which("mysql")


def client_load(admin_url: str, database: str, path: Path) -> subprocess.CompletedProcess[str]:
    address = DatabaseAddress.from_url(admin_url)
    command = [
        str(CLIENT),
        "--no-defaults",
        f"--host={address.host}",
        f"--port={address.port}",
        f"--user={address.user}",
        f"--database={database}",
    ]
    env = {**os.environ, "MYSQL_PWD": address.password}
    with path.open() as script:
        return subprocess.run(
            command, stdin=script, env=env, capture_output=True, text=True, check=False
        )


def load_with_client(admin_url: str, database: str, root: Path) -> None:
    """schema/ in order, then procedures, triggers, views (retrying views) via the client."""
    for path in sorted_schema(root):
        done = client_load(admin_url, database, path)
        assert done.returncode == 0, f"{path}: {done.stderr}"
    for directory in ("procedures", "triggers"):
        for path in sorted((root / directory).glob("*.sql")):
            done = client_load(admin_url, database, path)
            assert done.returncode == 0, f"{path}: {done.stderr}"
    pending = sorted((root / "views").glob("*.sql"))
    while pending:
        failed = [p for p in pending if client_load(admin_url, database, p).returncode != 0]
        assert len(failed) < len(pending), f"views do not load: {failed}"
        pending = failed


@pytest.mark.skipif(CLIENT is None, reason="no mariadb/mysql command-line client")
class TestCommandLineClient:
    def test_sample_files_load_with_the_client(
        self, admin_url: str, scratch_db: str, sample_root: Path
    ) -> None:
        conn = connect(DatabaseAddress.from_url(admin_url), use_database=False)
        try:
            query(conn, f"CREATE DATABASE `{scratch_db}`")
        finally:
            conn.close()
        load_with_client(admin_url, scratch_db, sample_root)
        conn = open_db(admin_url, scratch_db)
        try:
            assert query(conn, "CALL sp_add_note('client')")[0]["id"] == 1
            assert query(conn, "SELECT * FROM vw_a_note_count") == [{"notes": 1}]
        finally:
            conn.close()

    @needs_repo_schema
    def test_repository_files_load_with_the_client(self, admin_url: str, scratch_db: str) -> None:
        conn = connect(DatabaseAddress.from_url(admin_url), use_database=False)
        try:
            query(conn, f"CREATE DATABASE `{scratch_db}` CHARACTER SET utf8mb4")
        finally:
            conn.close()
        load_with_client(admin_url, scratch_db, REPO_ROOT)
