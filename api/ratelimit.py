"""Rate limits with the `limits` library: in memory by default, Redis when REDIS_URL is set."""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from redis.asyncio import ConnectionPool

from api.config import Settings
from api.errors import RateLimited

SCOPES = ("login", "register", "money", "read", "secret", "profile")


class RateLimits:
    """One sliding-window counter per scope and key (an IP address or a user id)."""

    def __init__(self, settings: Settings) -> None:
        self.enabled = settings.rate_limits_enabled
        storage: Storage
        self._redis_pool: ConnectionPool | None = None
        if settings.redis_url:
            # Shared by every API process; needed as soon as there is more than one. The pool
            # is ours so that shutdown can close its connections (close()); limits accepts
            # connection_pool, though its **options type hint is narrower.
            self._redis_pool = ConnectionPool.from_url(settings.redis_url)
            storage = RedisStorage(f"async+{settings.redis_url}", implementation="redispy",
                                   connection_pool=self._redis_pool)  # type: ignore[arg-type]
        else:
            storage = MemoryStorage()
        self.storage = storage
        self.limiter = SlidingWindowCounterRateLimiter(storage)
        self.items: dict[str, RateLimitItem] = {
            "login": parse(settings.rate_limit_login),
            "register": parse(settings.rate_limit_register),
            "money": parse(settings.rate_limit_money),
            "read": parse(settings.rate_limit_read),
            "secret": parse(settings.rate_limit_secret),
            "profile": parse(settings.rate_limit_profile),
        }

    async def close(self) -> None:
        """Close the Redis connections, if any (the app's lifespan calls it at shutdown)."""
        if self._redis_pool is not None:
            await self._redis_pool.disconnect()

    async def hit(self, scope: str, key: str) -> None:
        """Count one request; raise RateLimited (429 with Retry-After) when over the limit."""
        if not self.enabled:
            return
        item = self.items[scope]
        if await self.limiter.hit(item, scope, key):
            return
        stats = await self.limiter.get_window_stats(item, scope, key)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        raise RateLimited(
            f"Rate limit for {scope} exceeded ({item}); retry in {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
        )
