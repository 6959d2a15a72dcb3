"""The coach's reader child never outlives the server, even one killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

SCRIPT = """
import os, sys
from kefu.coach.reader_process import ReaderPool
pool = ReaderPool()
print(pool.read([("这个也太贵了吧", ())])[0]["intent"], flush=True)
child = next(iter(pool.pool._processes))
print(child, flush=True)
sys.stdin.read()  # wait to be killed
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/status") as status:  # a zombie is as good as gone
        return "zombie" not in status.read()


@pytest.mark.slow
def test_the_reader_child_dies_when_the_server_is_killed(tmp_path):
    env = {**os.environ, "KEFU_DATA_DIR": str(tmp_path)}
    server = subprocess.Popen(
        [sys.executable, "-c", SCRIPT], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True, env=env,
    )
    try:
        assert server.stdout.readline().strip() == "objection"
        child = int(server.stdout.readline())
        assert _alive(child)
        os.kill(server.pid, signal.SIGKILL)
        server.wait(10)
        deadline = time.monotonic() + 15
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _alive(child), "the reader process outlived the killed server"
    finally:
        server.kill()
