"""scripts/import_transactions.py: a handbook CSV imported once, checked whole before a write."""

from __future__ import annotations

import csv
import secrets
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pytest

from api.config import DatabaseAddress
from scripts.db_connection import connect
from scripts.import_transactions import ImportFileError, import_file, main, read_rows
from tests.support.ledger import counts, integrity_problems, query

HEADER = ["TRANSACTION_ID", "TX_DATETIME", "CUSTOMER_ID", "TERMINAL_ID", "TX_AMOUNT",
          "TX_FRAUD", "TX_FRAUD_SCENARIO"]
# The first rows of the handbook sample (its shape, its float noise on line 4).
ROWS = [
    ["11", "2018-04-01 00:17:44", "2000", "7997", "66.38", "0", "0"],
    ["18", "2018-04-01 00:20:48", "3700", "471", "87.38", "0", "0"],
    ["272155", "2018-04-01 01:05:52", "600", "5413", "40.599999999999994", "1", "3"],
    ["128", "2018-04-01 01:32:21", "3550", "1431", "5.62", "0", "0"],
    ["165", "2018-04-01 01:50:46", "3600", "2581", "7.94", "0", "0"],
    ["166", "2018-04-01 02:10:00", "2000", "471", "12.5", "1", "2"],
]


def _csv(tmp_path: Path, rows: list[list[str]], name: str = "tx.csv") -> Path:
    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def _url(address: DatabaseAddress) -> str:
    url = (f"mysql://{quote(address.user)}:{quote(address.password, safe='')}@{address.host}:"
           f"{address.port}/{address.database}")
    return url + (f"?unix_socket={quote(address.unix_socket)}" if address.unix_socket else "")


def _source() -> str:
    return "s" + secrets.token_hex(4)


class TestImportFile:
    def test_every_row_maps_to_its_transaction_at_its_time(self, addresses, admin_conn,
                                                            tmp_path) -> None:
        result = import_file(addresses.admin, _csv(tmp_path, ROWS), source=_source(),
                             progress=False)
        assert (len(result), result.posted, result.already_imported) == (6, 6, 0)
        for source_id, at, _customer, _terminal, amount, _fraud, _scenario in ROWS:
            txn = query(admin_conn, "SELECT created_at, amount FROM transactions WHERE id = %s",
                        result[int(source_id)])[0]
            assert txn["created_at"] == datetime.fromisoformat(at)
            assert txn["amount"] == Decimal(amount).quantize(Decimal("0.001"))
        assert integrity_problems(admin_conn) == []

    def test_a_rerun_posts_nothing(self, addresses, admin_conn, tmp_path) -> None:
        path, source = _csv(tmp_path, ROWS), _source()
        first = import_file(addresses.admin, path, source=source, progress=False)
        before = counts(admin_conn)
        again = import_file(_url(addresses.admin), path, source=source, progress=False)
        assert counts(admin_conn) == before
        assert (again.posted, again.already_imported) == (0, 6)
        assert dict(again) == dict(first)

    def test_limit_then_the_rest_in_small_batches(self, addresses, admin_conn, tmp_path) -> None:
        path, source = _csv(tmp_path, ROWS), _source()
        head = import_file(addresses.admin, path, source=source, limit=2, progress=False)
        assert sorted(head) == [11, 18]
        conn = connect(addresses.admin)
        try:
            rest = import_file(conn, path, source=source, batch_size=2, progress=False)
        finally:
            conn.close()
        assert (rest.posted, rest.already_imported) == (4, 2)
        assert integrity_problems(admin_conn) == []

    def test_a_bad_line_stops_the_run_before_anything_is_written(self, addresses, admin_conn,
                                                                  tmp_path) -> None:
        rows = [*ROWS[:4], ["170", "2018-04-01 03:00:00", "2000", "471", "12.3456", "0", "0"],
                ROWS[5]]
        before = counts(admin_conn)
        with pytest.raises(ImportFileError, match=r"tx\.csv:6: TX_AMOUNT 12.3456"):
            import_file(addresses.admin, _csv(tmp_path, rows), source=_source(), progress=False)
        assert counts(admin_conn) == before


