"""Shared helpers for the benchmarks: run from the repo root, e.g. `python bench/bench_stream.py`."""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def median(values: list[float]) -> float:
    return statistics.median(values)


def fmt_runs(values: list[float], unit: str = "s", scale: float = 1.0) -> str:
    shown = ", ".join(f"{v * scale:.3f}" for v in values)
    return f"median {median(values) * scale:.3f} {unit}  (runs: {shown})"
