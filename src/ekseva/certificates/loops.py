"""pyHanko's synchronous calls run their own event loop (``asyncio.run``), which
fails on a thread that already runs one (a test driving a browser, an async
server). ``outside_loop`` runs such a call on a worker thread when the calling
thread has a running loop, and directly otherwise."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def outside_loop(call: Callable[..., T], *args, **kwargs) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return call(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pyhanko") as pool:
        return pool.submit(call, *args, **kwargs).result()