class TestReadRows:
    @pytest.mark.parametrize(("row", "message"), [
        (["x", "2018-04-01 00:00:00", "1", "2", "1.00", "0", "0"], "TRANSACTION_ID 'x'"),
        (["5", "01/04/2018", "1", "2", "1.00", "0", "0"], "TX_DATETIME '01/04/2018'"),
        (["5", "2018-04-01 00:00:00+02:00", "1", "2", "1.00", "0", "0"], "without a zone"),
        (["5", "2018-04-01 00:00:00", "", "2", "1.00", "0", "0"], "CUSTOMER_ID is empty"),
        (["5", "2018-04-01 00:00:00", "1", "a b", "1.00", "0", "0"], "TERMINAL_ID 'a b'"),
        (["5", "2018-04-01 00:00:00", "1", "2", "ten", "0", "0"], "TX_AMOUNT 'ten'"),
        (["5", "2018-04-01 00:00:00", "1", "2", "-1", "0", "0"], "must be positive"),
        (["5", "2018-04-01 00:00:00", "1", "2", "NaN", "0", "0"], "must be positive"),
        (["5", "2018-04-01 00:00:00", "1", "2", "1.00", "yes", "0"], "TX_FRAUD 'yes'"),
        (["5", "2018-04-01 00:00:00", "1", "2", "1.00", "0", "-1"], "TX_FRAUD_SCENARIO '-1'"),
        (["11", "2018-04-01 00:00:00", "1", "2", "1.00", "0", "0"], "also on line 2"),
    ])
    def test_each_bad_field_is_named_with_its_line(self, tmp_path, row, message) -> None:
        with pytest.raises(ImportFileError, match=r":3: ") as err:
            read_rows(_csv(tmp_path, [ROWS[0], row]), exponent=3)
        assert message in str(err.value)

    def test_a_missing_column_is_named(self, tmp_path) -> None:
        path = tmp_path / "short.csv"
        path.write_text("TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID\n1,2018-04-01 00:00:00,1\n")
        with pytest.raises(ImportFileError, match="TERMINAL_ID, TX_AMOUNT"):
            read_rows(path, exponent=3)

    def test_float_noise_is_the_minor_unit_and_rows_come_in_time_order(self, tmp_path) -> None:
        rows = read_rows(_csv(tmp_path, [ROWS[5], *ROWS[:5]]), exponent=2)
        assert [r.source_id for r in rows] == [11, 18, 272155, 128, 165, 166]
        assert rows[2].amount == Decimal("40.60")
        assert (rows[2].is_fraud, rows[2].scenario) == (True, 3)

    def test_unlabelled_history_has_no_label(self, tmp_path) -> None:
        path = tmp_path / "legacy.csv"
        path.write_text("TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT\n"
                        "1,2018-04-01 00:00:00,1,2,3.5\n")
        (row,) = read_rows(path, exponent=3)
        assert (row.is_fraud, row.scenario, row.amount) == (None, None, Decimal("3.500"))


class TestCommandLine:
    def test_it_imports_and_says_how_fast(self, addresses, tmp_path, capsys) -> None:
        path = _csv(tmp_path, ROWS)
        assert main([str(path), "--database-url", _url(addresses.admin), "--source", _source(),
                     "--limit", "3"]) == 0
        assert "3 rows of tx.csv: 3 posted, 0 imported before" in capsys.readouterr().out

    def test_a_bad_file_is_exit_status_2_with_the_line(self, addresses, tmp_path, capsys) -> None:
        path = _csv(tmp_path, [["1", "never", "1", "2", "1", "0", "0"]])
        assert main([str(path), "--database-url", _url(addresses.admin)]) == 2
        assert "tx.csv:2: TX_DATETIME 'never'" in capsys.readouterr().err

    def test_a_refused_batch_is_exit_status_1(self, addresses, tmp_path, capsys) -> None:
        path = _csv(tmp_path, ROWS[:1])
        assert main([str(path), "--database-url", _url(addresses.admin), "--source", "No Good"]
                    ) == 1
        assert "INVALID_ARGUMENT: source must be" in capsys.readouterr().err

