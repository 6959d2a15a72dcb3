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
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

log = logging.getLogger(__name__)

CHILD_NICENESS = 10
READ_TIMEOUT_S = 120.0  # the first batch may train or load the model


def _lower_priority() -> None:
    try:
        os.nice(CHILD_NICENESS)
    except OSError:
        pass  # not allowed here: it still runs, just at the same priority


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
                )
            return self.pool.submit(read_batch, list(batch)).result(timeout=READ_TIMEOUT_S)
        except (BrokenProcessPool, OSError, TimeoutError) as exc:
            log.warning("coach reader process unavailable (%s); reading in-process", exc)
            self.broken = True
            if self.pool is not None:
                self.pool.shutdown(wait=False, cancel_futures=True)
            return None
