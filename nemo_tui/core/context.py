"""Context-window arithmetic: which num_ctx applies, KV cache size, the budget gauge, and
what Ollama will silently drop when a conversation overflows.

Plain functions over plain data (dicts from /api/show and /api/ps, or the ollama client's
response objects); no Textual, ollama or mistral_common imports.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

CTX_STEP = 1024
Level = Literal["ok", "warn", "high", "over"]

# --------------------------------------------------------------------------- parsing


def parse_ctx(text: str | int) -> int:
    """'8192' → 8192, '32k'/'32K' → 32768, '1.5k' → 1536, '1m' → 1048576 (k = 1024)."""
    if isinstance(text, int) and not isinstance(text, bool):
        if text < 1:
            raise ValueError(f"context size must be a positive number of tokens, got {text}")
        return text
    raw = str(text)
    s = raw.strip().lower().replace("_", "").replace(",", "")
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([km]?)", s)
    if not m:
        raise ValueError(
            f"invalid context size {raw!r}: give a number of tokens like 8192, 32k or 128k"
            " (k = 1024)"
        )
    try:
        value = Decimal(m.group(1)) * {"": 1, "k": 1024, "m": 1024 * 1024}[m.group(2)]
    except InvalidOperation as e:  # pragma: no cover - the regex only lets digits through
        raise ValueError(f"invalid context size {raw!r}") from e
    if value != value.to_integral_value():
        raise ValueError(f"context size {raw!r} is not a whole number of tokens ({value})")
    if value < 1:
        raise ValueError(f"context size must be at least 1 token, got {raw!r}")
    return int(value)


def _get(obj: Any, *names: str) -> Any:
    """First non-None of `names` from a dict or an object's attributes."""
    if obj is None:
        return None
    for name in names:
        v = obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)
        if v is not None:
            return v
    return None


def model_info_of(show: Any) -> Mapping[str, Any]:
    """`model_info` of an /api/show answer (the ollama client names the attribute `modelinfo`)."""
    info = _get(show, "model_info", "modelinfo")
    return info if isinstance(info, Mapping) else {}


def _arch_key(info: Mapping[str, Any], suffix: str) -> Any:
    arch = info.get("general.architecture")
    return info.get(f"{arch}.{suffix}") if arch else None


def training_context(model_info: Mapping[str, Any] | None) -> int | None:
    """`<arch>.context_length` (Nemo: 1024000), or None if unknown."""
    v = _arch_key(model_info or {}, "context_length")
    return int(v) if v else None


def modelfile_num_ctx(parameters: str | None) -> int | None:
    """`num_ctx` from /api/show `parameters` (`key<padding> value` lines); last one wins."""
    found = None
    for line in (parameters or "").splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] == "num_ctx":
            try:
                found = int(parts[1].strip('"'))
            except ValueError:
                continue
    return found or None


def parse_version(version: str | None) -> tuple[int, int, int] | None:
    """'0.12.6' → (0, 12, 6); 'v0.6.7-rc1' → (0, 6, 7); dev builds '0.0.0' and junk → None."""
    m = re.match(r"\s*v?(\d+)\.(\d+)(?:\.(\d+))?", version or "")
    if not m:
        return None
    v = (int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))
    return None if v == (0, 0, 0) else v


# --------------------------------------------------------------------------- num_ctx


@dataclass(frozen=True)
class NumCtx:
    value: int
    source: str  # where it came from, for the UI
    clamped: bool = False  # cut down to the training context
    training_context: int | None = None
    requested: int | None = None  # before clamping
    assumed: bool = False  # a guess: the real default depends on what we cannot see


def server_default_ctx(server_version: str | None) -> tuple[int, str, bool]:
    """(value, source, assumed) for a request that sets no num_ctx anywhere."""
    v = parse_version(server_version)
    if v is None:
        return 4096, "server default (Ollama version unknown; assumed 4096 — set /ctx)", True
    if v < (0, 6, 7):
        return 2048, f"server default for Ollama {server_version}", False
    if v < (0, 15, 5):
        return 4096, f"server default for Ollama {server_version}", False
    return 4096, "server default (0.15.5+ depends on VRAM; assumed 4096 — set /ctx)", True


