"""The aiomysql connection pool, opened in the app's lifespan (never at import time)."""

from __future__ import annotations

import aiomysql

from api.config import Settings


async def open_pool(settings: Settings) -> aiomysql.Pool:
    """A pool of autocommit connections as `bank_app`: every procedure owns its transaction."""
    address = settings.app_address()
    kwargs: dict[str, object] = {
        "user": address.user,
        "password": address.password,
        "db": address.database,
        "autocommit": True,
        "charset": "utf8mb4",
        "minsize": settings.db_pool_min,
        "maxsize": settings.db_pool_max,
        "pool_recycle": 3600,
        "connect_timeout": 5,
        # Procedures compare DATETIME(6) columns with NOW(6): keep every session in UTC.
        "init_command": "SET time_zone = '+00:00'",
    }
    if address.unix_socket:
        kwargs["unix_socket"] = address.unix_socket
    else:
        kwargs["host"] = address.host
        kwargs["port"] = address.port
    return await aiomysql.create_pool(**kwargs)


async def close_pool(pool: aiomysql.Pool) -> None:
    pool.close()
    await pool.wait_closed()
