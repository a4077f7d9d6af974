"""At most so many requests at once inside the app; the others wait their turn, unanswered.

A request holds a pooled database connection from its first query to its end, and runs its
steps on worker threads. With more requests in flight than connections, threads block
waiting for a connection while the requests that hold one wait for a thread: every request
stalls until the pool's timeout. Letting in fewer requests than there are connections (and
threads) rules that out; the rest wait on the event loop, costing nothing, and are served in
turn instead of failing.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send


class InFlight:
    """Let at most ``limit`` HTTP requests into ``app`` at a time (first come, first served)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = max(1, limit)
        self._gate: asyncio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._gate is None:  # made on the server's event loop, at its first request
            self._gate = asyncio.Semaphore(self.limit)
        async with self._gate:
            await self.app(scope, receive, send)


def limit_for(pool_size: int, overflow: int) -> int:
    """Requests let in for a pool of ``pool_size + overflow`` connections: three quarters,
    so that a request that opens a second session briefly still finds one."""
    return max(2, (pool_size + max(overflow, 0)) * 3 // 4)


def limit_for_pool(pool: Any) -> int:
    """The limit for an SQLAlchemy pool of any kind: a ``QueuePool`` tells its size by a
    method, a ``SingletonThreadPool`` (in-memory SQLite) by a number, others not at all."""
    size = getattr(pool, "size", 5)
    size = size() if callable(size) else size
    overflow = getattr(pool, "_max_overflow", 10)
    return limit_for(int(size), int(overflow))
