"""Formatting sizes for people."""

from __future__ import annotations


def format_bytes(n: float) -> str:
    """1536 → '1.5 KiB'; 5 * 2**30 → '5.0 GiB'."""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"
