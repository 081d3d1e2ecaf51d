"""The soak harness (bench/soak.py) itself: a few seconds of the same mix, so that the benchmark
that produces bench/results/soak.json keeps working and keeps counting errors. The figures of
a real run live in bench/results; this checks the harness, not speed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_a_short_soak_run_serves_every_kind_of_request_without_errors(tmp_path):
    out = tmp_path / "soak.json"
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "soak.py"), "--duration", "6", "--clients", "4", "--warmup", "1",
         "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    figures = json.loads(out.read_text(encoding="utf-8"))
    requests = figures["requests"]
    assert requests["errors"] == 0, requests["first_errors"]
    assert set(requests["by_kind"]) == {"dump", "named", "page", "sparql"}
    assert all(n > 0 for n in requests["by_kind"].values())
    assert requests["served"] == sum(requests["by_kind"].values())
    for key in ("p50", "p95", "p99"):
        assert figures["latency_ms"]["all"][key] > 0
    assert figures["memory"]["server_peak_mib"] > 0 and figures["memory"]["samples"]
    assert figures["targets"]["errors"] == 0
