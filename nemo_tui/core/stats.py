"""Human-readable figures from a reply's final chunk (durations are in nanoseconds)."""

from __future__ import annotations

from typing import Any

NS = 1e9


def tokens_per_second(stats: dict[str, Any]) -> float | None:
    count, duration = stats.get("eval_count"), stats.get("eval_duration")
    if not count or not duration:
        return None
    return count / duration * NS


def describe_stats(stats: dict[str, Any], first_token_s: float | None = None) -> str:
    """'412 tokens · 38.2 tok/s · prompt 1,203 · first token 0.42 s · load 3.1 s'"""
    parts: list[str] = []
    if stats.get("eval_count") is not None:
        parts.append(f"{stats['eval_count']:,} tokens")
    rate = tokens_per_second(stats)
    if rate is not None:
        parts.append(f"{rate:.1f} tok/s")
    if stats.get("prompt_eval_count") is not None:
        parts.append(f"prompt {stats['prompt_eval_count']:,} tokens")
    if first_token_s is not None:
        parts.append(f"first token {first_token_s:.2f} s")
    load = stats.get("load_duration")
    # Ollama reports a few ms of load even for a warm model; only a real load is news.
    if load and load / NS >= 0.5:
        parts.append(f"model load {load / NS:.1f} s")
    if stats.get("done_reason") == "length":
        parts.append("cut off at num_predict")
    return " · ".join(parts)


def reply_label(model: str | None, route_reason: str | None) -> str:
    """'mistral-nemo · pinned'; an auto reason ('auto: short prompt → mistral:7b') names the
    model itself."""
    reason = route_reason or ""
    if "→" in reason:
        return reason
    return " · ".join(p for p in (model, reason) if p)