def resolve_num_ctx(
    chat_num_ctx: int | None,
    show: Mapping[str, Any] | Any | None,
    ps_entry: Mapping[str, Any] | Any | None,
    server_version: str | None,
) -> NumCtx:
    """The window the next request gets: the chat's /ctx → Modelfile `PARAMETER num_ctx` →
    the loaded model's context_length (/api/ps) → the server's default; then clamped to the
    model's training context, as the server does."""
    assumed = False
    if chat_num_ctx:
        value, source = int(chat_num_ctx), "set with /ctx"
    elif mf := modelfile_num_ctx(_get(show, "parameters")):
        value, source = mf, "Modelfile PARAMETER num_ctx"
    elif ps := _get(ps_entry, "context_length"):
        value, source = int(ps), "loaded model (ollama ps)"
    else:
        value, source, assumed = server_default_ctx(server_version)
    train = training_context(model_info_of(show))
    if train and value > train:
        return NumCtx(train, source, True, train, value, assumed)
    return NumCtx(value, source, False, train, value, assumed)


# --------------------------------------------------------------------------- KV cache

# Bytes per cached element, as Ollama estimates them (f16 2, q8_0 1, q4_0 0.5).
KV_BYTES_PER_ELEMENT = {"f16": 2.0, "fp16": 2.0, "q8_0": 1.0, "q4_0": 0.5}


def kv_bytes_per_token(model_info: Mapping[str, Any], cache_type: str = "f16") -> int | None:
    """blocks × kv_heads × (key_length + value_length) × bytes/element (Nemo, f16: 163,840)."""
    try:
        per = KV_BYTES_PER_ELEMENT[cache_type.lower()]
    except KeyError:
        raise ValueError(
            f"unknown KV cache type {cache_type!r}; expected f16, q8_0 or q4_0"
        ) from None
    blocks = _arch_key(model_info, "block_count")
    heads_kv = _arch_key(model_info, "attention.head_count_kv") or _arch_key(
        model_info, "attention.head_count"
    )
    key_len = _arch_key(model_info, "attention.key_length")
    if not key_len:
        emb = _arch_key(model_info, "embedding_length")
        heads = _arch_key(model_info, "attention.head_count")
        if emb and heads and not isinstance(heads, (list, tuple)):
            key_len = int(emb) // int(heads)
    value_len = _arch_key(model_info, "attention.value_length") or key_len
    if not blocks or not heads_kv or not key_len:
        return None
    if isinstance(heads_kv, (list, tuple)):  # per-layer head counts
        heads_total = sum(int(h) for h in heads_kv)
    else:
        heads_total = int(blocks) * int(heads_kv)
    return round(heads_total * (int(key_len) + int(value_len)) * per)


def kv_cache_bytes(
    model_info: Mapping[str, Any], num_ctx: int, cache_type: str = "f16"
) -> int | None:
    """KV cache for `num_ctx` tokens (Nemo, 32768, f16 → 5 GiB); None if model_info lacks it."""
    per = kv_bytes_per_token(model_info, cache_type)
    return None if per is None else per * int(num_ctx)


def format_bytes(n: float) -> str:
    """163840 → '160.0 KiB'; 5 * 2**30 → '5.0 GiB'; 512 → '512 B'."""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(value) < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"


# --------------------------------------------------------------------------- budget


def budget_level(used: int, num_ctx: int) -> Level:
    """ok < 75% ≤ warn < 90% ≤ high ≤ 100% < over (integer arithmetic, no rounding)."""
    if used > num_ctx:
        return "over"
    if num_ctx <= 0:
        return "ok"
    if used * 100 >= 90 * num_ctx:
        return "high"
    if used * 100 >= 75 * num_ctx:
        return "warn"
    return "ok"


def next_fitting_ctx(total: int, training_context: int | None = None) -> int | None:
    """Smallest multiple of 1024 ≥ total, capped at the training context; None if too big."""
    value = max(CTX_STEP, math.ceil(total / CTX_STEP) * CTX_STEP)
    if training_context and value > training_context:
        return training_context if total <= training_context else None
    return value


