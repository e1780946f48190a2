"""Rate-limit storage: Redis (shared by every worker and host) that falls back to this worker's memory,
with a logged warning, while Redis cannot be reached, so sign-in never fails because Redis did."""

from __future__ import annotations

import logging
import time

from limits.storage import MemoryStorage, RedisStorage, Storage

log = logging.getLogger("app.ratelimit")
RETRY_AFTER_SECONDS = 30
PREFIX = "fallback+"


def storage_uri(redis_url: str | None) -> str:
    """The limiter's storage URI for a REDIS_URL: Redis with the memory fallback, or memory alone."""
    return PREFIX + redis_url if redis_url else "memory://"


class RedisWithMemoryFallback(Storage):
    """`fallback+redis://...`: every operation goes to Redis; when Redis fails, to memory for a while."""

    STORAGE_SCHEME = ["fallback+redis", "fallback+rediss", "fallback+redis+unix"]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options):
        self.redis_uri = uri[len(PREFIX) :]
        options.setdefault("socket_connect_timeout", 2)
        options.setdefault("socket_timeout", 2)
        self.primary = RedisStorage(self.redis_uri, **options)
        self.memory = MemoryStorage()
        self.down_until = 0.0
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self):
        return self.primary.base_exceptions

    def _call(self, name: str, *args, **kwargs):
        if time.monotonic() >= self.down_until:
            try:
                return getattr(self.primary, name)(*args, **kwargs)
            except Exception as error:  # noqa: BLE001 (any Redis failure: connection, timeout, protocol)
                self.down_until = time.monotonic() + RETRY_AFTER_SECONDS
                log.warning(
                    "Redis at %s unreachable (%s): rate limits kept in this worker's memory; retrying in %s s",
                    self.redis_uri.split("@")[-1],
                    error.__class__.__name__,
                    RETRY_AFTER_SECONDS,
                )
        return getattr(self.memory, name)(*args, **kwargs)

    def incr(self, key: str, expiry: int, elastic_expiry: bool = False, amount: int = 1) -> int:
        return self._call("incr", key, expiry, elastic_expiry=elastic_expiry, amount=amount)

    def get(self, key: str) -> int:
        return self._call("get", key)

    def get_expiry(self, key: str) -> float:
        return self._call("get_expiry", key)

    def check(self) -> bool:
        return True  # this storage always answers (from memory when Redis is down)

    def reset(self) -> int | None:
        self.memory.reset()
        return self._call("reset")

    def clear(self, key: str) -> None:
        self.memory.clear(key)
        return self._call("clear", key)
