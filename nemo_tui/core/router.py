"""Which model answers this turn, and why: a pure function of settings and the turn."""

from __future__ import annotations

from dataclasses import dataclass


def canonical_model(name: str) -> str:
    """Resolve a name the way Ollama does: a missing tag means `:latest`."""
    name = name.strip()
    if not name:
        return name
    last = name.rsplit("/", 1)[-1]
    return name if ":" in last else f"{name}:latest"


def same_model(a: str, b: str) -> bool:
    return canonical_model(a) == canonical_model(b)


@dataclass(frozen=True)
class RouteRules:
    main_model: str = "mistral-nemo"
    fast_model: str = "mistral:7b"
    auto: bool = True
    short_prompt_tokens: int = 64


@dataclass(frozen=True)
class Turn:
    new_text_tokens: int | None  # None while the tokenizer is still loading
    has_attachments: bool
    conversation_tokens: int | None  # whole request, counted for the fast model
    fast_model_ctx: int | None  # num_ctx the fast model would run with


@dataclass(frozen=True)
class Route:
    model: str
    reason: str


def choose_model(
    rules: RouteRules, turn: Turn, pinned: str | None, installed: set[str] | None
) -> Route:
    """Pick the model for one turn.

    `installed` is the set of canonical names from /api/tags, or None when unknown (then
    models are assumed present and a missing one surfaces as a 404 → pull offer).
    """
    if pinned:
        return Route(pinned, "pinned")
    main = rules.main_model
    if not rules.auto:
        return Route(main, "auto off")
    if installed is not None and canonical_model(rules.fast_model) not in installed:
        return Route(main, f"auto: {rules.fast_model} not installed")
    if turn.has_attachments:
        return Route(main, "auto: attachment")
    if turn.new_text_tokens is None:
        return Route(main, "auto: tokenizer loading")
    if turn.new_text_tokens > rules.short_prompt_tokens:
        return Route(main, f"auto: long prompt ({turn.new_text_tokens} tokens)")
    if (
        turn.conversation_tokens is not None
        and turn.fast_model_ctx is not None
        and turn.conversation_tokens > turn.fast_model_ctx
    ):
        return Route(main, "auto: conversation too long for the fast model")
    return Route(rules.fast_model, "auto: short prompt")
