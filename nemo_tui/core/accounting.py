"""ContextAccountant: everything the gauge shows, computed from the chat and what the server
told us about the model. UI-free; the app calls `account()` on every (debounced) keystroke.

It joins the pieces: which tokenizer counts for the model (tokens.py), the num_ctx in force
and where it came from (context.py), the exact request count split into gauge segments,
Ollama's truncation rule (which messages the model will not see), and the KV cache cost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nemo_tui.core.context import (
    ContextBudget,
    DropPlan,
    NumCtx,
    kv_cache_bytes,
    model_info_of,
    resolve_num_ctx,
    visible_messages,
)
from nemo_tui.core.conversation import Attachment, Conversation, Message
from nemo_tui.core.router import canonical_model
from nemo_tui.core.tokens import AnyCounter, counter_for


@dataclass
class ModelFacts:
    """What the server said about one model: /api/show, its /api/ps entry, its /api/tags size."""

    show: dict[str, Any] | None = None
    ps: dict[str, Any] | None = None
    size: int | None = None

    @property
    def family(self) -> str | None:
        details = (self.show or {}).get("details") or {}
        return details.get("family") if isinstance(details, dict) else None


@dataclass(frozen=True)
class Accounting:
    model: str
    ready: bool  # False while the tokenizer is still loading: no counts yet
    exact: bool
    tokenizer: str  # label, e.g. "Tekken (exact)"
    num_ctx: NumCtx
    budget: ContextBudget | None = None
    drop: DropPlan | None = None
    dropped: tuple[Message, ...] = ()  # conversation messages Ollama will not show the model
    per_message: tuple[tuple[str, int], ...] = ()  # (label, tokens) for the breakdown
    attachment_tokens: tuple[tuple[Attachment, int], ...] = ()
    kv_bytes: int | None = None
    model_size: int | None = None
    predicted_prompt: int | None = None  # what the server should report as prompt_eval_count


@dataclass
class ContextAccountant:
    reply_reserve: int = 1024
    server_version: str | None = None
    facts: dict[str, ModelFacts] = field(default_factory=dict)

    def facts_for(self, model: str) -> ModelFacts:
        return self.facts.setdefault(canonical_model(model), ModelFacts())

    def counter(self, model: str) -> AnyCounter:
        return counter_for(model, self.facts_for(model).family)

    def num_ctx(self, model: str, chat_num_ctx: int | None) -> NumCtx:
        facts = self.facts_for(model)
        return resolve_num_ctx(chat_num_ctx, facts.show, facts.ps, self.server_version)

    def count_text(self, model: str, text: str) -> int | None:
        """Exact (or estimated, for other families) tokens of a text; None while loading."""
        counter = self.counter(model)
        return counter.count_text(text) if counter.ready else None

    def account(
        self,
        conversation: Conversation,
        model: str,
        language_instruction: str = "",
        draft: str = "",
        attachments: list[Attachment] | None = None,
    ) -> Accounting:
        attachments = list(attachments or [])
        counter = self.counter(model)
        num_ctx = self.num_ctx(model, conversation.num_ctx)
        facts = self.facts_for(model)
        info = model_info_of(facts.show)
        kv = kv_cache_bytes(info, num_ctx.value) if info else None
        size = facts.size or (facts.ps or {}).get("size")
        base = Accounting(model, counter.ready, counter.exact, counter.spec.label, num_ctx,
                          kv_bytes=kv, model_size=size)
        if not counter.ready:
            return base

        extra = Message("user", draft, attachments=attachments) if draft or attachments else None
        messages = conversation.request_messages(language_instruction, extra=extra)
        sources = self._sources(conversation, extra, messages)
        parts = counter.count_request_parts(messages)
        attach = tuple((a, counter.count_text(a.render())) for a in attachments)
        options = conversation.options or {}
        reserve = int(options.get("num_predict") or 0) or self.reply_reserve
        budget = ContextBudget.from_parts(
            messages, parts, num_ctx.value,
            draft_index=-1 if extra is not None else None,
            draft_attachment_tokens=sum(t for _, t in attach),
            reply_reserve=reserve,
            training_context=num_ctx.training_context,
        )
        drop = visible_messages(messages, num_ctx.value, counter.count_request) if messages else None
        dropped = tuple(
            sources[i] for i in (drop.dropped if drop else []) if sources[i] is not None and sources[i] is not extra
        )
        labels = tuple((self._label(m, src), n) for m, src, n in zip(messages, sources, parts.per_message))
        return Accounting(
            model, True, counter.exact, counter.spec.label, num_ctx, budget, drop, dropped,
            labels, attach, kv, size, drop.prompt_tokens if drop else 0,
        )

    def predict_prompt(self, model: str, messages: list[dict[str, str]], num_ctx: int) -> int | None:
        """prompt_eval_count the server should report for this exact request."""
        counter = self.counter(model)
        if not counter.ready or not messages:
            return None
        return visible_messages(messages, num_ctx, counter.count_request).prompt_tokens

    @staticmethod
    def _sources(
        conversation: Conversation, extra: Message | None, messages: list[dict[str, str]]
    ) -> list[Message | None]:
        """The Message behind each request entry (None for the joined system prompt)."""
        sent = [m for m in conversation.messages if m.is_sent and m.role != "system"]
        if extra is not None:
            sent.append(extra)
        offset = len(messages) - len(sent)
        return [None] * offset + sent

    @staticmethod
    def _label(entry: dict[str, str], source: Message | None) -> str:
        if source is None:
            return "system prompt"
        text = " ".join(source.content.split())
        head = f"{entry['role']}: {text[:48]}{'…' if len(text) > 48 else ''}"
        if source.attachments:
            head += f" (+{len(source.attachments)} files)"
        return head
