"""The load benchmark runs end to end on a tiny load and accounts for every message.

Figures are not checked (they depend on the machine); what must hold anywhere is that the
benchmark starts its own kefu, drives it, reports every key scripts read, and that no
acknowledged message was lost or delivered twice.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
REQUIRED_KEYS = {
    "msgs_per_s",
    "p50_ms",
    "p99_ms",
    "lost",
    "duplicated",
    "bare_relay_msgs_per_s",
    "ratio",
    "fixed_rate",
    "fixed_p50_ms",
    "fixed_p99_ms",
    "server_rss_mb",
}


def _run_bench(*args: str) -> dict:
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "chat_load.py"), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def tiny_run() -> dict:
    return _run_bench(
        "--customers",
        "3",
        "--agents",
        "1",
        "--seconds",
        "2",
        "--fixed-seconds",
        "1",
        "--rate",
        "20",
        "--no-bare-relay",
    )


@pytest.mark.slow
def test_tiny_run_reports_every_key_scripts_read(tiny_run: dict) -> None:
    assert REQUIRED_KEYS <= tiny_run.keys()


@pytest.mark.slow
def test_tiny_run_loses_nothing_and_duplicates_nothing(tiny_run: dict) -> None:
    assert tiny_run["delivered"] == tiny_run["sent"] > 0
    assert tiny_run["lost"] == 0
    assert tiny_run["duplicated"] == 0
    assert tiny_run["unacked"] == 0


@pytest.mark.slow
def test_tiny_run_assigns_every_conversation_to_the_agent(tiny_run: dict) -> None:
    assert tiny_run["assigned"] == tiny_run["conversations"] == 3
