"""Speed of the coach on real chat lines: analyze and check_reply, beside segmentation alone.

    .venv/bin/python bench/assist_bench.py [--corpora ../shared/corpora] [--limit N]

Customer lines (JDDC speaker 0, ECD customer turns) go through analyze(); agent
lines (JDDC speaker 1, ECD agent turns and responses) through check_reply(). All
in one process, one message at a time, as the desk calls them. The last line of
output is one JSON object (analyze_msgs_per_s, check_msgs_per_s, analyze_p99_ms,
check_p99_ms, segment_only_msgs_per_s, load_s, …). Timings are reported, never
asserted: this script does not fail on a slow machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPORA = REPO.parent / "shared" / "corpora"


def read_corpora(folder: Path) -> tuple[list[str], list[str]]:
    """(customer lines, agent lines) from the JDDC and ECD samples, de-duplicated, in order."""
    customer: dict[str, None] = {}
    agent: dict[str, None] = {}
    jddc = folder / "jddc_sample_chat.tsv"
    if jddc.is_file():
        for row in jddc.read_text(encoding="utf-8").splitlines():
            columns = row.split("\t")
            if len(columns) >= 7 and columns[6].strip():
                (customer if columns[2] == "0" else agent)[columns[6].strip()] = None
    ecd = folder / "ecd_sample_test.tsv"
    if ecd.is_file():
        for row in ecd.read_text(encoding="utf-8").splitlines():
            turns = ["".join(turn.split()) for turn in row.split("\t")[1:]]
            *context, response = turns
            for number, turn in enumerate(context):
                if turn:
                    (customer if number % 2 == 0 else agent)[turn] = None
            if response:
                agent[response] = None
    return list(customer), list(agent)


def time_calls(function: Callable[[str], Any], lines: Sequence[str]) -> dict[str, float]:
    """Messages per second and latency percentiles of one call per line."""
    latencies: list[float] = []
    clock = time.perf_counter
    started = clock()
    for line in lines:
        before = clock()
        function(line)
        latencies.append(clock() - before)
    total = clock() - started
    latencies.sort()

    def percentile(share: float) -> float:
        return latencies[min(len(latencies) - 1, int(share * len(latencies)))] * 1000

    return {
        "messages": len(lines),
        "msgs_per_s": len(lines) / total if total else 0.0,
        "p50_ms": percentile(0.50),
        "p99_ms": percentile(0.99),
        "mean_ms": statistics.fmean(latencies) * 1000 if latencies else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--limit", type=int, default=0, help="use at most N lines of each kind")
    arguments = parser.parse_args()

    customer, agent = read_corpora(arguments.corpora)
    if arguments.limit:
        customer, agent = customer[: arguments.limit], agent[: arguments.limit]
    if not customer or not agent:
        raise SystemExit(f"no corpus lines found under {arguments.corpora}")

    started = time.perf_counter()
    from kefu.assist.analysis import analyze
    from kefu.assist.model_store import default_classifier

    classifier = default_classifier()
    analyze("在吗")  # first call also builds the lexicon automaton and OpenCC
    load_s = time.perf_counter() - started

    from kefu.assist.checker import check_reply

    check_reply("好的呢亲")
    import rjieba

    results: dict[str, dict[str, float]] = {
        "analyze": time_calls(analyze, customer),
        "check": time_calls(check_reply, agent),
        "segment_rjieba": time_calls(rjieba.cut, customer),
    }
    try:
        import jieba

        jieba.setLogLevel(60)
        jieba.initialize()
        results["segment_jieba"] = time_calls(jieba.lcut, customer)
    except ImportError:
        pass

    print(f"model load {load_s:.2f} s ({len(classifier.space.names)} features)")
    print(f"{'task':16} {'lines':>7} {'msgs/s':>10} {'p50 ms':>8} {'p99 ms':>8}")
    for name, row in results.items():
        print(
            f"{name:16} {row['messages']:>7} {row['msgs_per_s']:>10.0f} "
            f"{row['p50_ms']:>8.3f} {row['p99_ms']:>8.3f}"
        )
    segment = results["segment_rjieba"]["msgs_per_s"]
    summary = {
        "analyze_msgs_per_s": round(results["analyze"]["msgs_per_s"], 1),
        "check_msgs_per_s": round(results["check"]["msgs_per_s"], 1),
        "analyze_p50_ms": round(results["analyze"]["p50_ms"], 4),
        "analyze_p99_ms": round(results["analyze"]["p99_ms"], 4),
        "check_p50_ms": round(results["check"]["p50_ms"], 4),
        "check_p99_ms": round(results["check"]["p99_ms"], 4),
        "segment_only_msgs_per_s": round(segment, 1),
        "analyze_vs_segment_ratio": round(results["analyze"]["msgs_per_s"] / segment, 4),
        "load_s": round(load_s, 3),
        "customer_lines": len(customer),
        "agent_lines": len(agent),
    }
    if "segment_jieba" in results:
        jieba_rate = results["segment_jieba"]["msgs_per_s"]
        summary["segment_jieba_msgs_per_s"] = round(jieba_rate, 1)
        summary["rjieba_vs_jieba_ratio"] = round(segment / jieba_rate, 2) if jieba_rate else None
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
