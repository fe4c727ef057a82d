"""How the API logs in to the database: connection settings and the aiomysql pool.

Nothing connects at import time; `api.database.Database` opens the pool in the lifespan.
"""

from __future__ import annotations

from typing import Any

import aiomysql

from api.config import Settings


def connection_kwargs(settings: Settings) -> dict[str, Any]:
    """aiomysql.connect() arguments for an autocommit `bank_app` session."""
    address = settings.app_address()
    kwargs: dict[str, Any] = {
        "user": address.user,
        "password": address.password,
        "db": address.database,
        "autocommit": True,
        "charset": "utf8mb4",
        "connect_timeout": settings.db_connect_timeout_seconds,
        # UTC: procedures compare DATETIME(6) columns with NOW(6). A short lock wait: a
        # contended row answers 1205 within seconds, not after InnoDB's default 50 s.
        "init_command": "SET time_zone = '+00:00', SESSION innodb_lock_wait_timeout = "
                        f"{int(settings.db_lock_wait_seconds)}",
    }
    if address.unix_socket:
        kwargs["unix_socket"] = address.unix_socket
    else:
        kwargs["host"] = address.host
        kwargs["port"] = address.port
    return kwargs


async def open_pool(settings: Settings) -> aiomysql.Pool:
    """A pool of autocommit connections as `bank_app`: every procedure owns its transaction."""
    return await aiomysql.create_pool(
        minsize=settings.db_pool_min, maxsize=settings.db_pool_max, pool_recycle=3600,
        **connection_kwargs(settings))


async def close_pool(pool: aiomysql.Pool) -> None:
    pool.close()
    await pool.wait_closed()
