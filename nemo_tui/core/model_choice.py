"""Model choice without the UI: auto routing with readable reasons, model names, the GPU
summary of /api/ps, and the per-chat sampling options `/set` accepts.

No Textual and no ollama imports: the mixins in ui/ call these, and tests call them directly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from nemo_tui.core.context import format_bytes
from nemo_tui.core.router import Route, RouteRules, Turn, canonical_model, choose_model, same_model

AUTO = "auto"  # Conversation.model of a chat in auto mode; any other value pins that model


# -- names -------------------------------------------------------------------------------------
def display_name(name: str) -> str:
    """'mistral-nemo:latest' → 'mistral-nemo' (Ollama treats them as one model)."""
    return name[: -len(":latest")] if name.endswith(":latest") else name


def short_label(name: str) -> str:
    """A compact name for the status line: mistral-nemo → nemo, mistral:7b → 7b."""
    base, _, tag = canonical_model(name).rpartition(":")
    tag = "" if tag == "latest" else tag
    if base == "mistral" and tag:
        return tag
    if base.startswith("mistral-"):
        base = base[len("mistral-"):]
    return f"{base}:{tag}" if tag else base


def resolve_model(wanted: str, installed: Iterable[str] | None) -> tuple[str | None, list[str]]:
    """(the installed model `wanted` names, candidates when it is ambiguous).

    Exact names resolve as Ollama does (`mistral-nemo` = `mistral-nemo:latest`); otherwise a
    part of one name is enough (`nemo`). (None, []) means not installed; with `installed`
    None (not listed yet) the name is taken as typed.
    """
    wanted = wanted.strip()
    if installed is None:
        return wanted, []
    names = sorted({canonical_model(n) for n in installed if n})
    if canonical_model(wanted) in names:
        return wanted, []
    hits = [n for n in names if wanted.lower() in n.lower()]
    if len(hits) == 1:
        return display_name(hits[0]), []
    return None, [display_name(n) for n in hits]


# -- auto routing ---------------------------------------------------------------------------------
def route_for(rules: RouteRules, turn: Turn, pinned: str | None, installed: set[str] | None) -> Route:
    """choose_model, with a reason that names where the turn went and why.

    'auto: short prompt → mistral:7b', 'auto: attachment → mistral-nemo', 'pinned'. A model
    list not read yet means the fast model may be missing: the main model answers.
    """
    if pinned:
        return Route(pinned, "pinned")
    if installed is None:
        return Route(rules.main_model, f"auto: models not listed yet → {rules.main_model}")
    route = choose_model(rules, turn, None, installed)
    reason = route.reason
    if reason == f"auto: {rules.fast_model} not installed":
        reason = f"auto: {rules.fast_model} is not installed"
    elif reason == "auto: conversation too long for the fast model":
        reason = f"auto: conversation too long for {rules.fast_model}"
    return Route(route.model, f"{reason} → {route.model}")


def would_use_fast(rules: RouteRules, turn: Turn) -> bool:
    """Whether auto mode would pick the fast model for this turn if it were installed."""
    return same_model(choose_model(rules, turn, None, None).model, rules.fast_model)


def mode_label(main: str, fast: str, fast_installed: bool | None) -> str:
    """'nemo ↔ 7b', or 'nemo only: 7b not installed'."""
    if fast_installed is False:
        return f"{short_label(main)} only: {short_label(fast)} not installed"
    return f"{short_label(main)} ↔ {short_label(fast)}"


# -- what /api/tags and /api/ps say ------------------------------------------------------------
def _details(entry: Mapping[str, Any]) -> Mapping[str, Any]:
    details = entry.get("details") or {}
    return details if isinstance(details, Mapping) else {}


def model_facts_line(entry: Mapping[str, Any]) -> str:
    """'12.2B · Q4_K_M · 6.6 GiB' from one /api/tags entry (missing parts left out)."""
    details = _details(entry)
    parts = [str(details.get("parameter_size") or ""), str(details.get("quantization_level") or "")]
    if entry.get("size"):
        parts.append(format_bytes(entry["size"]))
    return " · ".join(p for p in parts if p)


def placement(entry: Mapping[str, Any]) -> tuple[str, bool]:
    """('GPU 100%' | 'GPU 62% / CPU 38%' | 'CPU 100%', split) as `ollama ps` rounds it."""
    size = int(entry.get("size") or 0)
    vram = int(entry.get("size_vram") or 0)
    if size <= 0:
        return "GPU ?", False
    if vram >= size:
        return "GPU 100%", False
    if vram <= 0:
        return "CPU 100%", True
    cpu = round((size - vram) / size * 100)
    return f"GPU {100 - cpu}% / CPU {cpu}%", True


def ctx_label(n: int) -> str:
    """4096 → '4k', 131072 → '128k', 5000 → '5,000'."""
    return f"{n // 1024}k" if n >= 1024 and n % 1024 == 0 else f"{n:,}"


def gpu_summary(running: list[Mapping[str, Any]] | None) -> tuple[str, bool]:
    """The status line's view of /api/ps: (text, warn). warn: part of a model is on the CPU.

    Short, as the status line is: 'GPU 100%: nemo 4k, 7b 32k ctx' when everything is on the
    GPU (the common case); otherwise each model with its split: 'nemo GPU 62% / CPU 38% 8k ctx'.
    """
    if running is None:
        return "", False
    if not running:
        return "no model loaded", False
    rows = []
    for entry in running:
        ctx = entry.get("context_length")
        name = short_label(str(entry.get("model") or entry.get("name") or "?"))
        rows.append((name, f" {ctx_label(int(ctx))}" if ctx else "", *placement(entry)))
    suffix = " ctx" if any(ctx for _, ctx, _, _ in rows) else ""
    if all(where == "GPU 100%" for _, _, where, _ in rows):
        return "GPU 100%: " + ", ".join(name + ctx for name, ctx, _, _ in rows) + suffix, False
    text = ", ".join(f"{name} {where}{ctx}" for name, ctx, where, _ in rows) + suffix
    return text, any(split for _, _, _, split in rows)


# -- /set ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OptionSpec:
    name: str
    kind: type
    rule: str  # for the error message

    def check(self, value: Any) -> bool:
        if self.name == "temperature":
            return value >= 0
        if self.name == "top_p":
            return 0 < value <= 1
        if self.name == "num_predict":
            return value >= -2
        return True


OPTIONS = {
    spec.name: spec
    for spec in (
        OptionSpec("temperature", float, "a number ≥ 0, e.g. 0.7"),
        OptionSpec("top_p", float, "a number above 0 and at most 1, e.g. 0.9"),
        OptionSpec("seed", int, "a whole number, e.g. 42"),
        OptionSpec("num_predict", int, "a whole number ≥ -2 (-1: no limit, -2: fill the context)"),
    )
}
UNSET_WORDS = ("default", "unset", "none", "off")


class OptionError(ValueError):
    pass


def parse_option(name: str, text: str) -> tuple[str, Any]:
    """('temperature', '0.7') → ('temperature', 0.7); value None means 'back to the default'.

    Raises OptionError with a message that says what is accepted.
    """
    key = name.strip().lower().replace("-", "_")
    spec = OPTIONS.get(key)
    if spec is None:
        raise OptionError(f"Unknown parameter {name!r}: one of {', '.join(OPTIONS)}.")
    text = text.strip()
    if not text:
        raise OptionError(f"/set {spec.name} needs a value: {spec.rule}, or 'default'.")
    if text.lower() in UNSET_WORDS:
        return spec.name, None
    try:
        if spec.kind is int:
            if not re.fullmatch(r"[+-]?\d+", text):
                raise ValueError
            value: Any = int(text)
        else:
            value = float(text)
            if value != value or value in (float("inf"), float("-inf")):
                raise ValueError
    except ValueError:
        raise OptionError(f"{spec.name} must be {spec.rule}; got {text!r}.") from None
    if not spec.check(value):
        raise OptionError(f"{spec.name} must be {spec.rule}; got {text}.")
    return spec.name, value


# -- /compare -----------------------------------------------------------------------------------------
_NAME = re.compile(r"[\w.\-/:]+")


def parse_compare_args(args: str) -> tuple[tuple[str, str] | None, str]:
    """'/compare a,b PROMPT' → ((a, b), PROMPT); '/compare PROMPT' → (None, PROMPT)."""
    first, _, rest = args.strip().partition(" ")
    left, comma, right = first.partition(",")
    if comma and _NAME.fullmatch(left) and _NAME.fullmatch(right) and "," not in right:
        return (left, right), rest.strip()
    return None, args.strip()
