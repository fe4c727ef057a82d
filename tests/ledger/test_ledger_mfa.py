"""Turning two-factor login on in SQL: only after a secret is stored, and only once."""

from __future__ import annotations

import pymysql
import pytest

from tests.support.ledger import error_code, new_user, proc, query


def _enabled(admin_conn, user: int) -> bool:
    return bool(query(admin_conn, "SELECT mfa_enabled FROM users WHERE id = %s", user)[0][
        "mfa_enabled"])


class TestEnableMfa:
    def test_without_a_secret_it_stays_off(self, admin_conn, app_conn):
        user = new_user(admin_conn)
        with pytest.raises(pymysql.err.MySQLError) as err:
            proc(app_conn, "sp_enable_mfa", user_id=user, step=58_000_000)
        assert error_code(err.value) == "MFA_NOT_SET_UP"
        assert not _enabled(admin_conn, user)

    def test_once_on_it_cannot_be_enabled_again(self, admin_conn, app_conn):
        user = new_user(admin_conn)
        proc(app_conn, "sp_set_mfa_secret", user_id=user, secret_enc=b"\x01" * 32)
        proc(app_conn, "sp_enable_mfa", user_id=user, step=58_000_000)
        assert _enabled(admin_conn, user)
        with pytest.raises(pymysql.err.MySQLError) as err:
            proc(app_conn, "sp_enable_mfa", user_id=user, step=58_000_001)
        assert error_code(err.value) == "MFA_ALREADY_ENABLED"
        assert _enabled(admin_conn, user)
