"""Reading customer messages in a separate, lower-priority process.

Reading costs ~0.3-1 ms of pure-Python CPU a message. Done in a thread of the
server it would share the server's GIL and CPU with delivery; in its own process
(niced, so the scheduler prefers the server) it uses a spare core when there is
one and yields when there is not. This module imports only kefu.assist (no
Django), so the child starts quickly and never touches the database.

`ReaderPool.read(batch)` answers COACH dicts in order, or None when the child
cannot be used (it failed to start or died): the caller then reads in-thread.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

log = logging.getLogger(__name__)

CHILD_NICENESS = 10
READ_TIMEOUT_S = 120.0  # the first batch may train or load the model
PARENT_CHECK_S = 2.0


def _lower_priority(parent: int) -> None:
    """Child set-up: yield the CPU to the server, and never outlive it.

    `parent` comes from the server itself: asking os.getppid() here would answer 1
    when the server died while the child was starting, and the child would live on.
    """
    try:
        os.nice(CHILD_NICENESS)
    except OSError:
        pass  # not allowed here: it still runs, just at the same priority
    _die_with_parent(parent)


def _die_with_parent(parent: int) -> None:
    """A server killed with SIGKILL cannot stop its pool: the child must notice by itself.

    Linux delivers SIGTERM on the parent's death when asked (prctl); elsewhere, and as
    a backstop, a daemon thread checks every few seconds whether the parent is gone.
    """
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # died before prctl took effect
        os._exit(0)

    def watch() -> None:
        while True:
            time.sleep(PARENT_CHECK_S)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def read_batch(batch: Sequence[tuple[str, tuple[str, ...]]]) -> list[dict[str, Any]]:
    """In the child: (text, previous turns) -> COACH dict, for each message."""
    from kefu.assist import analyze
    from kefu.coach.reading import coach_dict  # Django-free, like this module

    return [coach_dict(analyze(text, context)) for text, context in batch]


class ReaderPool:
    def __init__(self) -> None:
        self.pool: ProcessPoolExecutor | None = None
        self.broken = False

    def read(self, batch: Sequence[tuple[str, tuple[str, ...]]]) -> list[dict[str, Any]] | None:
        if self.broken or not batch:
            return None
        try:
            if self.pool is None:
                self.pool = ProcessPoolExecutor(
                    1,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_lower_priority,
                    initargs=(os.getpid(),),
                )
            return self.pool.submit(read_batch, list(batch)).result(timeout=READ_TIMEOUT_S)
        except (BrokenProcessPool, OSError, TimeoutError) as exc:
            log.warning("coach reader process unavailable (%s); reading in-process", exc)
            self.broken = True
            if self.pool is not None:
                self.pool.shutdown(wait=False, cancel_futures=True)
            return None