@dataclass(frozen=True)
class ContextBudget:
    num_ctx: int
    system: int = 0
    history: int = 0  # every earlier message plus template tokens (<s> …)
    attachments: int = 0  # files attached to the draft
    draft: int = 0  # the draft's typed text and its [INST] [/INST]
    reply_reserve: int = 0
    training_context: int | None = None

    @property
    def prompt(self) -> int:
        return self.system + self.history + self.attachments + self.draft

    @property
    def total(self) -> int:
        return self.prompt + self.reply_reserve

    @property
    def fraction(self) -> float:
        return self.total / self.num_ctx if self.num_ctx > 0 else math.inf

    @property
    def level(self) -> Level:
        return budget_level(self.total, self.num_ctx)

    @property
    def overflow_by(self) -> int:
        return max(0, self.total - self.num_ctx)

    @property
    def fits(self) -> bool:
        return self.total <= self.num_ctx

    def next_fitting_ctx(self, total: int | None = None) -> int | None:
        return next_fitting_ctx(self.total if total is None else total, self.training_context)

    @classmethod
    def from_parts(
        cls,
        messages: Sequence[Mapping[str, Any]],
        parts: Any,  # tokens.RequestCount: .overhead, .per_message
        num_ctx: int,
        *,
        draft_index: int | None = None,
        draft_attachment_tokens: int = 0,
        reply_reserve: int = 0,
        training_context: int | None = None,
    ) -> ContextBudget:
        """Segments from `count_request_parts(messages)`; they sum to its exact total."""
        system = history = draft = 0
        n = len(messages)
        d = None if draft_index is None else draft_index % n if n else None
        for i, (m, c) in enumerate(zip(messages, parts.per_message)):
            if i == d:
                draft = c
            elif m.get("role") == "system":
                system += c
            else:
                history += c
        attachments = max(0, min(draft_attachment_tokens, draft))
        return cls(
            num_ctx,
            system=system,
            history=history + parts.overhead,
            attachments=attachments,
            draft=draft - attachments,
            reply_reserve=reply_reserve,
            training_context=training_context,
        )


# --------------------------------------------------------------------------- truncation


@dataclass(frozen=True)
class DropPlan:
    """What Ollama sends to the model when the prompt overflows (truncate=true, the default)."""

    start: int  # first message of the kept suffix
    dropped: list[int] = field(default_factory=list)  # non-system messages before `start`
    prompt_tokens: int = 0  # of the kept prompt
    num_ctx: int = 0

    @property
    def truncated(self) -> bool:
        return bool(self.dropped)

    @property
    def fits(self) -> bool:
        """False when even the latest message alone overflows (the runner then cuts it)."""
        return self.prompt_tokens <= self.num_ctx


def visible_messages(
    messages: Sequence[Mapping[str, Any]],
    num_ctx: int,
    count_request: Callable[[list[Any]], int],
    *,
    suffix_counts: Callable[[Sequence[Any]], list[int]] | None = None,
) -> DropPlan:
    """Ollama's chatPrompt rule (server/prompt.go): try suffixes from keeping everything to
    keeping only the last message, and keep the first whose prompt — with the system messages
    of the dropped part put back in front — fits num_ctx. The latest message is always kept;
    no room is reserved for the reply.

    With `suffix_counts` (a counter's, found automatically when `count_request` is a bound
    method of one) every suffix is counted in O(n) total; otherwise each tried suffix is
    counted with `count_request`, stopping at the first fit — both exact, no bisection.
    """
    n = len(messages)
    if n == 0:
        return DropPlan(0, [], 0, num_ctx)
    if suffix_counts is None:
        suffix_counts = getattr(getattr(count_request, "__self__", None), "suffix_counts", None)
    start, tokens = n - 1, None
    if suffix_counts is not None:
        counts = suffix_counts(messages)
        for i, c in enumerate(counts):
            if c <= num_ctx:
                start, tokens = i, c
                break
        if tokens is None:
            tokens = counts[-1]
    else:
        systems: list[Any] = []
        for i in range(n):
            c = count_request(systems + list(messages[i:]))
            if c <= num_ctx or i == n - 1:
                start, tokens = i, c
                break
            if messages[i].get("role") == "system":
                systems.append(messages[i])
    dropped = [i for i in range(start) if messages[i].get("role") != "system"]
    return DropPlan(start, dropped, tokens, num_ctx)
