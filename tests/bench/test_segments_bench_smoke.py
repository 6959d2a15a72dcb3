"""The segmentation benchmark runs end to end on a tiny shop and prints its JSON line.

Figures are not checked (they depend on the machine): what must hold anywhere is that it
builds its own database, imports through the real import, segments every customer, and
reports the keys scripts read.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
REQUIRED_KEYS = {"import_rows_per_s", "segment_s", "peak_rss_mb", "customers", "orders", "counts"}


@pytest.mark.slow
def test_tiny_run_segments_every_customer_and_prints_the_json_line() -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / "segments_bench.py"),
            "--customers",
            "300",
            "--orders",
            "1500",
            "--import-rows",
            "400",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
    )

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert REQUIRED_KEYS <= result.keys()
    assert (result["customers"], result["orders"], result["import_rows"]) == (300, 1500, 400)
    assert sum(result["counts"].values()) == 300
    assert result["database"] == "sqlite"
    assert result["messages"] > 0
